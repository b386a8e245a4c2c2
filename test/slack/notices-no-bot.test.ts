/**
 * Review fixes for completion notices: a Slack app with only a signing secret (no SLACK_BOT_TOKEN) cannot post
 * with the Web API, but the response_url needs no token — the completion notice still arrives through it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FINAL_STATES } from '../../src/store/types.ts';
import { clickAnswer, drive, previewOf, type Rig, responses, slackRig, texts } from './helpers.ts';

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
