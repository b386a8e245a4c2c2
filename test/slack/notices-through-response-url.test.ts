/**
 * Completion notices without a bot: a Slack app with only a signing secret (no SLACK_BOT_TOKEN) cannot post with
 * the Web API, but the response_url needs no token — the completion notice still arrives through it, within the
 * 30 minutes Slack keeps a response_url; and the result message says exactly that, not "in this thread".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FINAL_STATES } from '../../src/store/types.ts';
import { clickAnswer, drive, type Msg, previewOf, type Rig, responses, slackRig, texts } from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

describe('completion notices without a bot token', () => {
  it('a confirmed deploy’s notice arrives through the click’s response_url (in the channel)', async () => {
    rig = await slackRig({ SLACK_BOT_TOKEN: '' }, { timeScale: 0.1 });
    expect(rig.slack.context.api).toBeUndefined();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    const click = await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    // No bot: the result itself came back through the response_url, replacing the preview.
    expect(click.msg).toMatchObject({ response_type: 'in_channel', replace_original: true });
    const [op] = await rig.deps.store.listOperations();
    if (!op) throw new Error('no operation started');
    await drive(rig, async () => {
      const now = await rig.deps.store.getOperation(op.id);
      return now !== undefined && FINAL_STATES.has(now.state) && now.notice_sent_at !== null;
    });
    await rig.fake.waitFor(() => responses(rig, click.responseUrl).length === 2);
    const notice = responses(rig, click.responseUrl)[1] as Record<string, unknown>;
    expect(notice.response_type).toBe('in_channel');
    expect(texts(notice)).toContain(`<@UOPS> :white_check_mark: *deploy* \`${op.id}\` succeeded: 1/1 done`);
    // Nothing tried the Web API.
    expect(rig.fake.to('/api/')).toEqual([]);
  });
});

describe('what the result message promises about the notice', () => {
  /** Confirms `/maas <text>` as UOPS; returns the result message (from the bot or the response_url). */
  async function result(r: Rig, text: string) {
    const { nonce } = await previewOf(r, text);
    const click = await clickAnswer(r, 'maas:confirm', nonce, 'UOPS');
    if (click.msg.delete_original) {
      // Posted by the bot: the result is the channel post.
      const [posted] = r.fake.to('/api/chat.postMessage').map((c) => c.body);
      return texts(posted as Msg);
    }
    return texts(click.msg);
  }

  it('without a bot token, says a notice follows only within 30 minutes, and how to follow a longer one', async () => {
    rig = await slackRig({ SLACK_BOT_TOKEN: '' });
    const shown = await result(rig, 'deploy web-01');
    const [op] = await rig.deps.store.listOperations();
    expect(shown).not.toContain('in this thread');
    expect(shown).toContain(
      `operation \`${op?.id}\` — a notice follows here only if it ends within 30 minutes (without a bot token, Slack lets maas-mcp answer a command for 30 minutes); otherwise follow it with \`/maas op ${op?.id}\``,
    );
  });

  it('when the bot is not in the channel, says so and what to do', async () => {
    rig = await slackRig();
    rig.fake.notIn.add('CCHAN');
    const shown = await result(rig, 'deploy web-01');
    expect(shown).not.toContain('in this thread');
    expect(shown).toMatch(
      /the bot is not in this channel, so a notice follows here only if it ends within 30 minutes; invite the bot, or follow it with `\/maas op op_\w+`/,
    );
  });

  it('with the bot posting the result, promises the notice in its thread', async () => {
    rig = await slackRig();
    expect(await result(rig, 'deploy web-01')).toMatch(
      /operation `op_\w+` — a notice follows in this thread when MAAS has finished/,
    );
  });

  it('promises no notice for an operation that was over when MAAS answered', async () => {
    rig = await slackRig();
    const shown = await result(rig, 'release web-05');
    expect(shown).toMatch(/operation `op_\w+`/);
    expect(shown).not.toContain('notice follows');
  });
});
