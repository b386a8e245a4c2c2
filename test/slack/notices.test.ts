/**
 * Completion notices and progress, as the fake Slack records them: progress edits one message (chat.update, at
 * most every 10 s), the outcome is posted in the result's thread mentioning the requester, failures carry MAAS's
 * reason, operations started elsewhere go to SLACK_NOTIFY_CHANNEL, and the response_url is a bounded fallback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Poller } from '../../src/core/operations/poller.ts';
import { FINAL_STATES, type Operation } from '../../src/store/types.ts';
import { call } from '../helpers.ts';
import {
  clickAnswer,
  drive,
  mcpClient,
  posts,
  previewOf,
  quiet,
  type Rig,
  responses,
  slackRig,
  texts,
  updates,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

/** Previews and confirms `text` as UOPS in CCHAN; returns the operation and the click's response_url path. */
async function confirmed(r: Rig, text: string) {
  const { nonce } = await previewOf(r, text, 'UOPS', 'CCHAN');
  const click = await clickAnswer(r, 'maas:confirm', nonce, 'UOPS');
  const [op] = await r.deps.store.listOperations();
  if (!op) throw new Error('no operation started');
  return { op, clickUrl: click.responseUrl };
}

async function finished(r: Rig, id: string): Promise<boolean> {
  const op = await r.deps.store.getOperation(id);
  return op !== undefined && FINAL_STATES.has(op.state) && op.notice_sent_at !== null;
}

describe('progress and completion in the thread', () => {
  it('edits one message with progress (bounded edits) and posts the outcome in its thread, mentioning the requester', async () => {
    rig = await slackRig();
    const { op } = await confirmed(rig, 'deploy web-01 web-02 distro_series=jammy');
    const result = rig.fake.to('/api/chat.postMessage')[0];
    const resultTs = String(result?.reply?.ts);
    expect(result?.body.channel).toBe('CCHAN');
    const poller = new Poller(rig.deps);
    const start = rig.clock.now();
    const ticks = await drive(rig, () => finished(rig, op.id), { poller, stepMs: 5_000 });
    await quiet(20);
    const elapsedS = (rig.clock.now() - start) / 1000;
    expect(ticks).toBeGreaterThan(20);

    // Progress: only edits of the one result message, never more than one per 10 s, far fewer than ticks.
    const edits = updates(rig);
    expect(edits.length).toBeGreaterThan(1);
    expect(edits.length).toBeLessThanOrEqual(Math.ceil(elapsedS / 10) + 2);
    expect(edits.length).toBeLessThan(ticks);
    for (const e of edits) expect(e).toMatchObject({ channel: 'CCHAN', ts: resultTs });
    expect(texts(edits.at(-1))).toMatch(/succeeded: 2\/2 done/);
    expect(texts(edits[0])).toMatch(/running: \d\/2 done/);

    // Completion: one post in the result's thread, mentioning who asked, each machine's final status.
    const all = posts(rig);
    expect(all).toHaveLength(2);
    const notice = all[1];
    expect(notice).toMatchObject({ channel: 'CCHAN', thread_ts: resultTs });
    const shown = texts(notice);
    expect(shown).toMatch(/^deploy op_\w+ succeeded/);
    expect(shown).toContain(`<@UOPS> :white_check_mark: *deploy* \`${op.id}\` succeeded: 2/2 done`);
    expect(shown).toContain(':white_check_mark: *web-01* Deployed');
    expect(shown).toContain(':white_check_mark: *web-02* Deployed');
    // Nothing went to the notify channel: this operation has a home.
    expect(posts(rig, 'CNOTIFY')).toEqual([]);
  });

  it('a failure names the machine and MAAS’s reason', async () => {
    rig = await slackRig({}, { timeScale: 0.1 });
    rig.sim.control.failTransition('web-02', 'deploy', {
      message: 'Curtin failed: no space left on /dev/sda',
    });
    const { op } = await confirmed(rig, 'deploy web-01 web-02');
    const resultTs = String(rig.fake.to('/api/chat.postMessage')[0]?.reply?.ts);
    await drive(rig, () => finished(rig, op.id), { stepMs: 2_000 });
    await quiet(20);
    expect(posts(rig, 'CCHAN')).toHaveLength(2);
    const notice = posts(rig, 'CCHAN').at(-1);
    const shown = texts(notice);
    // In the thread of the result message the click posted.
    expect(notice?.thread_ts).toBe(resultTs);
    expect(shown).toContain(`partial: 1/2 done, 1 failed`);
    expect(shown).toContain(':white_check_mark: *web-01* Deployed');
    expect(shown).toMatch(/:x: \*web-02\* Failed deployment — Curtin failed: no space left on \/dev\/sda/);
    expect(shown).toContain('<@UOPS>');
  });

  it('an operation started over MCP notifies SLACK_NOTIFY_CHANNEL, naming the requester', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'off' }, { timeScale: 0.1 });
    const client = await mcpClient(rig, { id: 'agent-9', role: 'operator', via: 'mcp' });
    const out = await call<{ operation_id: string }>(client, 'machine_release', { machines: 'db-01' });
    expect(out.isError).toBe(false);
    await drive(rig, () => finished(rig, out.data.operation_id), { stepMs: 2_000 });
    await quiet(20);
    const [notice] = posts(rig, 'CNOTIFY');
    expect(notice?.thread_ts).toBeUndefined();
    expect(texts(notice)).toContain(
      `agent-9 (mcp): :white_check_mark: *release* \`${out.data.operation_id}\` succeeded: 1/1 done`,
    );
    expect(texts(notice)).toContain('*db-01* Ready');
    expect(posts(rig)).toHaveLength(1);
  });
});

describe('the response_url fallback', () => {
  it('when the bot is not in the channel, the notice goes to the response_url (in_channel)', async () => {
    rig = await slackRig({}, { timeScale: 0.1 });
    rig.fake.notIn.add('CCHAN');
    const { op, clickUrl } = await confirmed(rig, 'deploy web-01');
    expect(responses(rig, clickUrl)).toHaveLength(1); // the result, replacing the preview
    await drive(rig, () => finished(rig, op.id), { stepMs: 2_000 });
    await rig.fake.waitFor(() => responses(rig, clickUrl).length === 2);
    const notice = responses(rig, clickUrl)[1] as Record<string, unknown>;
    expect(notice.response_type).toBe('in_channel');
    expect(JSON.stringify(notice)).toContain(`<@UOPS> :white_check_mark: *deploy* \`${op.id}\` succeeded`);
  });

  it('… but not after 30 minutes (the response_url has expired)', async () => {
    rig = await slackRig();
    rig.fake.notIn.add('CCHAN');
    const { op, clickUrl } = await confirmed(rig, 'deploy web-01');
    // The deploy completes in MAAS while nobody polls; the first look is 31 minutes later.
    await rig.clock.advance(31 * 60_000);
    await new Poller(rig.deps).tick();
    expect(await finished(rig, op.id)).toBe(true);
    await quiet(50);
    expect(responses(rig, clickUrl)).toHaveLength(1);
    // The bot did try the channel.
    expect(rig.fake.to('/api/chat.postMessage').map((c) => c.reply?.error)).toContain('not_in_channel');
  });

  it('… and at most 5 times for one operation (Slack’s limit), even while it keeps failing', async () => {
    rig = await slackRig();
    rig.fake.notIn.add('CCHAN');
    const { op, clickUrl } = await confirmed(rig, 'deploy web-01');
    const stored = (await rig.deps.store.getOperation(op.id)) as Operation;
    const done: Operation = {
      ...stored,
      state: 'succeeded',
      targets: stored.targets.map((t) => ({ ...t, result: 'succeeded', status: 'Deployed' })),
    };
    // Slack's side fails every time (a 500 is worth another try): each try spends one of the five uses.
    rig.fake.failNext(clickUrl, { status: 500 }, 10);
    const outcomes: string[] = [];
    for (let i = 0; i < 7; i++)
      outcomes.push(
        await rig.slack.notices.finished(done).then(
          () => 'done',
          (e: Error) => e.name,
        ),
      );
    expect(outcomes).toEqual([
      'RetryLater',
      'RetryLater',
      'RetryLater',
      'RetryLater',
      'RetryLater',
      'done',
      'done',
    ]);
    // One answer replaced the preview; then five tries, no more.
    expect(responses(rig, clickUrl)).toHaveLength(1 + 5);
  });
});

describe('progress edits', () => {
  it('are skipped for operations without a Slack message, and never flood: one edit per 10 s at most', async () => {
    rig = await slackRig();
    const { op } = await confirmed(rig, 'deploy web-01');
    const stored = (await rig.deps.store.getOperation(op.id)) as Operation;
    // Ten progress reports within 9 seconds: one edit.
    for (let i = 0; i < 10; i++) {
      await rig.slack.notices.progress(stored);
      await rig.clock.advance(900);
    }
    expect(updates(rig)).toHaveLength(1);
    await rig.clock.advance(2_000);
    await rig.slack.notices.progress(stored);
    expect(updates(rig)).toHaveLength(2);
    // An operation no Slack message belongs to is never edited.
    await rig.slack.notices.progress({ ...stored, id: 'op_other', notify: [{ kind: 'mcp' }] });
    expect(updates(rig)).toHaveLength(2);
  });
});
