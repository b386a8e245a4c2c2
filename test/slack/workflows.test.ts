/**
 * Workflows in Slack, through signed requests: `/maas workflows` and `/maas workflow <id>` show how far each host
 * got, and a run an agent started is announced in SLACK_NOTIFY_CHANNEL when it ends, like any operation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../src/core/invoke.ts';
import { findTool } from '../../src/tools/index.ts';
import { call, drive, startPoller } from '../helpers.ts';
import {
  approvalValue,
  clickAnswer,
  command,
  drive as driveSlack,
  type Msg,
  maasWrites,
  mcpClient,
  opState,
  posts,
  type Rig,
  responses,
  slackRig,
  textOf,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

describe('a workflow an agent asks for, approved in Slack (MAAS_MCP_CONFIRM=slack)', () => {
  it('waits for a person, then runs as that same operation once approved', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const client = await mcpClient(rig, { id: 'agent-7', role: 'operator', via: 'mcp' });
    const workflow = { actions: ['release', 'commission'], machines: [{ hostname: 'db-01' }] };
    const held = await call<{ status: string; operation_id: string }>(client, 'workflow_run', { workflow });
    expect(held.data.status).toBe('awaiting_approval');
    const id = held.data.operation_id;
    await rig.fake.waitFor(() => posts(rig, 'CNOTIFY').length > 0);
    const request = texts(posts(rig, 'CNOTIFY')[0] as Msg);
    expect(request).toContain('agent-7 (mcp) asks to run workflow on 1 machine');
    expect(request).toMatch(/db-01.*⚠ release: release it, erasing its disks/s);
    expect(maasWrites(rig)).toBe(0);
    await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    await driveSlack(rig, async () => (await opState(rig, id)) === 'succeeded', { stepMs: 5_000 });
    const run = await call<{ run: { id: string; state: string; hosts: { result: string }[] } }>(
      client,
      'workflow_get',
      {
        id,
      },
    );
    expect(run.data.run).toMatchObject({ id, state: 'succeeded', hosts: [{ result: 'succeeded' }] });
  });
});

describe('workflows in Slack', () => {
  it('shows runs and one run host by host; announces an agent’s run when it ends', async () => {
    rig = await slackRig();
    const poller = startPoller(rig.deps);
    rig.cleanups.push(() => poller.stop());
    const tool = findTool('workflow_run');
    if (!tool) throw new Error('no workflow_run');
    const out = (await drive(
      rig.clock,
      runTool(
        tool,
        { workflow: { actions: ['commission'], machines: [{ hostname: 'new-01' }, { hostname: 'new-02' }] } },
        {
          deps: rig.deps,
          principal: { id: 'agent-7', role: 'operator', via: 'mcp' },
          notifyTargets: [{ kind: 'mcp' }],
        },
      ),
    )) as { run: { id: string } };
    const id = out.run.id;

    const list = await command(rig, 'workflows');
    expect(list.res.status).toBe(200);
    await rig.fake.waitFor(() => responses(rig, list.responseUrl).length > 0);
    expect(textOf(responses(rig, list.responseUrl)[0])).toContain(
      `workflow ${id} running: 0 of 2 hosts done, 2 going`,
    );

    const one = await command(rig, `workflow ${id}`);
    await rig.fake.waitFor(() => responses(rig, one.responseUrl).length > 0);
    const shown = textOf(responses(rig, one.responseUrl)[0]);
    expect(shown).toContain('new-01');
    expect(shown).toMatch(/commission · Commissioning/);

    // It ends; the notify channel hears of it, as of any operation an agent started.
    for (let i = 0; i < 200 && (await rig.deps.store.getOperation(id))?.state === 'running'; i++) {
      await rig.clock.advance(5_000);
    }
    await rig.fake.waitFor(() =>
      rig.fake.to('/api/chat.postMessage').some((c) => JSON.stringify(c.body).includes(id)),
    );
    const notice = rig.fake.to('/api/chat.postMessage').find((c) => JSON.stringify(c.body).includes(id));
    expect(notice?.body).toMatchObject({ channel: 'CNOTIFY' });
    expect(JSON.stringify(notice?.body)).toMatch(/workflow .*succeeded/);
    // The steps' own operations are part of the run: they post nothing of their own.
    expect(rig.fake.to('/api/chat.postMessage')).toHaveLength(1);
  });
});
