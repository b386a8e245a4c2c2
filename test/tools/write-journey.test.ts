/**
 * The "done when": a New machine taken through commission → allocate → deploy → (lock, power, rescue,
 * broken/fixed) → release with erase → delete, with every destructive step confirmed before anything is
 * written — on one machine, and on twenty at once.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ActionResult } from '../../src/core/result.ts';
import { NodeStatus as S } from '../../src/maas/status.ts';
import type { Simulator } from '../../src/sim/index.ts';
import type { machineAllocate } from '../../src/tools/allocate.ts';
import type { machineCreate } from '../../src/tools/machine-admin.ts';
import { call } from '../helpers.ts';
import {
  type ActionAnswer,
  listReadsBeforeFirstWrite,
  node,
  posts,
  runCleanups,
  setup,
} from './write-helpers.ts';

afterEach(runCleanups);

type AllocateOut = z.infer<typeof machineAllocate.output>;
type CreateOut = z.infer<typeof machineCreate.output>;

/** A journey driver: each step checks batching, and destructive steps check that the preview wrote nothing. */
function journey(sim: Simulator, client: Client, names: string[]) {
  const many = names.length === 1 ? (names[0] as string) : names;
  const statuses = () => names.map((h) => node(sim, h).status);
  const expectAll = (status: number) => expect(new Set(statuses())).toEqual(new Set([status]));

  /** A write-tool call on all machines; asserts every machine succeeded and the targets took ≤ 2 list reads. */
  async function step(tool: string, args: Record<string, unknown> = {}): Promise<ActionAnswer> {
    sim.requests.clear();
    const res = await call<ActionResult>(client, tool, { machines: many, ...args });
    expect(res.isError, `${tool}: ${res.text}`).toBe(false);
    expect(res.data.status, tool).toBe('done');
    expect(res.data.succeeded, tool).toHaveLength(names.length);
    expectBatched(tool);
    return res;
  }

  /** The same, for a destructive tool: the first call only previews, the second (with the token) writes. */
  async function confirmedStep(tool: string, args: Record<string, unknown> = {}): Promise<ActionAnswer> {
    sim.requests.clear();
    const before = statuses();
    const preview = await call<ActionResult>(client, tool, { machines: many, ...args });
    expect(preview.isError, tool).toBe(false);
    expect(preview.data.status, tool).toBe('confirmation_required');
    expect(
      preview.data.preview?.filter((r) => r.verdict === 'run'),
      tool,
    ).toHaveLength(names.length);
    expect(posts(sim), `${tool} wrote before it was confirmed`).toHaveLength(0);
    expect(statuses(), tool).toEqual(before);
    expectBatched(tool);
    return step(tool, { ...args, confirm_token: preview.data.confirm_token });
  }

  function expectBatched(tool: string) {
    const reads = listReadsBeforeFirstWrite(sim);
    expect(reads.length, `${tool} resolved its targets in ${reads.length} reads`).toBeLessThanOrEqual(2);
  }

  return { many, expectAll, step, confirmedStep };
}

async function walk(sim: Simulator, client: Client, names: string[], allocate: Record<string, unknown>) {
  const j = journey(sim, client, names);
  const n = names.length;

  // Commission: MAAS inventories the hardware and tests it; the machines end Ready.
  await j.step('machine_commission');
  j.expectAll(S.COMMISSIONING);
  await sim.settle();
  j.expectAll(S.READY);

  // Allocate exactly these machines.
  const alloc = await call<AllocateOut>(client, 'machine_allocate', allocate);
  expect(alloc.isError, alloc.text).toBe(false);
  expect(alloc.data.allocated.map((m) => m.hostname).sort()).toEqual([...names].sort());
  j.expectAll(S.ALLOCATED);

  // Deploy, confirmed with a token.
  const deploy = await j.confirmedStep('machine_deploy', {
    distro_series: 'noble',
    user_data: '#cloud-config\n',
  });
  expect(new Set(deploy.data.succeeded.map((r) => `${r.before}→${r.after}`))).toEqual(
    new Set(['Allocated→Deploying']),
  );
  await sim.settle();
  j.expectAll(S.DEPLOYED);

  // Lock: powering off is then refused, with the reason, and nothing is written.
  await j.step('machine_lock', { comment: 'serving' });
  for (const h of names) expect(node(sim, h).locked).toBe(true);
  sim.requests.clear();
  const refused = await call<ActionResult>(client, 'machine_power_off', { machines: j.many });
  expect(refused.isError).toBe(true);
  expect(refused.data.confirm_token).toBeUndefined();
  expect(refused.data.failed.map((f) => f.error)).toEqual(
    names.map((h) => `${h} is locked — unlock it first`),
  );
  expect(posts(sim)).toHaveLength(0);
  await j.step('machine_unlock');

  // Power off (confirmed), then on.
  await j.confirmedStep('machine_power_off');
  await sim.settle();
  for (const h of names) expect(node(sim, h).powerState).toBe('off');
  await j.step('machine_power_on');
  await sim.settle();
  for (const h of names) expect(node(sim, h).powerState).toBe('on');

  // Rescue mode, in (confirmed: it reboots Deployed machines) and out.
  await j.confirmedStep('machine_rescue', { action: 'enter' });
  j.expectAll(S.ENTERING_RESCUE_MODE);
  await sim.settle();
  j.expectAll(S.RESCUE_MODE);
  await j.step('machine_rescue', { action: 'exit' });
  await sim.settle();
  j.expectAll(S.DEPLOYED);

  // Broken (confirmed), then fixed: back to Deployed, since that is what they were.
  await j.confirmedStep('machine_mark_broken', { comment: 'PDU swap' });
  j.expectAll(S.BROKEN);
  await j.step('machine_mark_fixed');
  j.expectAll(S.DEPLOYED);

  // Release with erase (confirmed): Disk erasing, then Ready.
  const release = await j.confirmedStep('machine_release', { erase: true });
  expect(release.data.note).toContain('MAAS erases the disks');
  j.expectAll(S.DISK_ERASING);
  await sim.settle();
  j.expectAll(S.READY);
  for (const h of names) expect(node(sim, h).owner).toBeNull();

  // Delete (confirmed): gone from MAAS.
  const ids = names.map((h) => node(sim, h).systemId);
  const deleted = await j.confirmedStep('machine_delete');
  expect(new Set(deleted.data.succeeded.map((r) => r.after))).toEqual(new Set(['Deleted']));
  const left = sim.control.machines().map((m) => m.systemId);
  for (const id of ids) expect(left).not.toContain(id);
  expect(ids).toHaveLength(n);
}

describe('the journey', () => {
  it('takes one New machine from commissioning to deletion, confirming every destructive step', async () => {
    const { sim, client, deps } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const id = node(sim, 'new-01').systemId;
    await walk(sim, client, ['new-01'], { hostname: 'new-01' });
    // Every write is in the audit log, in order.
    const tools = (await deps.store.listAudit({ machine: id, limit: 100 }))
      .map((r) => `${r.tool}:${r.result}`)
      .reverse();
    expect(tools).toEqual([
      'machine_commission:ok',
      'machine_allocate:ok',
      'machine_deploy:ok',
      'machine_lock:ok',
      'machine_power_off:failed',
      'machine_unlock:ok',
      'machine_power_off:ok',
      'machine_power_on:ok',
      'machine_rescue:ok',
      'machine_rescue:ok',
      'machine_mark_broken:ok',
      'machine_mark_fixed:ok',
      'machine_release:ok',
      'machine_delete:ok',
    ]);
  });

  it('does the same for twenty machines at once', async () => {
    const { sim, client } = await setup({ machines: 40, env: { MAAS_MCP_CONFIRM: 'token' } });
    const names = Array.from({ length: 20 }, (_, i) => `blade-${String(i + 1).padStart(2, '0')}`);
    for (const [i, hostname] of names.entries()) {
      const res = await call<CreateOut>(client, 'machine_create', {
        hostname,
        mac_addresses: [`52:54:00:10:00:${i.toString(16).padStart(2, '0')}`],
        power_type: 'ipmi',
        power_parameters: { power_address: `10.50.0.${i + 10}`, power_pass: 'Rack-Bmc-Pass-1' },
        commission: false,
      });
      expect(res.data.machine?.status, res.text).toBe('New');
    }
    // Tag them, so that an allocation by constraint picks exactly these.
    sim.requests.clear();
    const tag = await call(client, 'machine_tag', { machines: names, add: 'rack-j', create_missing: true });
    expect(tag.isError, tag.text).toBe(false);
    expect(sim.requests.count({ method: 'POST', op: 'update_nodes' })).toBe(1);

    await walk(sim, client, names, { tags: 'rack-j', count: 20 });
    expect(sim.control.machines()).toHaveLength(40);
  });
});
