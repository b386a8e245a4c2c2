/**
 * Slack's App Home (README "Status page"): signed Events API requests (app_home_opened) publish the person's home
 * through a fake Slack Web API on 127.0.0.1 — the fleet's counts, their running operations, the agents' calls
 * waiting for them with Approve / Deny — and it is published again when something changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { invokeTool } from '../../src/core/invoke.ts';
import { Poller } from '../../src/core/operations/poller.ts';
import { findTool } from '../../src/tools/index.ts';
import { call } from '../helpers.ts';
import {
  clickBody,
  drive,
  mcpClient,
  opState,
  post,
  posts,
  type Rig,
  signedHeaders,
  slackRig,
  statusOf,
} from './helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** A signed Events API request, as Slack sends it. */
async function sendEvent(r: Rig, body: Record<string, unknown>) {
  const raw = JSON.stringify(body);
  const headers = { ...(await signedHeaders(raw, r.clock.now())), 'content-type': 'application/json' };
  return r.app.request('http://127.0.0.1/slack/events', { method: 'POST', headers, body: raw });
}

const opened = (user: string, tab = 'home', channel = 'DAPP') => ({
  type: 'event_callback',
  team_id: 'T1',
  event: { type: 'app_home_opened', user, tab, channel },
});

interface Published {
  user_id: string;
  view: {
    type: string;
    blocks: { type: string; text?: { text: string }; elements?: { action_id: string; value: string }[] }[];
  };
}

const publishes = (r: Rig, user?: string) =>
  r.fake
    .to('/api/views.publish')
    .map((c) => c.body as unknown as Published)
    .filter((p) => !user || p.user_id === user);
const textOf = (p: Published | undefined) => JSON.stringify(p?.view.blocks ?? []);

async function heldRelease(r: Rig) {
  const client = await mcpClient(r, { id: 'agent-7', role: 'operator', via: 'mcp' });
  const out = await call<{ operation_id: string }>(client, 'machine_release', { machines: 'db-01' });
  await r.fake.waitFor(() => posts(r, 'CNOTIFY').length > 0);
  return out.data.operation_id;
}

describe('the App Home', () => {
  it('answers Slack’s URL check and refuses an unsigned event', async () => {
    rig = await slackRig();
    const res = await sendEvent(rig, { type: 'url_verification', challenge: 'c-123' });
    expect(await res.json()).toEqual({ challenge: 'c-123' });
    const unsigned = await rig.app.request('http://127.0.0.1/slack/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(opened('UOPS')),
    });
    expect(unsigned.status).toBe(401);
  });

  it('publishes counts, the person’s running operations with progress, and approvals waiting for them with Approve/Deny', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const r = rig;
    const id = await heldRelease(r);
    const mine = await invokeTool(
      findTool('machine_deploy') as NonNullable<ReturnType<typeof findTool>>,
      { machines: 'web-01' },
      { deps: r.deps, principal: { id: 'UOPS', role: 'operator', via: 'slack' }, confirmMode: 'off' },
    );
    expect(mine.ok).toBe(true);
    const res = await sendEvent(r, opened('UOPS'));
    expect(res.status).toBe(200);
    await r.fake.waitFor(() => publishes(r, 'UOPS').length > 0);
    const home = publishes(r, 'UOPS')[0];
    expect(home?.view.type).toBe('home');
    const text = textOf(home);
    expect(text).toContain('*24 machines*');
    expect(text).toContain('*Your running operations* (1)');
    expect(text).toMatch(/`[█░ ]+` \*web-01\* Deploying/);
    expect(text).toContain('*Waiting for your approval* (1)');
    const buttons = (home?.view.blocks.flatMap((b) => b.elements ?? []) ?? []).filter((e) => e.action_id);
    expect(buttons.map((b) => [b.action_id, b.value])).toEqual([
      ['maas:home-approve', id],
      ['maas:home-deny', id],
    ]);
  });

  it('shows a viewer the counts but no approval to decide', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const r = rig;
    await heldRelease(r);
    await sendEvent(r, opened('UVIEW'));
    await r.fake.waitFor(() => publishes(r, 'UVIEW').length > 0);
    const text = textOf(publishes(r, 'UVIEW')[0]);
    expect(text).toContain('*24 machines*');
    expect(text).toContain('*Waiting for your approval* (0)');
    expect(text).not.toContain('maas:home-approve');
  });

  it('approves from the home with the same decision as everywhere, and says so in the home', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const r = rig;
    const id = await heldRelease(r);
    await sendEvent(r, opened('UOPS'));
    await r.fake.waitFor(() => publishes(r, 'UOPS').length > 0);
    // A home click has no response_url.
    const body = clickBody('maas:home-approve', id, 'UOPS', '').replace(
      /%22response_url%22%3A%22%22%2C?/,
      '',
    );
    const res = await post(r, 'interactions', body, await signedHeaders(body, r.clock.now()));
    expect(res.status).toBe(200);
    await r.fake.waitFor(() => publishes(r, 'UOPS').length > 1);
    expect(await opState(r, id)).toBe('running');
    expect(statusOf(r, 'db-01')).toBe('Releasing');
    expect(textOf(publishes(r, 'UOPS').at(-1))).toContain(`Approved ${id}:`);
    const audit = (await r.deps.store.listAudit({ tool: 'machine_release' })).find(
      (a) => a.result === 'approved',
    );
    expect(audit).toMatchObject({ principal: 'UOPS', via: 'slack', detail: 'approved by <@UOPS>' });
    // A viewer's click is refused as in the channel, and nothing more runs.
    const denied = clickBody('maas:home-deny', id, 'UVIEW', '');
    await post(r, 'interactions', denied, await signedHeaders(denied, r.clock.now()));
    await r.fake.waitFor(() => publishes(r, 'UVIEW').length > 0);
    expect(textOf(publishes(r, 'UVIEW').at(-1))).toContain('already decided');
  });

  it('is published again as the person’s operation moves and when it ends', async () => {
    rig = await slackRig();
    const r = rig;
    await invokeTool(
      findTool('machine_deploy') as NonNullable<ReturnType<typeof findTool>>,
      { machines: 'web-01' },
      { deps: r.deps, principal: { id: 'UOPS', role: 'operator', via: 'slack' }, confirmMode: 'off' },
    );
    await sendEvent(r, opened('UOPS'));
    await r.fake.waitFor(() => publishes(r, 'UOPS').length > 0);
    const poller = new Poller(r.deps);
    await drive(r, () => statusOf(r, 'web-01') === 'Deployed', { poller });
    await r.fake.waitFor(() => textOf(publishes(r, 'UOPS').at(-1)).includes('*Your running operations* (0)'));
    expect(publishes(r, 'UOPS').length).toBeGreaterThan(2);
  });

  it('posts the summary in the Messages tab once in a while, not on every open', async () => {
    rig = await slackRig();
    const r = rig;
    await sendEvent(r, opened('UOPS', 'messages', 'DAPP'));
    await r.fake.waitFor(() => posts(r, 'DAPP').length > 0);
    await sendEvent(r, opened('UOPS', 'messages', 'DAPP'));
    await new Promise((res) => setTimeout(res, 50));
    expect(posts(r, 'DAPP').length).toBe(1);
    expect(JSON.stringify(posts(r, 'DAPP')[0])).toContain('*24 machines*');
    await r.clock.advance(11 * 60_000);
    await sendEvent(r, opened('UOPS', 'messages', 'DAPP'));
    await r.fake.waitFor(() => posts(r, 'DAPP').length > 1);
  });
});
