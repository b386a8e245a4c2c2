/**
 * The Node process scrubs every secret the settings hold from its log lines — the MCP auth tokens and the Slack
 * signing secret included — and the demo simulator's key once the demo starts: the logger and Deps share one set.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { nodeLogging, startDeps } from '../../src/node.ts';

const AUTH_TOKEN = 'mcp-auth-token-0123456789abcdef';
const SIGNING_SECRET = 'slack-signing-secret-0123456789';

function rig() {
  const config = parseConfig({
    MCP_AUTH_TOKENS: `${AUTH_TOKEN}:alice:operator`,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
  });
  const lines: string[] = [];
  const logging = nodeLogging(config, 'info', (line) => lines.push(line));
  return { config, lines, logging };
}

describe('the Node logger', () => {
  it('scrubs an MCP auth token and the Slack signing secret', () => {
    const { lines, logging } = rig();
    logging.log.error('request failed', {
      error: new Error(`bad header Bearer ${AUTH_TOKEN}`),
      note: `signed with ${SIGNING_SECRET}`,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(AUTH_TOKEN);
    expect(lines[0]).not.toContain(SIGNING_SECRET);
    expect(lines[0]).toContain('[redacted]');
  });

  it('shares its secrets with Deps, which add the demo simulator key when the demo starts', async () => {
    const { config, lines, logging } = rig();
    const started = await startDeps(config, { demo: true, machines: 2 }, true, logging);
    try {
      expect(started.deps.secrets).toBe(logging.secrets);
      const key = started.sim?.users.admin.apiKey ?? '';
      expect(key).not.toBe('');
      logging.log.warn(`MAAS refused ${key}`, { parts: key.split(':') });
      const line = lines.at(-1) ?? '';
      for (const part of [key, ...key.split(':')]) expect(line).not.toContain(part);
      expect(started.deps.secrets.scrub(`token ${AUTH_TOKEN}`)).toBe('token [redacted]');
    } finally {
      await started.close();
    }
  });
});

describe('Slack settings at start', () => {
  it('warns that notices of operations longer than 30 minutes need SLACK_BOT_TOKEN when it is missing', async () => {
    const { config, lines, logging } = rig();
    const started = await startDeps(config, { demo: true, machines: 2 }, true, logging);
    await started.close();
    const warning = lines
      .map((l) => JSON.parse(l) as { level: string; msg: string })
      .find((l) => /SLACK_BOT_TOKEN/.test(l.msg));
    expect(warning?.level).toBe('warn');
    expect(warning?.msg).toMatch(
      /response_url, which Slack keeps for 30 minutes — operations that take longer .* end without a Slack notice/,
    );
  });

  it('says nothing of the kind when a bot token is set', async () => {
    const config = parseConfig({
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_NOTIFY_CHANNEL: 'C1',
    });
    const lines: string[] = [];
    const started = await startDeps(
      config,
      { demo: true, machines: 2 },
      true,
      nodeLogging(config, 'info', (l) => lines.push(l)),
    );
    await started.close();
    expect(lines.join('\n')).not.toContain('SLACK_BOT_TOKEN');
  });
});
