/**
 * A confirm token holds only for the machines exactly as the preview showed them: not only their status, but
 * their owner, their deployment, and what would be done to each (README "Safety").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import type { ActionResult } from '../../src/core/result.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import type { Confirmation, Store } from '../../src/store/types.ts';
import { call, connectClient, depsFor, drive, node, simDeps } from '../helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(makeStore?: (clock: ManualClock) => Store) {
  const manual = new ManualClock();
  const store = makeStore?.(manual);
  const { sim, deps, clock } = simDeps({
    clock: manual,
    env: { MAAS_MCP_CONFIRM: 'token' },
    ...(store ? { store } : {}),
  });
  const { client, close } = await connectClient(deps);
  cleanups.push(() => sim.close(), close);
  // Another MAAS user, acting on the same MAAS meanwhile.
  const alice = depsFor(sim, clock, { user: 'operator' });
  return { sim, deps, clock: clock as ManualClock, client, alice };
}

const releases = (sim: Simulator) => sim.requests.count({ method: 'POST', op: 'release' });

describe('a confirm token after the machine changed hands or deployments, with the same status', () => {
  it('is refused when the machine was released and allocated by another user meanwhile', async () => {
    const { sim, deps, client, alice } = await setup();
    const web05 = node(sim, 'web-05');
    expect([web05.owner, web05.status]).toEqual(['admin', 10]);
    const preview = await call<ActionResult>(client, 'machine_release', { machines: 'web-05' });
    expect(preview.data.preview?.[0]).toMatchObject({ owner: 'admin', verdict: 'run', status: 'Allocated' });

    // Released (by its owner), then taken by alice: Allocated again, as in the preview, but alice's now.
    await deps.maas.machineOp(web05.systemId, 'release');
    await alice.maas.allocate({ system_id: web05.systemId });
    expect([web05.owner, web05.status]).toEqual(['alice', 10]);
    const before = releases(sim);

    const res = await call<ActionResult>(client, 'machine_release', {
      machines: 'web-05',
      confirm_token: preview.data.confirm_token,
    });
    expect(res.isError).toBe(true);
    expect(res.text).toBe(
      "Not done: Since the preview, web-05 now belongs to alice (it was admin's). The preview no longer holds, so nothing was changed. Call machine_release again without confirm_token to get a new preview.",
    );
    expect(releases(sim)).toBe(before);
    expect([web05.owner, web05.status]).toEqual(['alice', 10]);
    const [last] = await deps.store.listAudit({ limit: 1 });
    expect(last).toMatchObject({ tool: 'machine_release', result: 'refused' });
    // The token is spent: it cannot be tried again once the machine is given back.
    const again = await call<ActionResult>(client, 'machine_release', {
      machines: 'web-05',
      confirm_token: preview.data.confirm_token,
    });
    expect(again.text).toMatch(/already used/);
  });

  it('is refused when the machine was deployed again by the same owner meanwhile', async () => {
    const { sim, deps, client, clock } = await setup();
    const db01 = node(sim, 'db-01');
    const preview = await call<ActionResult>(client, 'machine_release', { machines: 'db-01' });
    expect(preview.data.preview?.[0]).toMatchObject({ owner: 'admin', status: 'Deployed', verdict: 'run' });

    // Released, allocated and deployed again: Deployed and admin's, as in the preview — another deployment.
    await deps.maas.machineOp(db01.systemId, 'release');
    await sim.settle();
    await deps.maas.allocate({ system_id: db01.systemId });
    await deps.maas.machineOp(db01.systemId, 'deploy');
    await sim.settle();
    expect([db01.owner, db01.status]).toEqual(['admin', 6]);
    const before = releases(sim);

    const res = await drive(
      clock,
      call<ActionResult>(client, 'machine_release', {
        machines: 'db-01',
        confirm_token: preview.data.confirm_token,
      }),
    );
    expect(res.isError).toBe(true);
    expect(res.text).toContain('Since the preview, db-01 was deployed again.');
    expect(releases(sim)).toBe(before);
  });

  it('is refused when a machine the preview skipped would now be acted on', async () => {
    const { sim, client } = await setup();
    sim.control.setMachine('db-01', { power: 'off' });
    const args = { machines: ['web-04', 'db-01'] };
    const preview = await call<ActionResult>(client, 'machine_power_off', args);
    expect(preview.data.preview?.map((r) => [r.hostname, r.verdict])).toEqual([
      ['web-04', 'run'],
      ['db-01', 'skip'],
    ]);
    sim.control.setMachine('db-01', { power: 'on' });
    const res = await call<ActionResult>(client, 'machine_power_off', {
      ...args,
      confirm_token: preview.data.confirm_token,
    });
    expect(res.isError).toBe(true);
    expect(res.text).toContain(
      'Since the preview, what would happen to db-01 changed (now: ask the OS to shut down, then power off; it stays Deployed).',
    );
    expect(sim.requests.count({ method: 'POST', op: 'power_off' })).toBe(0);
  });

  it('still runs when the machine is exactly as previewed', async () => {
    const { sim, client } = await setup();
    const preview = await call<ActionResult>(client, 'machine_release', { machines: 'web-05' });
    const res = await call<ActionResult>(client, 'machine_release', {
      machines: 'web-05',
      confirm_token: preview.data.confirm_token,
    });
    expect(res.data.status).toBe('done');
    expect(releases(sim)).toBe(1);
  });

  it('is refused when its preview was recorded without the owner (by an older maas-mcp)', async () => {
    /** A store holding confirmations as an older maas-mcp wrote them: status only. */
    class OlderStore extends MemoryStore {
      override async getConfirmation(hash: string): Promise<Confirmation | undefined> {
        const c = await super.getConfirmation(hash);
        return c && { ...c, targets: c.targets.map(({ system_id, status }) => ({ system_id, status })) };
      }
    }
    const { sim, client } = await setup((clock) => new OlderStore({ now: () => clock.now() }));
    const preview = await call<ActionResult>(client, 'machine_release', { machines: 'web-05' });
    const res = await call<ActionResult>(client, 'machine_release', {
      machines: 'web-05',
      confirm_token: preview.data.confirm_token,
    });
    expect(res.isError).toBe(true);
    expect(res.text).toContain(
      'the preview of web-05 was made by an older maas-mcp that did not record its owner',
    );
    expect(releases(sim)).toBe(0);
  });
});
