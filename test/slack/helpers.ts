/** Wiring for Slack tests: a simulator, Deps, the Slack adapter, the Hono app, a fake Slack and signed requests. */
import type { ManualClock } from '../../src/core/clock.ts';
import { createApp } from '../../src/server.ts';
import { createSlack } from '../../src/slack.ts';
import { sign } from '../../src/slack/verify.ts';
import { simDeps } from '../helpers.ts';
import { FakeSlack } from './fake-slack.ts';

export const SECRET = 'test-signing-secret-0123456789';
export const BOT = 'xoxb-test-bot-token-0123456789';

export async function slackRig(env: Record<string, string> = {}) {
  const fake = await new FakeSlack().start();
  const { sim, deps, clock } = simDeps({
    env: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: BOT,
      SLACK_API_URL: `${fake.url}/api/`,
      SLACK_ROLES: 'UADMIN:admin,UOPS:operator,SOPS:operator,*:viewer',
      SLACK_NOTIFY_CHANNEL: 'CNOTIFY',
      ...env,
    },
  });
  const slack = createSlack(deps, { fetch: (input, init) => globalThis.fetch(input, init) });
  if (!slack) throw new Error('Slack not configured');
  deps.notify.subscribe(slack.notices);
  deps.approvals = slack.requestApproval;
  const http = createApp(deps, { localPrincipal: { id: 'local', role: 'admin', via: 'mcp' }, slack });
  const close = async () => {
    await http.close();
    sim.close();
    await fake.close();
  };
  return { fake, sim, deps, clock: clock as ManualClock, slack, app: http.app, close };
}

export type Rig = Awaited<ReturnType<typeof slackRig>>;

/** Headers of a correctly signed Slack request at the clock's time. */
export async function signedHeaders(body: string, nowMs: number, secret = SECRET): Promise<Record<string, string>> {
  const ts = String(Math.floor(nowMs / 1000));
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': ts,
    'x-slack-signature': await sign(secret, ts, body),
  };
}

/** Sends `/maas <text>` as `user` in `channel`; returns the ack and the response_url it was given. */
export async function command(rig: Rig, text: string, user = 'UOPS', channel = 'CCHAN') {
  const responseUrl = rig.fake.responseUrl();
  const body = new URLSearchParams({
    command: '/maas',
    text,
    user_id: user,
    channel_id: channel,
    team_id: 'T1',
    response_url: responseUrl,
  }).toString();
  const res = await rig.app.request('http://127.0.0.1/slack/commands', {
    method: 'POST',
    headers: await signedHeaders(body, rig.clock.now()),
    body,
  });
  return { res, responseUrl: responseUrl.slice(rig.fake.url.length) };
}

/** Clicks a button (`action_id`, `value`) as `user`; returns the ack and the response_url path. */
export async function click(rig: Rig, action: string, value: string, user = 'UOPS') {
  const responseUrl = rig.fake.responseUrl();
  const payload = { type: 'block_actions', user: { id: user }, actions: [{ action_id: action, value }], response_url: responseUrl };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const res = await rig.app.request('http://127.0.0.1/slack/interactions', {
    method: 'POST',
    headers: await signedHeaders(body, rig.clock.now()),
    body,
  });
  return { res, responseUrl: responseUrl.slice(rig.fake.url.length) };
}

/** The messages posted to one response_url path. */
export function responses(rig: Rig, path: string): Record<string, unknown>[] {
  return rig.fake.to(path).map((c) => c.body);
}

/** Every text in a message's blocks, flattened (for assertions). */
export function textOf(msg: Record<string, unknown> | undefined): string {
  return JSON.stringify(msg ?? {});
}
