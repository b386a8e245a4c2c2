/**
 * Broken/fixed, lock/unlock, restore configuration and workload annotations (owner data), against the simulator
 * through a real MCP client (MAAS_MCP_CONFIRM=off).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ActionResult } from '../../src/core/result.ts';
import { NodeStatus as S } from '../../src/maas/status.ts';
import type { machineOwnerData } from '../../src/tools/machine-admin.ts';
import { call } from '../helpers.ts';
import { formOf, machinePath, node, posts, runCleanups, setup, writes } from './write-helpers.ts';

afterEach(runCleanups);

type OwnerDataOut = z.infer<typeof machineOwnerData.output>;

describe('machine_mark_broken', () => {
  it('marks a Ready machine Broken with the comment as its error description', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_mark_broken', {
      machines: 'web-01',
      comment: 'PSU fan',
    });
    expect(res.data.succeeded[0]).toMatchObject({ hostname: 'web-01', before: 'Ready', after: 'Broken' });
    expect(formOf(sim, machinePath(sim, 'web-01'), 'mark_broken')).toEqual([['comment', 'PSU fan']]);
    expect(node(sim, 'web-01').status).toBe(S.BROKEN);
    expect(node(sim, 'web-01').errorDescription).toBe('PSU fan');
  });

  it('releases a Deployed machine first: powered off, owner gone', async () => {
    const { sim, client } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const preview = await call<ActionResult>(client, 'machine_mark_broken', { machines: 'db-01' });
    expect(preview.data.preview?.[0]?.effect).toBe(
      'release it (power off, OS and owner forgotten), then mark it Broken',
    );
    const res = await call<ActionResult>(client, 'machine_mark_broken', {
      machines: 'db-01',
      confirm_token: preview.data.confirm_token,
    });
    expect(res.data.succeeded[0]).toMatchObject({ before: 'Deployed', after: 'Broken' });
    const n = node(sim, 'db-01');
    expect(n.owner).toBeNull();
    expect(n.powerState).toBe('off');
  });

  it('skips a machine already Broken', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_mark_broken', { machines: 'gpu-02' });
    expect(res.data.skipped[0]?.reason).toBe('already Broken');
    expect(posts(sim)).toHaveLength(0);
  });

  it('refuses, for a MAAS user who is not admin, a machine that is not theirs', async () => {
    const { sim, client } = await setup({ user: 'operator' });
    const res = await call<ActionResult>(client, 'machine_mark_broken', { machines: 'web-01' });
    expect(res.isError).toBe(true);
    expect(res.data.failed[0]?.error).toBe(
      'cannot mark web-01 broken: MAAS lets only its owner or a MAAS admin do that, and it is not allocated to you',
    );
    expect(posts(sim)).toHaveLength(0);
  });
});

describe('machine_mark_fixed', () => {
  it('brings a Broken machine back to Ready', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_mark_fixed', {
      machines: 'gpu-02',
      comment: 'RMA done',
    });
    expect(res.data.succeeded[0]).toMatchObject({ hostname: 'gpu-02', before: 'Broken', after: 'Ready' });
    expect(formOf(sim, machinePath(sim, 'gpu-02'), 'mark_fixed')).toEqual([['comment', 'RMA done']]);
    expect(node(sim, 'gpu-02').status).toBe(S.READY);
  });

  it('brings a machine that was Deployed when it broke back to Deployed', async () => {
    const { sim, client } = await setup();
    await call<ActionResult>(client, 'machine_mark_broken', { machines: 'web-04' });
    const res = await call<ActionResult>(client, 'machine_mark_fixed', { machines: 'web-04' });
    expect(res.data.succeeded[0]).toMatchObject({ before: 'Broken', after: 'Deployed' });
    expect(node(sim, 'web-04').status).toBe(S.DEPLOYED);
  });

  it('skips a machine that is not broken', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_mark_fixed', { machines: 'web-01' });
    expect(res.data.skipped[0]?.reason).toBe('not broken (it is Ready)');
    expect(res.isError).toBe(false);
    expect(posts(sim)).toHaveLength(0);
  });
});

describe('machine_lock and machine_unlock', () => {
  it('locks a Deployed machine; then every other write on it is refused until it is unlocked', async () => {
    const { sim, client } = await setup();
    const lock = await call<ActionResult>(client, 'machine_lock', { machines: 'web-04', comment: 'freeze' });
    expect(lock.data.succeeded[0]).toMatchObject({
      hostname: 'web-04',
      before: 'Deployed',
      after: 'Deployed',
    });
    expect(formOf(sim, machinePath(sim, 'web-04'), 'lock')).toEqual([['comment', 'freeze']]);
    expect(node(sim, 'web-04').locked).toBe(true);

    sim.requests.clear();
    for (const [tool, extra] of [
      ['machine_release', {}],
      ['machine_power_off', {}],
      ['machine_rescue', {}],
      ['machine_mark_broken', {}],
      ['machine_test', {}],
    ] as const) {
      const res = await call<ActionResult>(client, tool, { machines: 'web-04', ...extra });
      expect(res.isError, tool).toBe(true);
      expect(res.data.failed[0]?.error, tool).toBe('web-04 is locked — unlock it first');
    }
    expect(posts(sim)).toHaveLength(0);

    const unlock = await call<ActionResult>(client, 'machine_unlock', {
      machines: 'web-04',
      comment: 'thaw',
    });
    expect(unlock.data.succeeded).toHaveLength(1);
    expect(formOf(sim, machinePath(sim, 'web-04'), 'unlock')).toEqual([['comment', 'thaw']]);
    expect(node(sim, 'web-04').locked).toBe(false);
  });

  it('locks a Deploying machine too', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_lock', { machines: 'lab-02' });
    expect(res.data.succeeded).toHaveLength(1);
    expect(node(sim, 'lab-02').locked).toBe(true);
  });

  it('skips what is already locked or unlocked, and refuses to lock a machine that is not deployed', async () => {
    const { sim, client } = await setup();
    const lock = await call<ActionResult>(client, 'machine_lock', { machines: ['web-03', 'web-01'] });
    expect(lock.data.skipped.map((s) => [s.hostname, s.reason])).toEqual([['web-03', 'already locked']]);
    expect(lock.data.failed.map((f) => f.error)).toEqual([
      'cannot lock web-01: it is Ready — only Deployed or Deploying machines can be locked',
    ]);
    const unlock = await call<ActionResult>(client, 'machine_unlock', { machines: 'web-04' });
    expect(unlock.data.skipped.map((s) => s.reason)).toEqual(['not locked']);
    expect(posts(sim)).toHaveLength(0);
  });

  it('unlocks the seeded locked machine', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_unlock', { machines: 'web-03' });
    expect(res.data.succeeded[0]).toMatchObject({
      hostname: 'web-03',
      before: 'Deployed',
      after: 'Deployed',
    });
    expect(writes(sim)).toEqual([[machinePath(sim, 'web-03'), 'unlock']]);
    expect(node(sim, 'web-03').locked).toBe(false);
  });
});

describe('machine_restore_config', () => {
  it('sends the restore op of each scope (default when none is given)', async () => {
    const { sim, client } = await setup();
    await call<ActionResult>(client, 'machine_restore_config', { machines: 'web-01' });
    await call<ActionResult>(client, 'machine_restore_config', { machines: 'web-02', scope: 'networking' });
    const res = await call<ActionResult>(client, 'machine_restore_config', {
      machines: 'edge-01',
      scope: 'storage',
    });
    expect(writes(sim)).toEqual([
      [machinePath(sim, 'web-01'), 'restore_default_configuration'],
      [machinePath(sim, 'web-02'), 'restore_networking_configuration'],
      [machinePath(sim, 'edge-01'), 'restore_storage_configuration'],
    ]);
    expect(res.data.succeeded[0]).toMatchObject({ before: 'Failed testing', after: 'Failed testing' });
    expect(node(sim, 'web-01').status).toBe(S.READY);
  });

  it('refuses machines that are not Ready or Failed testing', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_restore_config', { machines: 'web-04' });
    expect(res.isError).toBe(true);
    expect(res.data.failed[0]?.error).toBe(
      'cannot restore the configuration of web-04: it is Deployed — only Ready or Failed testing machines can be restored',
    );
    expect(posts(sim)).toHaveLength(0);
  });

  it('describes what each scope throws away in the preview', async () => {
    const { client } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const res = await call<ActionResult>(client, 'machine_restore_config', {
      machines: 'web-01',
      scope: 'storage',
    });
    expect(res.data.preview?.[0]?.effect).toBe(
      'reset storage to what commissioning found (custom partitions, RAID, LVM layouts are lost)',
    );
  });
});

describe('machine_owner_data', () => {
  it('never shows back the value of a key that looks secret', async () => {
    const { client } = await setup();
    const res = await call<OwnerDataOut>(client, 'machine_owner_data', {
      machine: 'web-04',
      set: { service: 'web', api_token: 'tok-123456789' },
    });
    expect(res.data.annotations).toEqual({ service: 'web', api_token: '[redacted]' });
    expect(JSON.stringify(res.raw)).not.toContain('tok-123456789');
    const shown = await call(client, 'machine_get', { machine: 'web-04' });
    expect(JSON.stringify(shown.raw)).not.toContain('tok-123456789');
  });

  it('sets keys and deletes one with an empty value', async () => {
    const { sim, client } = await setup();
    const n = node(sim, 'web-04');
    const set = await call<OwnerDataOut>(client, 'machine_owner_data', {
      machine: 'web-04',
      set: { service: 'web', ticket: 'OPS-42' },
    });
    expect(set.isError).toBe(false);
    expect(set.data).toEqual({
      hostname: 'web-04',
      system_id: n.systemId,
      annotations: { service: 'web', ticket: 'OPS-42' },
    });
    expect(formOf(sim, machinePath(sim, 'web-04'), 'set_workload_annotations')).toEqual([
      ['service', 'web'],
      ['ticket', 'OPS-42'],
    ]);
    expect(set.text).toBe('web-04 annotations: service=web, ticket=OPS-42');

    const reads = sim.requests.count({ method: 'GET', pathPrefix: machinePath(sim, 'web-04') });
    const del = await call<OwnerDataOut>(client, 'machine_owner_data', {
      machine: 'web-04',
      set: { ticket: '' },
    });
    // The annotations shown are MAAS's answer to the write: the machine is not read back.
    expect(sim.requests.count({ method: 'GET', pathPrefix: machinePath(sim, 'web-04') })).toBe(reads);
    expect(del.data.annotations).toEqual({ service: 'web' });
    expect(n.ownerData).toEqual({ service: 'web' });
  });

  it('is cleared when the machine is released, as MAAS does', async () => {
    const { sim, client } = await setup();
    await call(client, 'machine_owner_data', { machine: 'web-04', set: { service: 'web' } });
    await call<ActionResult>(client, 'machine_release', { machines: 'web-04' });
    await sim.settle();
    const n = node(sim, 'web-04');
    expect(n.status).toBe(S.READY);
    expect(n.ownerData).toEqual({});
    const again = await call(client, 'machine_owner_data', { machine: 'web-04', set: { service: 'web' } });
    expect(again.isError).toBe(true);
    expect(again.text).toBe(
      'cannot annotate web-04: only its owner can, and it is not allocated (allocate or deploy it first)',
    );
  });

  it('refuses a machine someone else owns, a locked one, and an empty change, sending nothing', async () => {
    const { sim, client } = await setup();
    const bob = await call(client, 'machine_owner_data', { machine: 'k8s-01', set: { a: 'b' } });
    expect(bob.isError).toBe(true);
    expect(bob.text).toBe('cannot annotate k8s-01: only its owner can, and it belongs to bob');
    const locked = await call(client, 'machine_owner_data', { machine: 'web-03', set: { a: 'b' } });
    expect(locked.text).toBe('web-03 is locked — unlock it first');
    const empty = await call(client, 'machine_owner_data', { machine: 'web-04', set: {} });
    expect(empty.text).toBe('set: give at least one key');
    const badKey = await call(client, 'machine_owner_data', { machine: 'web-04', set: { 'a b': 'c' } });
    expect(badKey.isError).toBe(true);
    // zod reports the field but not the key rule's own message ("keys are letters, digits, _ . and -").
    expect(badKey.text).toContain('set: key "a b" is not allowed; keys are 1–64 letters, digits, _ . and -');
    expect(posts(sim)).toHaveLength(0);
  });
});
