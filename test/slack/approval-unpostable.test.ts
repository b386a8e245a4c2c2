/**
 * When an approval request cannot be posted to SLACK_NOTIFY_CHANNEL, no invisible operation
 * waits 30 minutes for an approval nobody can give — it is cancelled, audited, and the agent is told in plain
 * words what to fix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../helpers.ts';
import { maasWrites, mcpClient, type Rig, slackRig } from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

describe('an approval request that cannot be posted', () => {
  it('the bot is not in the notify channel: the agent is refused in plain words, the operation cancelled', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    rig.fake.notIn.add('CNOTIFY');
    const writes = maasWrites(rig);
    const client = await mcpClient(rig, { id: 'agent-7', role: 'operator', via: 'mcp' });
    const out = await call(client, 'machine_release', { machines: 'db-01' });
    expect(out.isError).toBe(true);
    expect(out.text).toContain(
      'could not post the approval request to #CNOTIFY: the bot is not in that channel — invite it',
    );
    expect(out.text).not.toContain('not_in_channel');
    const ops = await rig.deps.store.listOperations();
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ state: 'cancelled', pending_call: null });
    expect(ops.filter((o) => o.state === 'awaiting_approval')).toEqual([]);
    expect(maasWrites(rig)).toBe(writes);
    const audit = await rig.deps.store.listAudit({});
    expect(audit.find((e) => e.result === 'refused' && e.operation_id === ops[0]?.id)?.detail).toContain(
      'the bot is not in that channel',
    );
  });

  it('a Slack error is put in words (a missing scope)', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack', SLACK_NOTIFY_CHANNEL: 'CGONE' });
    rig.fake.failing.add('chat.postMessage');
    const client = await mcpClient(rig, { id: 'agent-7', role: 'operator', via: 'mcp' });
    const out = await call(client, 'machine_release', { machines: 'db-01' });
    expect(out.isError).toBe(true);
    // The fake answers missing_scope for a failing method.
    expect(out.text).toContain(
      'could not post the approval request to #CGONE: the bot lacks the chat:write scope',
    );
    expect((await rig.deps.store.listOperations())[0]?.state).toBe('cancelled');
  });
});
