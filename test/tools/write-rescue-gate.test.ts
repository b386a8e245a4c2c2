/**
 * A non-destructive tool whose action interrupts a running machine asks for confirmation for that machine: entering
 * rescue mode reboots a Deployed machine (its OS and workload stop), as a power cycle does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineMachineAction } from '../../src/core/actions.ts';
import { runTool } from '../../src/core/invoke.ts';
import type { ActionResult } from '../../src/core/result.ts';
import { NodeStatus as S } from '../../src/maas/status.ts';
import { machinesRef } from '../../src/tools/common.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { ADMIN, call } from '../helpers.ts';
import { drive, opOf, posts, runCleanups, setup } from './write-helpers.ts';

afterEach(runCleanups);

const TOKEN = { env: { MAAS_MCP_CONFIRM: 'token' } };

describe('machine_rescue and the confirmation gate', () => {
  it('stays a write tool (as the README tool table pins it), yet holds entering rescue mode from Deployed for confirmation', async () => {
    expect(ALL_TOOLS.find((t) => t.name === 'machine_rescue')?.annotations.destructiveHint).toBe(false);
    const { sim, client, clock } = await setup(TOKEN);
    const preview = await call<ActionResult>(client, 'machine_rescue', { machines: 'db-01' });
    expect(preview.isError).toBe(false);
    expect(preview.data.status).toBe('confirmation_required');
    expect(preview.data.preview?.map((r) => [r.hostname, r.verdict, r.effect])).toEqual([
      [
        'db-01',
        'run',
        'reboot it into the rescue environment: its running OS and workload stop until it exits rescue mode',
      ],
    ]);
    expect(posts(sim)).toHaveLength(0);
    const done = await drive(
      clock,
      call<ActionResult>(client, 'machine_rescue', {
        machines: 'db-01',
        confirm_token: preview.data.confirm_token,
      }),
    );
    expect(done.data.succeeded.map((r) => [r.hostname, r.after])).toEqual([
      ['db-01', 'Entering rescue mode'],
    ]);
    expect(posts(sim).map(opOf)).toEqual(['rescue_mode']);
  });

  it('runs at once where nothing is running: a Ready machine, or leaving rescue mode', async () => {
    const { sim, client } = await setup(TOKEN);
    const ready = await call<ActionResult>(client, 'machine_rescue', { machines: 'web-01' });
    expect(ready.data.status).toBe('done');
    const exit = await call<ActionResult>(client, 'machine_rescue', { machines: 'k8s-04', action: 'exit' });
    expect(exit.data.status).toBe('done');
    expect(posts(sim).map(opOf)).toEqual(['rescue_mode', 'exit_rescue_mode']);
  });

  it('holds a bulk call as a whole when one target is Deployed', async () => {
    const { sim, client } = await setup(TOKEN);
    const res = await call<ActionResult>(client, 'machine_rescue', { machines: ['web-01', 'db-01'] });
    expect(res.data.status).toBe('confirmation_required');
    expect(res.data.summary).toBe('Confirmation required: rescue 2 machines. Nothing has been changed yet.');
    expect(posts(sim)).toHaveLength(0);
  });

  it('refuses the token once the machine changed, even though it would no longer need one', async () => {
    const { sim, client, clock } = await setup(TOKEN);
    const preview = await call<ActionResult>(client, 'machine_rescue', { machines: 'db-01' });
    sim.control.setMachine('db-01', { status: S.READY, owner: null });
    const res = await drive(
      clock,
      call<ActionResult>(client, 'machine_rescue', {
        machines: 'db-01',
        confirm_token: preview.data.confirm_token,
      }),
    );
    expect(res.isError).toBe(true);
    expect(res.text).toContain('Since the preview, db-01 is now Ready.');
    expect(posts(sim)).toHaveLength(0);
  });

  it('fails loudly for an action that asks for confirmation but cannot take the token back', async () => {
    const { deps } = await setup(TOKEN);
    const tool = defineMachineAction({
      name: 'machine_probe',
      title: 'Probe',
      description: 'A test action whose every run asks for confirmation, without a confirm_token field.',
      toolset: 'lifecycle',
      minRole: 'operator',
      destructive: false,
      idempotent: true,
      verb: 'probe',
      input: z.object({ machines: machinesRef }),
      check: () => ({ run: 'probe it', confirm: true }),
      perform: async () => null,
    });
    await expect(runTool(tool, { machines: 'web-01' }, { deps, principal: ADMIN })).rejects.toThrow(
      'internal: machine_probe asks for confirmation but its input has no confirm_token',
    );
  });

  it('asks nobody with MAAS_MCP_CONFIRM=off', async () => {
    const { sim, client } = await setup({ env: { MAAS_MCP_CONFIRM: 'off' } });
    const res = await call<ActionResult>(client, 'machine_rescue', { machines: 'db-01' });
    expect(res.data.status).toBe('done');
    expect(posts(sim).map(opOf)).toEqual(['rescue_mode']);
  });
});
