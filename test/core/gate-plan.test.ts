/**
 * The confirmation gate and a plan confirmed as a whole (a workflow run): a call the plan showed runs without asking
 * again; anything else is refused, and audited as refused. The policy decision still applies before it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/base/clock.ts';
import type { ConfirmedPlan, ToolContext } from '../../src/core/deps.ts';
import { invokeTool } from '../../src/core/invoke.ts';
import { findTool } from '../../src/tools/index.ts';
import { ADMIN, drive, simDeps } from '../helpers.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function rig() {
  const { sim, deps, clock } = simDeps({ env: { MAAS_MCP_CONFIRM: 'token' } });
  closers.push(() => sim.close());
  return { sim, deps, clock: clock as ManualClock };
}

/** A plan that showed `tool` for these hostnames only. */
function planShowing(tool: string, hosts: string[]): ConfirmedPlan {
  return {
    name: 'workflow op_test',
    uncovered: (t, m) =>
      t === tool && hosts.includes(m.hostname)
        ? undefined
        : `workflow op_test did not show ${t} for ${m.hostname}`,
  };
}

const release = () => {
  const tool = findTool('machine_release');
  if (!tool) throw new Error('no machine_release');
  return tool;
};

describe('a plan confirmed as a whole', () => {
  it('lets a step it showed through without asking again, and the audit says whose step it was', async () => {
    const { deps, clock } = rig();
    const ctx: ToolContext = {
      deps,
      principal: ADMIN,
      confirmedPlan: planShowing('machine_release', ['db-01']),
    };
    const out = await drive(clock, invokeTool(release(), { machines: 'db-01' }, ctx));
    expect(out.ok && (out.out as { status: string }).status).toBe('done');
    const [rec] = await deps.store.listAudit({ tool: 'machine_release' });
    expect(rec?.detail).toMatch(/\(a step of workflow op_test\)$/);
  });

  it('refuses a call it did not show — another machine, or another tool — and audits the refusal', async () => {
    const { deps, clock, sim } = rig();
    const ctx: ToolContext = {
      deps,
      principal: ADMIN,
      confirmedPlan: planShowing('machine_release', ['db-01']),
    };
    const other = await drive(clock, invokeTool(release(), { machines: 'web-04' }, ctx));
    expect(other).toMatchObject({
      ok: false,
      refused: 'gate',
      message: 'Not done: workflow op_test did not show machine_release for web-04',
    });
    const deploy = findTool('machine_deploy');
    if (!deploy) throw new Error('no machine_deploy');
    const wrong = await drive(clock, invokeTool(deploy, { machines: 'web-01' }, ctx));
    expect(wrong).toMatchObject({ ok: false, refused: 'gate' });
    expect(sim.requests.count({ method: 'POST' })).toBe(0);
    const refused = await deps.store.listAudit({});
    expect(refused.map((r) => [r.tool, r.result])).toEqual([
      ['machine_deploy', 'refused'],
      ['machine_release', 'refused'],
    ]);
  });
});
