/**
 * The Slack part of the start-up banner (`serve` and `demo`): whether Slack is live, the routes it is served on,
 * what to paste into the Slack app for them (or that Socket Mode needs none), and what the settings leave out.
 */
import type { Config } from '../config.ts';
import { slackSetupWarnings } from '../slack.ts';

/** The banner's Slack lines for a server at `base` (e.g. http://127.0.0.1:8080); empty when Slack is off. */
export function slackBanner(base: string, config: Pick<Config, 'slack'>): string {
  const cfg = config.slack;
  const lines: string[] = [];
  if (cfg.signingSecret) {
    lines.push(
      'Slack: live over HTTP (SLACK_SIGNING_SECRET is set).',
      `  Slash command /maas:     ${base}/slack/commands`,
      `  Interactivity (buttons): ${base}/slack/interactions`,
      '  In your Slack app (slack/manifest.yml), paste the public https address of these routes:',
      '    Slash Commands → /maas → Request URL:     https://YOUR-HOST/slack/commands',
      '    Interactivity & Shortcuts → Request URL:  https://YOUR-HOST/slack/interactions',
      '  (YOUR-HOST: how Slack reaches this server — a reverse proxy or tunnel in front of it.)',
    );
  }
  if (cfg.appToken) {
    lines.push(
      'Slack: Socket Mode (SLACK_APP_TOKEN is set): Slack is reached over an outbound connection — no Request URLs to paste; turn Socket Mode on in the app (socket_mode_enabled: true in slack/manifest.yml).',
    );
  }
  if (!cfg.signingSecret && !cfg.appToken && cfg.botToken) {
    lines.push(
      'Slack: notices and approval requests only (SLACK_BOT_TOKEN is set); set SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode) for /maas.',
    );
  }
  for (const warning of slackSetupWarnings(cfg)) lines.push(`  Note: ${warning}`);
  return lines.join('\n');
}
