/**
 * Every destructive tool passes the confirmation gate: in token mode the first call previews and writes
 * nothing, and the same call with the token does the write. (The gate's refusal paths are in
 * test/core/gate.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/result.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { call } from '../helpers.ts';
import { drive, posts, runCleanups, setup } from './write-helpers.ts';

afterEach(runCleanups);

/** A valid call of each destructive tool, on a machine it would act on. */
const DESTRUCTIVE: Record<string, { args: Record<string, unknown>; host: string }> = {
  machine_delete: { args: { machines: 'new-02' }, host: 'new-02' },
  machine_deploy: {
    args: { machines: 'web-01', distro_series: 'noble', user_data: '#cloud-config\nruncmd: [reboot]\n' },
    host: 'web-01',
  },
  machine_release: { args: { machines: 'db-01', erase: true }, host: 'db-01' },
  machine_abort: { args: { machines: 'lab-02', comment: 'stop' }, host: 'lab-02' },
  machine_mark_broken: { args: { machines: 'web-02', comment: 'fan' }, host: 'web-02' },
  machine_restore_config: { args: { machines: 'web-06', scope: 'networking' }, host: 'web-06' },
  machine_power_off: { args: { machines: 'web-04', stop_mode: 'hard' }, host: 'web-04' },
  machine_power_cycle: { args: { machines: 'k8s-04' }, host: 'k8s-04' },
  machine_storage_layout: { args: { machines: 'db-02', layout: 'efi_lvm' }, host: 'db-02' },
  machine_network_configure: {
    args: { machines: 'db-02', bonds: [{ name: 'bond0', interfaces: ['eno3', 'eno4'], mode: '802.3ad' }] },
    host: 'db-02',
  },
  machine_clone: { args: { source: 'web-06', machines: 'db-02', network: true }, host: 'db-02' },
  machine_boot_disk: { args: { machines: 'web-02', disk: 'sdb' }, host: 'web-02' },
};

/** Destructive tools whose answer is not a machine action's: their gate is tested where their answer is. */
const TESTED_ELSEWHERE: Record<string, string> = {
  workflow_run: 'test/mcp/workflows.test.ts, test/core/workflows/run.test.ts',
  cluster_create: 'test/tools/clusters/create.test.ts, test/tools/invariants.test.ts',
  cluster_delete: 'test/tools/clusters/lifecycle.test.ts, test/tools/invariants.test.ts',
};

/** Everything a write could change, for every machine. */
function snapshot(sim: Simulator): string {
  return JSON.stringify(
    sim.control
      .machines()
      .map((n) => [
        n.systemId,
        n.status,
        n.powerState,
        n.owner,
        n.locked,
        n.tags,
        n.ownerData,
        n.userData,
        n.interfaces.length,
      ]),
  );
}

describe('the confirmation gate on every destructive tool', () => {
  it('covers exactly the tools annotated destructive', () => {
    const destructive = ALL_TOOLS.filter((t) => t.annotations.destructiveHint).map((t) => t.name);
    expect(destructive.sort()).toEqual(
      [...Object.keys(DESTRUCTIVE), ...Object.keys(TESTED_ELSEWHERE)].sort(),
    );
  });

  for (const [tool, { args, host }] of Object.entries(DESTRUCTIVE)) {
    it(`${tool}: previews, writes nothing, and writes once confirmed with the token`, async () => {
      const { sim, client, clock } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
      const before = snapshot(sim);
      const preview = await call<ActionResult>(client, tool, args);
      expect(preview.isError).toBe(false);
      expect(preview.data.status).toBe('confirmation_required');
      expect(preview.data.confirmation_required).toBe(true);
      expect(preview.data.confirm_token).toMatch(/^mmc_/);
      expect(preview.data.succeeded).toEqual([]);
      expect(preview.data.preview?.map((r) => [r.hostname, r.verdict])).toEqual([[host, 'run']]);
      expect(preview.text).toContain('Nothing has been changed yet.');
      expect(sim.requests.count({ method: 'POST' })).toBe(0);
      expect(posts(sim)).toHaveLength(0);
      expect(snapshot(sim)).toBe(before);

      const done = await drive(
        clock,
        call<ActionResult>(client, tool, { ...args, confirm_token: preview.data.confirm_token }),
      );
      expect(done.data.status).toBe('done');
      expect(done.data.succeeded.map((r) => r.hostname)).toEqual([host]);
      expect(posts(sim).length).toBeGreaterThan(0);
    });
  }

  it('lets non-destructive writes through at once in token mode', async () => {
    const { sim, client } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const res = await call<ActionResult>(client, 'machine_lock', { machines: 'web-04' });
    expect(res.data.status).toBe('done');
    expect(res.data.confirm_token).toBeUndefined();
    expect(sim.requests.count({ method: 'POST', op: 'lock' })).toBe(1);
  });

  it('holds a bulk call as a whole: nothing runs for any machine until it is confirmed', async () => {
    const { sim, client } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const args = { machines: ['db-01', 'web-04', 'web-01', 'web-03', 'nope-9'] };
    const preview = await call<ActionResult>(client, 'machine_release', args);
    expect(preview.data.preview?.map((r) => [r.hostname, r.verdict])).toEqual([
      ['db-01', 'run'],
      ['web-04', 'run'],
      ['web-01', 'skip'],
      ['web-03', 'refuse'],
    ]);
    expect(preview.data.not_found).toEqual(['nope-9']);
    expect(preview.data.summary).toBe(
      'Confirmation required: release 2 machines. Nothing has been changed yet.',
    );
    expect(posts(sim)).toHaveLength(0);
    const done = await call<ActionResult>(client, 'machine_release', {
      ...args,
      confirm_token: preview.data.confirm_token,
    });
    expect(done.data.succeeded.map((r) => r.hostname)).toEqual(['db-01', 'web-04']);
    expect(done.data.summary).toBe('release: 2 done, 1 skipped, 1 failed, 1 not found');
  });
});
