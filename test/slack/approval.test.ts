/**
 * Human approval for agents (MAAS_MCP_CONFIRM=slack), end to end with a real MCP client: the destructive call
 * becomes an operation awaiting approval, a request with Approve/Deny goes to SLACK_NOTIFY_CHANNEL, approval runs
 * it, denial or expiry refuses it, and the agent sees the outcome through operation_get and a notice.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/access.ts';
import { Poller } from '../../src/core/operations/poller.ts';
import { APPROVAL_TTL_MS } from '../../src/slack/approval.ts';
import { call } from '../helpers.ts';
import {
  approvalValue,
  buttonsOf,
  buttonValue,
  click,
  clickAnswer,
  drive,
  eventually,
  firstResponse,
  hostnames,
  type Msg,
  maasWrites,
  mcpClient,
  opState,
  posts,
  previewOf,
  quiet,
  type Rig,
  slackRig,
  statusOf,
  texts,
  updates,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

const AGENT: Principal = { id: 'agent-7', role: 'operator', via: 'mcp' };

interface Held {
  status: string;
  operation_id: string;
  summary: string;
  operation?: { state: string };
}

/** An agent's MCP client that records the logging notifications it receives. */
async function agent(r: Rig, principal: Principal = AGENT) {
  const client = await mcpClient(r, principal);
  const logs: { level: string; data: unknown }[] = [];
  client.setNotificationHandler('notifications/message', (n) => {
    logs.push({ level: n.params.level, data: n.params.data });
  });
  return { client, logs };
}

/** The agent's call, and the approval request it caused in the notify channel. */
async function held(r: Rig, client: Client, tool: string, args: Record<string, unknown>) {
  const out = await call<Held>(client, tool, args);
  await r.fake.waitFor(() => posts(r, 'CNOTIFY').length > 0);
  const request = posts(r, 'CNOTIFY')[0] as Msg;
  return { out, request, id: out.data.operation_id };
}

/** An agent's release of db-01 with `wait: true`, approved in Slack and seen through; the agent's answer. */
async function approvedWhileWaiting(r: Rig) {
  const { client } = await agent(r);
  const pending = call<Held>(client, 'machine_release', {
    machines: 'db-01',
    wait: true,
    wait_timeout_s: 900,
  });
  await r.fake.waitFor(() => posts(r, 'CNOTIFY').length > 0);
  const id = buttonValue(posts(r, 'CNOTIFY')[0], 'maas:approve').split('.')[0] as string;
  await clickAnswer(r, 'maas:approve', approvalValue(r, id), 'UOPS');
  await drive(r, async () => (await opState(r, id)) === 'succeeded', { stepMs: 5_000 });
  return pending;
}

async function operationGet(client: Client, id: string) {
  return call<{
    operation: { state: string; summary: string; targets: { result: string; error?: string }[] };
  }>(client, 'operation_get', { id });
}

describe('an agent’s destructive call', () => {
  it('returns awaiting_approval with an operation id, changes nothing, and asks CNOTIFY with Approve/Deny', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig);
    const writes = maasWrites(rig);
    const { out, request, id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    expect(out.isError).toBe(false);
    expect(out.data.status).toBe('awaiting_approval');
    expect(id).toMatch(/^op_/);
    expect(out.text).toContain('Nothing has changed yet');
    expect(maasWrites(rig)).toBe(writes);
    expect(statusOf(rig, 'db-01')).toBe('Deployed');
    expect(await opState(rig, id)).toBe('awaiting_approval');

    // The request: who, which tool, which machines, what will happen; buttons for approvers.
    expect(request.channel).toBe('CNOTIFY');
    const shown = texts(request);
    expect(shown).toContain('agent-7 (mcp) asks to release 1 machine');
    expect(shown).toContain(
      '*db-01* Deployed, power on, owner admin → power off, forget its OS and owner (admin); ends Ready',
    );
    expect(shown).toContain(`operation \`${id}\``);
    const [approve, deny] = buttonsOf(request);
    expect(approve).toMatchObject({ action_id: 'maas:approve', style: 'danger' });
    // The operation id, and the secret the held call is sealed with: nothing else opens it.
    expect(approve?.value).toMatch(new RegExp(`^${id}\\.[0-9a-f]{32}$`));
    expect(approve?.confirm?.text.text).toContain('agent-7 (mcp) asks to release');
    expect(deny).toMatchObject({ action_id: 'maas:deny', value: approve?.value });

    const audit = (await rig.deps.store.listAudit()).find((r) => r.result === 'awaiting_approval');
    expect(audit).toMatchObject({
      principal: 'agent-7',
      via: 'mcp',
      tool: 'machine_release',
      operation_id: id,
    });
  });

  it('operation_get shows it awaiting approval', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    const got = await operationGet(client, id);
    expect(got.data.operation.state).toBe('awaiting_approval');
  });
});

describe('approving', () => {
  it('a viewer’s Approve is refused (and audited); nothing runs', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    const writes = maasWrites(rig);
    const { msg } = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UVIEW');
    expect(msg).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(msg.text).toBe('Only people with the operator role can decide this (you are viewer).');
    expect(maasWrites(rig)).toBe(writes);
    expect(await opState(rig, id)).toBe('awaiting_approval');
    const audit = (await rig.deps.store.listAudit()).find((r) => r.principal === 'UVIEW');
    expect(audit).toMatchObject({ via: 'slack', result: 'refused', operation_id: id });
  });

  it('an operator’s Approve runs it; the request is updated; the agent follows it to success and is notified', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client, logs } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    const requestTs = String(rig.fake.to('/api/chat.postMessage')[0]?.reply?.ts);

    const { msg } = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(msg.replace_original).toBe(true);
    expect(texts(msg)).toContain(':white_check_mark: Approved by <@UOPS>: release: 1 done');
    expect(buttonsOf(msg)).toEqual([]);
    expect(statusOf(rig, 'db-01')).toBe('Releasing');
    expect((await operationGet(client, id)).data.operation.state).toBe('running');

    await drive(rig, async () => (await opState(rig, id)) === 'succeeded', { stepMs: 5_000 });
    expect(statusOf(rig, 'db-01')).toBe('Ready');
    const got = await operationGet(client, id);
    expect(got.data.operation.state).toBe('succeeded');
    expect(got.text).toContain('by agent-7 (mcp)');

    await eventually(() => logs.length > 0);
    expect(logs[0]).toEqual({ level: 'info', data: `release ${id} succeeded: 1 of 1 released` });
    // In Slack: the request message now shows the outcome, and the notice is in its thread.
    await rig.fake.waitFor(() => posts(rig, 'CNOTIFY').length === 2);
    expect(updates(rig).at(-1)).toMatchObject({ channel: 'CNOTIFY', ts: requestTs });
    expect(texts(updates(rig).at(-1))).toContain('succeeded: 1/1 done');
    const notice = posts(rig, 'CNOTIFY')[1];
    expect(notice?.thread_ts).toBe(requestTs);
    expect(texts(notice)).toContain(`agent-7 (mcp): :white_check_mark: *release* \`${id}\` succeeded`);

    const records = await rig.deps.store.listAudit({ tool: 'machine_release' });
    expect(records.map((r) => [r.principal, r.via, r.result])).toEqual(
      expect.arrayContaining([
        ['agent-7', 'mcp', 'awaiting_approval'],
        ['UOPS', 'slack', 'approved'],
        ['agent-7', 'mcp', 'ok'],
      ]),
    );
  });

  it('an action MAAS does at once (mark broken) ends the held operation when approved, and the agent is told', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client, logs } = await agent(rig);
    const { id } = await held(rig, client, 'machine_mark_broken', { machines: 'gpu-01', comment: 'fan' });
    await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(statusOf(rig, 'gpu-01')).toBe('Broken');
    expect(await opState(rig, id)).toBe('succeeded');
    await eventually(() => logs.length > 0);
    expect(String(logs[0]?.data)).toContain(`${id} succeeded`);
  });

  // Regression (fixed): when the approved call is one MAAS finishes at once (abort of a deployment; release of an Allocated
  // machine), the agent never gets its notice: startOperation (src/core/operations/service.ts) marks an operation
  // that is final at creation as noticed (`if (!o.announce) op.notice_sent_at = now` — "the caller already has the
  // outcome"), but for an approved call the caller is the Slack approver, not the agent who asked; settleHeld in
  // src/slack/approval.ts then returns early because the state is no longer awaiting_approval. Fix: have approve()
  // start the operation with `announce: true` (e.g. a ToolContext flag passed through executeAction to
  // startOperation), or let settleHeld send the notice when the held operation ended at once.
  it('an approved call MAAS finishes at once still notifies the agent', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client, logs } = await agent(rig);
    const { id } = await held(rig, client, 'machine_abort', { machines: 'lab-02' });
    await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(statusOf(rig, 'lab-02')).toBe('Allocated');
    expect(await opState(rig, id)).toBe('succeeded');
    await new Poller(rig.deps).tick();
    await quiet(100);
    expect(logs.map((l) => String(l.data))).toContainEqual(expect.stringContaining(`${id} succeeded`));
  });

  it('an admin-only tool needs an admin approver', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig, { id: 'agent-root', role: 'admin', via: 'mcp' });
    const { id } = await held(rig, client, 'machine_delete', { machines: 'new-02' });
    const refused = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(refused.msg.text).toBe('Only people with the admin role can decide this (you are operator).');
    expect(hostnames(rig)).toContain('new-02');
    await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UADMIN');
    expect(hostnames(rig)).not.toContain('new-02');
  });

  it('two approvers clicking at once: it runs once', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    const [a, b] = await Promise.all([
      click(rig, 'maas:approve', approvalValue(rig, id), 'UOPS'),
      click(rig, 'maas:approve', approvalValue(rig, id), 'UADMIN'),
    ]);
    const answers = [await firstResponse(rig, a.responseUrl), await firstResponse(rig, b.responseUrl)];
    expect(rig.sim.requests.count({ method: 'POST', op: 'release' })).toBe(1);
    const approved = answers.filter((m) => texts(m).includes('Approved by'));
    const refused = answers.filter((m) => m.response_type === 'ephemeral');
    expect(approved).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.text).toMatch(/Someone else decided this at the same moment|already decided/);
    expect((await rig.deps.store.listAudit()).filter((r) => r.result === 'approved')).toHaveLength(1);
  });

  it('a second Approve after it ran says it was already decided', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    const again = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UADMIN');
    expect(again.msg.text).toBe('This request was already decided (already approved).');
    expect(rig.sim.requests.count({ method: 'POST', op: 'release' })).toBe(1);
  });

  it('an unknown operation id is answered ephemerally', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { msg } = await clickAnswer(rig, 'maas:approve', 'op_doesnotexist', 'UOPS');
    expect(msg).toMatchObject({ response_type: 'ephemeral', text: 'There is no operation op_doesnotexist.' });
  });

  // Regression (fixed): approving runs the held call with `confirmed: true` (approve() in src/slack/approval.ts), which makes the
  // gate skip every check — so the machines are not re-checked against what the approver was shown. Here the
  // request said "release web-05 (Allocated)", a person deployed web-05 meanwhile, and the approval then releases
  // a machine in the middle of its deployment. The Slack Confirm path refuses this ("Since the preview, … is now …").
  // Fix: in approve(), re-plan and compare with the held targets' `status_code` (kept on the operation) before
  // running; refuse (state cancelled, "Since the request, web-05 is now Deploying") when anything changed.
  it('approval re-checks the machines: a machine that changed since the request is not acted on', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'web-05' });
    // Meanwhile a person deploys web-05 from Slack.
    const { nonce } = await previewOf(rig, 'deploy web-05');
    await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(statusOf(rig, 'web-05')).toBe('Deploying');
    const { msg } = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UADMIN');
    expect(rig.sim.requests.count({ method: 'POST', op: 'release' })).toBe(0);
    expect(statusOf(rig, 'web-05')).toBe('Deploying');
    expect(texts(msg)).toMatch(/web-05 is now Deploying/);
  });
});

describe('denying and expiry', () => {
  it('Deny cancels it: nothing changes, operation_get shows cancelled, the agent is notified', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client, logs } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    const writes = maasWrites(rig);
    const { msg } = await clickAnswer(rig, 'maas:deny', approvalValue(rig, id), 'UADMIN');
    expect(msg.replace_original).toBe(true);
    expect(texts(msg)).toContain(':no_entry: Denied by <@UADMIN> — nothing was changed.');
    expect(maasWrites(rig)).toBe(writes);
    expect(statusOf(rig, 'db-01')).toBe('Deployed');
    const got = await operationGet(client, id);
    expect(got.data.operation.state).toBe('cancelled');
    expect(got.data.operation.summary).toContain('denied by UADMIN');
    await eventually(() => logs.length > 0);
    expect(logs[0]?.level).toBe('warning');
    expect(String(logs[0]?.data)).toContain(`${id} cancelled`);
    const denied = (await rig.deps.store.listAudit()).find((r) => r.result === 'denied');
    expect(denied).toMatchObject({ principal: 'UADMIN', via: 'slack', operation_id: id });
    // Approving after a denial does nothing.
    const late = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(late.msg.text).toBe('This request was already decided (cancelled).');
    expect(maasWrites(rig)).toBe(writes);
  });

  it('a viewer’s Deny is refused', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    const { msg } = await clickAnswer(rig, 'maas:deny', approvalValue(rig, id), 'UVIEW');
    expect(msg.response_type).toBe('ephemeral');
    expect(await opState(rig, id)).toBe('awaiting_approval');
  });

  it('nobody deciding within APPROVAL_TTL_MS: the poller cancels it as "approval expired" and tells the agent', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client, logs } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    await drive(rig, async () => (await opState(rig, id)) === 'cancelled', {
      stepMs: APPROVAL_TTL_MS / 10 + 1_000,
    });
    const got = await operationGet(client, id);
    expect(got.data.operation.state).toBe('cancelled');
    expect(got.data.operation.summary).toContain('approval expired');
    expect(got.data.operation.targets[0]?.error).toBe('nobody approved it in time');
    await eventually(() => logs.length > 0);
    expect(String(logs[0]?.data)).toContain(`${id} cancelled`);
    expect(statusOf(rig, 'db-01')).toBe('Deployed');
    // The request in Slack is edited to its outcome (its buttons gone).
    const requestTs = String(rig.fake.to('/api/chat.postMessage')[0]?.reply?.ts);
    await rig.fake.waitFor(() => updates(rig).some((u) => u.ts === requestTs));
    const edited = updates(rig)
      .filter((u) => u.ts === requestTs)
      .at(-1);
    expect(texts(edited)).toContain(`\`${id}\` cancelled`);
    expect(buttonsOf(edited)).toEqual([]);
    const late = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(late.msg.text).toBe('This request was already decided (cancelled).');
    expect(rig.sim.requests.count({ method: 'POST', op: 'release' })).toBe(0);
  });

  // Regression (fixed): an Approve clicked after the request's deadline runs it if the poller has not ticked since (Workers
  // between alarms, a busy or restarted Node process): approve() in src/slack/approval.ts checks
  // `op.state === 'awaiting_approval'` but never `op.deadline_at`. The request said "expires <time>".
  // Fix: in approve() (and deny()), `if (s.deps.clock.now() >= op.deadline_at)` expire it the way the poller does
  // and answer "This request expired at … — nothing was changed."
  it('an Approve after the deadline is refused even before the poller has noticed', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig);
    const { id } = await held(rig, client, 'machine_release', { machines: 'db-01' });
    await rig.clock.advance(APPROVAL_TTL_MS + 60_000);
    await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(rig.sim.requests.count({ method: 'POST', op: 'release' })).toBe(0);
    expect(statusOf(rig, 'db-01')).toBe('Deployed');
  });
});

describe('waiting', () => {
  it('wait: true with a short wait_timeout_s returns the operation still awaiting approval', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const { client } = await agent(rig);
    const pending = call<Held>(client, 'machine_release', {
      machines: 'db-01',
      wait: true,
      wait_timeout_s: 3,
    });
    await rig.fake.waitFor(() => posts(rig, 'CNOTIFY').length > 0);
    await quiet(20);
    await rig.clock.advance(4_000);
    const out = await pending;
    expect(out.data.status).toBe('awaiting_approval');
    expect(out.data.operation?.state).toBe('awaiting_approval');
    expect(await opState(rig, out.data.operation_id)).toBe('awaiting_approval');
    expect(buttonValue(posts(rig, 'CNOTIFY')[0], 'maas:approve')).toBe(
      approvalValue(rig, out.data.operation_id),
    );
  });

  it('wait: true follows the approved operation to its end within the wait', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const out = await approvedWhileWaiting(rig);
    expect(out.data.operation?.state).toBe('succeeded');
    expect(statusOf(rig, 'db-01')).toBe('Ready');
  });

  // Regression (fixed): after `wait: true` saw the approved operation through, the answer still says status "awaiting_approval"
  // and "Waiting for a person to approve this in Slack … Nothing has changed yet." — while db-01 was released. An
  // agent reading `status`/`summary` is told the opposite of what happened. requestApproval (src/slack/approval.ts)
  // returns `{ ...result, operation, note }` with the pre-approval status and summary. Fix: after waitForOperation,
  // derive them from the operation: final and not cancelled → status 'done' with describeOperation() as summary;
  // cancelled → status 'cancelled' ("denied"/"approval expired"); still awaiting → unchanged.
  it('wait: true that saw the approved operation through answers with what happened, not "Nothing has changed yet"', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const out = await approvedWhileWaiting(rig);
    expect(out.data.summary).not.toContain('Nothing has changed yet');
    expect(out.data.status).toBe('done');
  });
});
