/**
 * Approving an agent's held call from the status page (MAAS_MCP_CONFIRM=slack): the same decision as Slack's
 * buttons (core/approvals.ts) — the same roles, the same re-check of the machines, audited — behind a CSRF token
 * signed for the person, and an Origin check. Signed-in with MCP_AUTH_TOKENS, the agent through the official client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/core/policy/rules.ts';
import { YAML_FORMAT } from '../../src/core/policy/yaml.ts';
import { csrfToken } from '../../src/page/csrf.ts';
import { policyNames } from '../../src/wiring.ts';
import { call, depsFor } from '../helpers.ts';
import {
  approvalValue,
  clickAnswer,
  maasWrites,
  mcpClient,
  node,
  opState,
  posts,
  type Rig,
  slackRig,
  statusOf,
} from '../slack/helpers.ts';
import { csrfOf, decide, pageRequest, readEvents } from './helpers.ts';

const VIEW = 'view-token-0123456789abcdef';
const OPS = 'ops-token-0123456789abcdef';
const BOSS = 'boss-token-0123456789abcdef';
const TOKENS = `${VIEW}:vera:viewer,${OPS}:otto:operator,${BOSS}:bea:admin`;

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function heldRelease(r: Rig, args: Record<string, unknown> = { machines: 'db-01' }) {
  const client = await mcpClient(r, { id: 'agent-7', role: 'operator', via: 'mcp' });
  const out = await call<{ status: string; operation_id: string }>(client, 'machine_release', args);
  expect(out.data.status).toBe('awaiting_approval');
  await r.fake.waitFor(() => posts(r, 'CNOTIFY').length > 0);
  return out.data.operation_id;
}

async function pageOf(r: Rig, token: string) {
  const res = await pageRequest(r.app, '/', { token });
  expect(res.status).toBe(200);
  return res.text();
}

describe('approvals on the status page', () => {
  it('lists a held call with what it would do, and Approve/Deny only for an operator or admin', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack', MCP_AUTH_TOKENS: TOKENS });
    const id = await heldRelease(rig);
    const ops = await pageOf(rig, OPS);
    expect(ops).toContain(`id="ap-${id}"`);
    expect(ops).toContain('<h3>release machines: db-01</h3>');
    expect(ops).toContain('asked by agent-7 (mcp)');
    expect(ops).toContain('<span class="host">db-01</span> <span class="st">now Deployed</span>');
    expect(ops).toContain(`<form method="post" action="/approvals/${id}" class="decide">`);
    expect(ops).toContain(`Approve ${id}`);
    const viewer = await pageOf(rig, VIEW);
    expect(viewer).toContain(`id="ap-${id}"`);
    expect(viewer).not.toContain('<form');
    expect(viewer).toContain('An operator or admin can approve or deny this.');
  });

  it('runs the agent’s call when an operator approves, and audits who approved it from the page', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack', MCP_AUTH_TOKENS: TOKENS });
    const id = await heldRelease(rig);
    const csrf = csrfOf(await pageOf(rig, OPS));
    const res = await decide(rig.app, id, { csrf, decision: 'approve' }, { token: OPS, json: true });
    const body = (await res.json()) as { ok: boolean; message: string };
    expect(res.status).toBe(200);
    expect(body.message).toMatch(new RegExp(`^Approved ${id}: `));
    expect(await opState(rig, id)).toBe('running');
    expect(statusOf(rig, 'db-01')).toBe('Releasing');
    const audit = await rig.deps.store.listAudit({ tool: 'machine_release' });
    expect(audit.find((a) => a.result === 'approved')).toMatchObject({
      principal: 'otto',
      via: 'mcp',
      detail: 'approved by otto (status page)',
      operation_id: id,
    });
    // The agent's call ran as the agent, through the one path.
    expect(audit.find((a) => a.result === 'ok')?.principal).toBe('agent-7');
    // Once decided, a second click changes nothing.
    const again = await decide(rig.app, id, { csrf, decision: 'approve' }, { token: OPS, json: true });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { message: string }).message).toContain('already decided');
  });

  it('counts a page approval toward a rule’s two approvers: the first is recorded, a second person in Slack runs it', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack', MCP_AUTH_TOKENS: TOKENS });
    const policy = parsePolicy(
      'rules:\n  - id: two-for-release\n    match: { actions: [release] }\n    effect: approve\n    approvers: 2\n',
      'policy.yaml',
      policyNames(),
      YAML_FORMAT,
    );
    rig.deps.policy = { current: () => policy };
    const id = await heldRelease(rig);
    const writes = maasWrites(rig);
    const csrf = csrfOf(await pageOf(rig, OPS));
    const first = await decide(rig.app, id, { csrf, decision: 'approve' }, { token: OPS, json: true });
    expect(((await first.json()) as { message: string }).message).toBe(
      `Your approval of ${id} is recorded (1 of 2); 1 more person must approve before it runs.`,
    );
    expect(await opState(rig, id)).toBe('awaiting_approval');
    expect(maasWrites(rig)).toBe(writes);
    // The same person again, from the page: not counted twice.
    const again = await decide(rig.app, id, { csrf, decision: 'approve' }, { token: OPS, json: true });
    expect(((await again.json()) as { message: string }).message).toContain('You already approved this');
    expect(await opState(rig, id)).toBe('awaiting_approval');
    // A second person, in Slack: the call runs, once, with both named in the audit.
    const last = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UADMIN');
    expect(JSON.stringify(last.msg)).toContain('Approved by <@UADMIN>');
    expect(statusOf(rig, 'db-01')).toBe('Releasing');
    const approved = (await rig.deps.store.listAudit({ tool: 'machine_release' })).filter(
      (a) => a.result === 'approved',
    );
    expect(approved.map((a) => a.detail)).toEqual([
      'approved by <@UADMIN> (2 of 2: mcp:otto, slack:UADMIN)',
      'approval 1 of 2 by otto (status page)',
    ]);
  });

  it('denies from a form posted without the script, answering a page with the way back', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack', MCP_AUTH_TOKENS: TOKENS });
    const id = await heldRelease(rig);
    const writes = maasWrites(rig);
    const csrf = csrfOf(await pageOf(rig, BOSS));
    const res = await decide(rig.app, id, { csrf, decision: 'deny' }, { token: BOSS });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`Denied ${id}: nothing was changed.`);
    expect(html).toContain('<a href="/">Back to the fleet status</a>');
    expect(await opState(rig, id)).toBe('cancelled');
    expect(maasWrites(rig)).toBe(writes);
    const audit = await rig.deps.store.listAudit({ tool: 'machine_release' });
    expect(audit.find((a) => a.result === 'denied')?.detail).toBe('denied by bea (status page)');
  });

  it('refuses a viewer’s approval as Slack does, and audits the attempt; nothing runs', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack', MCP_AUTH_TOKENS: TOKENS });
    const id = await heldRelease(rig);
    const writes = maasWrites(rig);
    // A viewer's own page carries a token for the viewer (the form is not shown, but the token is signed for them).
    const csrf = await csrfToken(
      rig.deps.sealKey as string,
      { id: 'vera', role: 'viewer', via: 'mcp' },
      rig.clock.now(),
    );
    const res = await decide(rig.app, id, { csrf, decision: 'approve' }, { token: VIEW, json: true });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toBe(
      'Only people with the operator role can decide this (you are viewer).',
    );
    expect(await opState(rig, id)).toBe('awaiting_approval');
    expect(maasWrites(rig)).toBe(writes);
    const refused = (await rig.deps.store.listAudit()).find((a) => a.result === 'refused');
    expect(refused).toMatchObject({
      principal: 'vera',
      detail: expect.stringContaining('approval by vera (status page) refused'),
    });
  });

  it('refuses a post without a CSRF token, with another person’s token, or from another site; nothing runs', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack', MCP_AUTH_TOKENS: TOKENS });
    const id = await heldRelease(rig);
    const writes = maasWrites(rig);
    const bossCsrf = csrfOf(await pageOf(rig, BOSS));
    const none = await decide(rig.app, id, { decision: 'approve' }, { token: OPS, json: true });
    expect(none.status).toBe(403);
    expect(((await none.json()) as { message: string }).message).toContain('CSRF');
    const borrowed = await decide(
      rig.app,
      id,
      { csrf: bossCsrf, decision: 'approve' },
      { token: OPS, json: true },
    );
    expect(borrowed.status).toBe(403);
    expect(((await borrowed.json()) as { message: string }).message).toContain('not yours');
    const opsCsrf = csrfOf(await pageOf(rig, OPS));
    const crossSite = await decide(
      rig.app,
      id,
      { csrf: opsCsrf, decision: 'approve' },
      { token: OPS, origin: 'https://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    const anonymous = await decide(rig.app, id, { csrf: opsCsrf, decision: 'approve' }, {});
    expect(anonymous.status).toBe(401);
    // A token that has run out.
    await rig.clock.advance(13 * 3600_000);
    const stale = await decide(
      rig.app,
      id,
      { csrf: opsCsrf, decision: 'approve' },
      { token: OPS, json: true },
    );
    expect(stale.status).toBe(403);
    expect(maasWrites(rig)).toBe(writes);
    expect(await opState(rig, id)).not.toBe('running');
  });

  it('re-checks the machines as Slack does: one that changed hands since the request is not released', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack', MCP_AUTH_TOKENS: TOKENS });
    const id = await heldRelease(rig, { machines: 'web-05' });
    const web05 = node(rig, 'web-05');
    await rig.deps.maas.machineOp(web05.systemId, 'release');
    await depsFor(rig.sim, rig.clock, { user: 'operator' }).maas.allocate({ system_id: web05.systemId });
    const csrf = csrfOf(await pageOf(rig, OPS));
    const res = await decide(rig.app, id, { csrf, decision: 'approve' }, { token: OPS, json: true });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { message: string }).message).toBe(
      "Not run: Since the preview, web-05 now belongs to alice (it was admin's). What was approved no longer holds. Ask the agent to try again.",
    );
    expect(node(rig, 'web-05').owner).toBe('alice');
    expect(await opState(rig, id)).toBe('cancelled');
  });
});

describe('secrets and the status page', () => {
  it('never shows a token, a key, user_data, a BMC password or an approval’s button secret, on the page or in its events', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack', MCP_AUTH_TOKENS: TOKENS });
    const r = rig;
    const client = await mcpClient(r, { id: 'agent-7', role: 'operator', via: 'mcp' });
    const userData = '#cloud-config\npassword: hunter2-page-secret\n';
    const out = await call<{ operation_id: string }>(client, 'machine_deploy', {
      machines: 'web-05',
      user_data: userData,
    });
    await r.fake.waitFor(() => posts(r, 'CNOTIFY').length > 0);
    const button = JSON.stringify(posts(r, 'CNOTIFY')[0]).match(/"value":"(op_[^".]+)\.([0-9a-f]{32})"/);
    expect(button?.[1]).toBe(out.data.operation_id);
    const powers = await r.deps.maas.allPowerParameters();
    const passwords = Object.values(powers)
      .flatMap((p) => Object.entries(p))
      .filter(([k, v]) => /pass|secret|key/i.test(k) && v.length > 3)
      .map(([, v]) => v);
    expect(passwords.length).toBeGreaterThan(0);
    const apiKey = r.sim.users.admin.apiKey.split(':');
    const secrets = [
      VIEW,
      OPS,
      BOSS,
      'test-signing-secret-0123456789',
      'xoxb-test-bot-token-0123456789',
      ...apiKey,
      'hunter2-page-secret',
      button?.[2] as string,
      ...passwords,
    ];
    const html = await pageOf(r, BOSS);
    expect(html).toContain(`id="ap-${out.data.operation_id}"`);
    const res = await pageRequest(r.app, '/events', { token: BOSS });
    const events = await readEvents(res, (evs) => evs.some((e) => e.event === 'cells'), { ms: 5_000 });
    const raw = events.map((e) => e.raw).join('\n');
    expect(raw).toContain(`ap-${out.data.operation_id}`);
    for (const s of secrets) {
      expect(html).not.toContain(s);
      expect(raw).not.toContain(s);
    }
  });
});
