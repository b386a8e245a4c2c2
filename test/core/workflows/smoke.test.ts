import { afterEach, expect, it } from 'vitest';
import type { ManualClock } from '../../../src/base/clock.ts';
import { runTool } from '../../../src/core/invoke.ts';
import type { WorkflowRunner } from '../../../src/core/workflows/runner.ts';
import { findTool } from '../../../src/tools/index.ts';
import { ADMIN, drive, readyHosts, simDeps, startPoller } from '../../helpers.ts';

const stops: (() => void)[] = [];
afterEach(() => { for (const s of stops.splice(0)) s(); });

it('smoke', async () => {
  const { sim, deps, clock } = simDeps({});
  const poller = startPoller(deps);
  stops.push(() => poller.stop(), () => sim.close());
  const hosts = readyHosts(sim, 2);
  const tool = findTool('workflow_run')!;
  const out = (await drive(clock as ManualClock, runTool(tool, { workflow: { actions: ['commission', 'deploy'], machines: hosts.map((h) => ({ hostname: h, distro_series: 'jammy' })) } }, { deps, principal: ADMIN, confirmMode: 'off' }))) as any;
  console.log(tool.render(out));
  const engine = (deps.workflows as WorkflowRunner).engine(out.run.id)!;
  engine.subscribe((e) => console.log(JSON.stringify(e)));
  const op = await drive(clock as ManualClock, engine.done, 5000, 2000);
  console.log(findTool('workflow_get')!.render({ run: (await import('../../../src/core/workflows/view.ts')).workflowView(op, false) }));
  expect(op.state).toBe('succeeded');
});
