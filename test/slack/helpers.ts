/**
 * Wiring for Slack tests: a simulator, Deps, the Slack adapter, the Hono app, a fake Slack and signed requests,
 * and Bolt (Socket Mode) fed through a fake Receiver.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { ManualClock } from '../../src/base/clock.ts';
import { silentLogger } from '../../src/base/log.ts';
import type { Principal } from '../../src/core/access.ts';
import type { Deps } from '../../src/core/deps.ts';
import { Poller } from '../../src/core/operations/poller.ts';
import { statusLabel } from '../../src/maas/status.ts';
import { createSlackApp } from '../../src/node/slack-socket.ts';
import { SqliteStore } from '../../src/node/sqlite-store.ts';
import { createApp } from '../../src/server.ts';
import type { SimMachine } from '../../src/sim/index.ts';
import { sign } from '../../src/slack/verify.ts';
import { createSlack } from '../../src/slack.ts';
import type { Store } from '../../src/store/types.ts';
import { connectClient, depsFor, simDeps, node as simNode } from '../helpers.ts';
import { FakeSlack, type SlackCall } from './fake-slack.ts';

export const SECRET = 'test-signing-secret-0123456789';
export const BOT = 'xoxb-test-bot-token-0123456789';

/** Simulator options a Slack test may change (fleet size, how fast MAAS works), and the store to use. */
export interface RigSimOptions {
  machines?: number;
  timeScale?: number;
  store?: Store;
  /** The clock (default: a manual clock at a fixed date). */
  clock?: ManualClock;
}

export async function slackRig(env: Record<string, string> = {}, simOpts: RigSimOptions = {}) {
  const fake = await new FakeSlack().start();
  const settings = {
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: BOT,
    SLACK_API_URL: `${fake.url}/api/`,
    SLACK_ROLES: 'UADMIN:admin,UOPS:operator,SOPS:operator,*:viewer',
    SLACK_NOTIFY_CHANNEL: 'CNOTIFY',
    ...env,
  };
  const { sim, deps, clock } = simDeps({ ...simOpts, env: settings });
  const slack = withSlack(deps);
  const http = createApp(deps, { localPrincipal: { id: 'local', role: 'admin', via: 'mcp' }, slack });
  /** Every ack body the routes answered with (for secret scans). */
  const acks: string[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await http.close();
    sim.close();
    await fake.close();
  };
  return {
    fake,
    sim,
    deps,
    clock: clock as ManualClock,
    slack,
    app: http.app,
    acks,
    cleanups,
    close,
    /** Deps and Slack of a maas-mcp started again on `store`, against the same MAAS, clock and fake Slack. */
    restart: (store: Store) => {
      const again = depsFor(sim, clock, { env: settings, store });
      return { deps: again, slack: withSlack(again) };
    },
  };
}

/** The Slack adapter on `deps`, posting notices and answering approvals (as the entry points wire it). */
function withSlack(deps: Deps) {
  const slack = createSlack(deps, { fetch: (input, init) => globalThis.fetch(input, init) });
  if (!slack) throw new Error('Slack not configured');
  deps.notify.subscribe(slack.notices);
  deps.notify.subscribe(slack.home);
  deps.requestApproval = slack.requestApproval;
  return slack;
}

export type Rig = Awaited<ReturnType<typeof slackRig>>;

/**
 * A rig whose store is a SQLite file (reading the rig's manual clock), as a Node server has; the file goes when
 * the rig is closed. `path` is the file, for what a person with the disk could read.
 */
export async function sqliteRig(
  env: Record<string, string> = {},
  simOpts: Omit<RigSimOptions, 'store'> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-slack-'));
  const path = join(dir, 'maas-mcp.db');
  let now = () => Date.now();
  const store = SqliteStore.open(path, { now: () => now() });
  const rig = await slackRig(env, { ...simOpts, store });
  now = () => rig.clock.now();
  rig.cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { rig, store, path };
}

/** Headers of a correctly signed Slack request at the clock's time. */
export async function signedHeaders(
  body: string,
  nowMs: number,
  secret = SECRET,
): Promise<Record<string, string>> {
  const ts = String(Math.floor(nowMs / 1000));
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': ts,
    'x-slack-signature': await sign(secret, ts, body),
  };
}

/** The form body of `/maas <text>` as Slack sends it. */
export function commandBody(
  rig: Rig,
  text: string,
  user = 'UOPS',
  channel = 'CCHAN',
  responseUrl = rig.fake.responseUrl(),
) {
  return new URLSearchParams({
    command: '/maas',
    text,
    user_id: user,
    channel_id: channel,
    team_id: 'T1',
    response_url: responseUrl,
  }).toString();
}

/** POSTs a raw body to one of the Slack routes with the given headers, recording the ack body. */
export async function post(
  rig: Rig,
  route: 'commands' | 'interactions',
  body: string,
  headers: Record<string, string>,
) {
  const res = await rig.app.request(`http://127.0.0.1/slack/${route}`, { method: 'POST', headers, body });
  rig.acks.push(await res.clone().text());
  return res;
}

/** Sends `/maas <text>` as `user` in `channel`; returns the ack and the response_url path it was given. */
export async function command(rig: Rig, text: string, user = 'UOPS', channel = 'CCHAN') {
  const responseUrl = rig.fake.responseUrl();
  const body = commandBody(rig, text, user, channel, responseUrl);
  const res = await post(rig, 'commands', body, await signedHeaders(body, rig.clock.now()));
  return { res, responseUrl: responseUrl.slice(rig.fake.url.length) };
}

/** The form body of a button click. */
export function clickBody(
  action: string,
  value: string,
  user: string,
  responseUrl: string,
  channel = 'CCHAN',
) {
  const payload = {
    type: 'block_actions',
    user: { id: user },
    channel: { id: channel },
    actions: [{ action_id: action, value }],
    response_url: responseUrl,
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Clicks a button (`action_id`, `value`) as `user`; returns the ack and the response_url path. */
export async function click(rig: Rig, action: string, value: string, user = 'UOPS') {
  const responseUrl = rig.fake.responseUrl();
  const body = clickBody(action, value, user, responseUrl);
  const res = await post(rig, 'interactions', body, await signedHeaders(body, rig.clock.now()));
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

/** A Slack message as the tests read it. */
export interface Msg {
  response_type?: string;
  text?: string;
  replace_original?: boolean;
  delete_original?: boolean;
  thread_ts?: string;
  channel?: string;
  ts?: string;
  blocks?: Block[];
}

export interface Block {
  type: string;
  text?: { type: string; text: string };
  fields?: { type: string; text: string }[];
  elements?: Element[];
}

export interface Element {
  type: string;
  text?: string | { type: string; text: string };
  action_id?: string;
  value?: string;
  style?: string;
  confirm?: {
    title: { text: string };
    text: { text: string };
    confirm: { text: string };
    deny: { text: string };
    style?: string;
  };
}

/** Waits for the first answer posted to a response_url path. */
export async function firstResponse(rig: Rig, path: string, ms = 5_000): Promise<Msg> {
  await rig.fake.waitFor(() => responses(rig, path).length > 0, ms);
  return responses(rig, path)[0] as Msg;
}

/** Runs `/maas <text>` and waits for its answer. */
export async function answer(rig: Rig, text: string, user = 'UOPS', channel = 'CCHAN') {
  const { res, responseUrl } = await command(rig, text, user, channel);
  const msg = await firstResponse(rig, responseUrl);
  return { res, responseUrl, msg };
}

/** Clicks a button and waits for what came back through the click's response_url. */
export async function clickAnswer(rig: Rig, action: string, value: string, user = 'UOPS') {
  const { res, responseUrl } = await click(rig, action, value, user);
  const msg = await firstResponse(rig, responseUrl);
  return { res, responseUrl, msg };
}

/** Every mrkdwn/plain text of a message (top-level text and block texts), joined by newlines. */
export function texts(msg: Msg | undefined): string {
  if (!msg) return '';
  const out: string[] = [msg.text ?? ''];
  for (const b of msg.blocks ?? []) {
    if (b.text) out.push(b.text.text);
    for (const f of b.fields ?? []) out.push(f.text);
    for (const e of b.elements ?? []) {
      if (typeof e.text === 'string') out.push(e.text);
      else if (e.text) out.push(e.text.text);
    }
  }
  return out.join('\n');
}

/** The buttons of a message's first actions block. */
export function buttonsOf(msg: Msg | undefined): Element[] {
  return msg?.blocks?.find((b) => b.type === 'actions')?.elements ?? [];
}

/** The value behind the message's `action` button (a confirmation nonce or an operation id). */
export function buttonValue(msg: Msg | undefined, action = 'maas:confirm'): string {
  const v = buttonsOf(msg).find((e) => e.action_id === action)?.value;
  if (!v) throw new Error(`no ${action} button in ${JSON.stringify(msg)}`);
  return v;
}

/**
 * What the Approve/Deny buttons of operation `opId`'s approval request carry: its id and the secret its held
 * call is sealed with (src/slack/sealed.ts).
 */
export function approvalValue(r: Rig, opId: string): string {
  for (const msg of posts(r)) {
    const v = buttonsOf(msg).find((e) => e.action_id === 'maas:approve')?.value;
    if (v?.startsWith(`${opId}.`)) return v;
  }
  throw new Error(`no approval request for ${opId}`);
}

/** Runs a destructive command and returns its preview and the nonce behind its buttons. */
export async function previewOf(rig: Rig, text: string, user = 'UOPS', channel = 'CCHAN') {
  const a = await answer(rig, text, user, channel);
  return { ...a, nonce: buttonValue(a.msg) };
}

/** chat.postMessage calls (bodies), in order. */
export function posts(rig: Rig, channel?: string): Msg[] {
  return rig.fake
    .to('/api/chat.postMessage')
    .map((c) => c.body as Msg)
    .filter((b) => channel === undefined || b.channel === channel);
}

/** chat.update calls (bodies), in order. */
export function updates(rig: Rig): Msg[] {
  return rig.fake.to('/api/chat.update').map((c) => c.body as Msg);
}

/** A simulated machine by hostname (throws when there is none), read-only. */
export function node(rig: Rig, hostname: string): SimMachine {
  return simNode(rig.sim, hostname);
}

/** The hostnames of every machine the simulator holds. */
export function hostnames(rig: Rig): string[] {
  return rig.sim.control.machines().map((m) => m.hostname);
}

/** A simulated machine's status label, e.g. "Deploying". */
export function statusOf(rig: Rig, hostname: string): string {
  return statusLabel(node(rig, hostname).status);
}

/** Writes (POST/PUT/DELETE) the simulator received. */
export function maasWrites(rig: Rig): number {
  return rig.sim.requests.entries.filter((e) => e.method !== 'GET').length;
}

/** Lets in-flight work after an ack run (real time) — for asserting that nothing happened. */
export function quiet(ms = 60): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Drives the poller on the manual clock (`stepMs` per tick) until `done` holds or `maxSteps` ticks ran; returns
 * how many ticks it took.
 */
export async function drive(
  rig: Rig,
  done: () => boolean | Promise<boolean>,
  opts: { poller?: Poller; stepMs?: number; maxSteps?: number } = {},
): Promise<number> {
  const poller = opts.poller ?? new Poller(rig.deps);
  const max = opts.maxSteps ?? 400;
  for (let i = 1; i <= max; i++) {
    await rig.clock.advance(opts.stepMs ?? 5_000);
    await poller.tick();
    if (await done()) return i;
  }
  throw new Error(`poller: condition not met after ${max} ticks`);
}

/** An operation's state in the store. */
export async function opState(rig: Rig, id: string): Promise<string | undefined> {
  return (await rig.deps.store.getOperation(id))?.state;
}

/** An MCP client on the rig's Deps (closed with the rig). */
export async function mcpClient(rig: Rig, principal?: Principal) {
  const c = await connectClient(rig.deps, principal ? { principal } : {});
  rig.cleanups.push(() => c.close());
  return c.client;
}

export type { SlackCall };

/** Waits (real time, bounded) until `pred` holds — for what arrives asynchronously outside the fake Slack. */
export async function eventually(pred: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---------------------------------------------------------------- Socket Mode (Bolt)

/** A Receiver that never opens a socket: tests push events into the app it was given. */
export class FakeReceiver implements Receiver {
  app: App | undefined;
  started = false;
  init(app: App): void {
    this.app = app;
  }
  async start(): Promise<void> {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.started = false;
  }
}

/** The Slack Bolt app (Socket Mode) on the rig, with a {@link FakeReceiver}. */
export function boltApp(r: Rig) {
  const receiver = new FakeReceiver();
  const app = createSlackApp(r.slack, r.deps.config, silentLogger, { receiver });
  return { app, receiver };
}

/** Feeds one event through Bolt; returns what it was acked with. */
export async function feed(app: App, body: Record<string, unknown>) {
  const acks: unknown[] = [];
  const event: ReceiverEvent = {
    body,
    ack: async (response?: unknown) => {
      acks.push(response);
    },
  };
  await app.processEvent(event);
  return acks;
}

/** The body of a `/maas <text>` slash command as Bolt receives it in Socket Mode, and its response_url path. */
export function slashBody(r: Rig, text: string, user = 'UOPS') {
  const responseUrl = r.fake.responseUrl();
  return {
    path: responseUrl.slice(r.fake.url.length),
    body: {
      token: 'verification-token',
      team_id: 'T1',
      team_domain: 'example',
      channel_id: 'CCHAN',
      channel_name: 'ops',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/maas',
      text,
      api_app_id: 'A1',
      response_url: responseUrl,
      trigger_id: '1.2.3',
    },
  };
}

/** The body of a button click as Bolt receives it in Socket Mode, and its response_url path. */
export function actionBody(r: Rig, actionId: string, value: string, user = 'UOPS') {
  const responseUrl = r.fake.responseUrl();
  return {
    path: responseUrl.slice(r.fake.url.length),
    body: {
      type: 'block_actions',
      api_app_id: 'A1',
      token: 'verification-token',
      team: { id: 'T1', domain: 'example' },
      user: { id: user, username: user.toLowerCase(), team_id: 'T1' },
      channel: { id: 'CCHAN', name: 'ops' },
      container: {
        type: 'message',
        message_ts: '1700000000.000001',
        channel_id: 'CCHAN',
        is_ephemeral: true,
      },
      trigger_id: '1.2.3',
      response_url: responseUrl,
      actions: [
        {
          type: 'button',
          action_id: actionId,
          block_id: 'b1',
          value,
          text: { type: 'plain_text', text: 'x' },
          action_ts: '1700000001.000000',
        },
      ],
    },
  };
}
