/**
 * The start-up banner says when Slack is live: the routes, what to paste into the Slack app (Request URLs for the
 * slash command and interactivity, or nothing with Socket Mode), and that long notices need SLACK_BOT_TOKEN.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { slackBanner } from '../../src/node/slack-banner.ts';

const BASE = 'http://127.0.0.1:8080';

describe('the Slack lines of the banner', () => {
  it('with a signing secret: the routes, and the Request URLs to paste for /maas and interactivity', () => {
    const text = slackBanner(
      BASE,
      parseConfig({
        SLACK_SIGNING_SECRET: 's3cret-0123456789',
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_NOTIFY_CHANNEL: 'C1',
      }),
    );
    expect(text).toContain('Slack: live over HTTP (SLACK_SIGNING_SECRET is set)');
    expect(text).toContain(`Slash command /maas:     ${BASE}/slack/commands`);
    expect(text).toContain(`Interactivity (buttons): ${BASE}/slack/interactions`);
    expect(text).toContain('Slash Commands → /maas → Request URL:     https://YOUR-HOST/slack/commands');
    expect(text).toContain('Interactivity & Shortcuts → Request URL:  https://YOUR-HOST/slack/interactions');
    expect(text).not.toContain('Socket Mode');
    expect(text).not.toContain('Note:');
    // Never the secret itself.
    expect(text).not.toContain('s3cret');
  });

  it('with an app token: Socket Mode, nothing to paste', () => {
    const text = slackBanner(
      BASE,
      parseConfig({ SLACK_APP_TOKEN: 'xapp-1-0123', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_NOTIFY_CHANNEL: 'C1' }),
    );
    expect(text).toMatch(/^Slack: Socket Mode \(SLACK_APP_TOKEN is set\): .*no Request URLs to paste/);
    expect(text).not.toContain('/slack/commands');
  });

  it('without a bot token: says long notices need SLACK_BOT_TOKEN', () => {
    const text = slackBanner(BASE, parseConfig({ SLACK_SIGNING_SECRET: 's3cret-0123456789' }));
    expect(text).toContain('Note: SLACK_BOT_TOKEN is not set');
    expect(text).toContain('which Slack keeps for 30 minutes');
  });

  it('says nothing when Slack is not configured', () => {
    expect(slackBanner(BASE, parseConfig({}))).toBe('');
  });
});
