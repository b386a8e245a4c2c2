/**
 * Workflows as an agent runs them, through the official MCP client: one confirmation for the whole plan (its
 * preview lists every destructive step of every host), then the run followed with workflow_get (wait, progress),
 * listed, and cancelled; bad workflows refused by JSON path; credentials refused. The client checks every answer
 * against the output schema it was listed with.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/base/clock.ts';
import { ADMIN, call, connectClient, drive, simDeps, startPoller } from '../helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig() {
  const { sim, deps, clock } = simDeps({ env: { MAAS_MCP_CONFIRM: 'token' } });
  const poller = startPoller(deps);
  const { client, close } = await connectClient(deps, { principal: ADMIN });
  cleanups.push(
    () => sim.close(),
    () => poller.stop(),
    close,
  );
  await client.listTools();
  return { sim, deps, clock: clock as ManualClock, client };
}

const WORKFLOW = {
  actions: ['release', 'commission', 'deploy'],
  machines: [
    { hostname: 'db-01', distro_series: 'jammy' },
    { hostname: 'web-04', distro_series: 'noble' },
  ],
};

describe('workflow tools over MCP', () => {
  it('confirms the whole plan once, then runs it; workflow_get waits with progress until it ends', async () => {
    const { client, clock } = await rig();
    const held = await drive(clock, call(client, 'workflow_run', { workflow: WORKFLOW }));
    expect(held.isError).toBe(false);
    expect(held.data).toMatchObject({ status: 'confirmation_required', confirmation_required: true });
    expect(held.text).toMatch(
      /db-01 \(\w+\) Deployed: \n {4}⚠ release: release it, erasing its disks\n {4}• commission: commission it/,
    );
    expect(held.text).toContain('⚠ deploy: deploy noble over its disks');
    const token = (held.data as { confirm_token: string }).confirm_token;
    const started = await drive(
      clock,
      call(client, 'workflow_run', { workflow: WORKFLOW, confirm_token: token }),
    );
    expect(started.data).toMatchObject({ how: 'started', run: { state: 'running', counts: { total: 2 } } });
    const id = (started.data as { run: { id: string } }).run.id;

    const progress: string[] = [];
    const followed = await drive(
      clock,
      (async () => {
        for (;;) {
          const res = await client.callTool(
            { name: 'workflow_get', arguments: { id, wait: true, wait_timeout_s: 50 } },
            { onprogress: (p) => progress.push(p.message ?? '') },
          );
          const run = (res.structuredContent as { run: { state: string } }).run;
          if (run.state !== 'running') return res;
        }
      })(),
      5_000,
    );
    const run = (followed.structuredContent as { run: Record<string, unknown> }).run;
    expect(run).toMatchObject({ id, state: 'succeeded', counts: { succeeded: 2 } });
    expect(progress.some((p) => /workflow op_\w+ running: 1 of 2 hosts done|0 of 2 hosts done/.test(p))).toBe(
      true,
    );
    const listed = await call(client, 'workflows_list', {});
    expect(listed.text).toContain(`workflow ${id} succeeded: 2 of 2 hosts done`);
    // The run is an operation like the others.
    const op = await call(client, 'operation_get', { id });
    expect(op.data).toMatchObject({ operation: { kind: 'workflow', state: 'succeeded' } });
  });

  it('cancels a run: no host starts another step', async () => {
    const { client, clock } = await rig();
    const started = await drive(
      clock,
      call(client, 'workflow_run', {
        workflow: { actions: ['commission', 'deploy'], machines: [{ hostname: 'new-01' }] },
      }),
    );
    // Nothing destructive in a commission, but the deploy is: confirm it.
    const token = (started.data as { confirm_token?: string }).confirm_token;
    const run = await drive(
      clock,
      call(client, 'workflow_run', {
        workflow: { actions: ['commission', 'deploy'], machines: [{ hostname: 'new-01' }] },
        confirm_token: token,
      }),
    );
    const id = (run.data as { run: { id: string } }).run.id;
    const cancelled = await drive(clock, call(client, 'workflow_cancel', { id }));
    expect(cancelled.isError).toBe(false);
    expect(cancelled.data).toMatchObject({ run: { id, state: 'cancelled' } });
    expect(cancelled.text).toContain('Cancelled: no host starts another step');
    await clock.advance(600_000);
    const after = await call(client, 'workflow_get', { id });
    expect(after.data).toMatchObject({ run: { state: 'cancelled', hosts: [{ result: 'cancelled' }] } });
  });

  it('names a bad field by its JSON path under workflow, and refuses credentials', async () => {
    const { client } = await rig();
    const bad = await call(client, 'workflow_run', {
      workflow: {
        actions: ['deploy'],
        machines: [{ hostname: 'a', network: { vlans: [{ parent: 'eth0', vid: 5000 }] } }],
      },
    });
    expect(bad.isError).toBe(true);
    expect(bad.text).toBe('workflow.machines[0].network.vlans[0].vid: expected at most 4094 (got 5000)');
    const keyed = await call(client, 'workflow_run', {
      workflow: { maas_api_key: 'a:b:c', actions: ['commission'], machines: [{ hostname: 'new-01' }] },
    });
    expect(keyed.isError).toBe(true);
    expect(keyed.text).toMatch(/^workflow\.maas_api_key: remove it — maas-mcp talks to its own MAAS/);
    const unknown = await call(client, 'workflow_get', { id: 'op_nope' });
    expect(unknown.text).toBe('no workflow run "op_nope" (list them with workflows_list)');
  });
});
