import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/base/clock.ts';
import type { Principal } from '../../src/core/access.ts';
import type { Deps } from '../../src/core/deps.ts';
import { CONFIRM_TTL_MS, sha256 } from '../../src/core/gate.ts';
import type { ActionResult } from '../../src/core/result.ts';
import { NodeStatus as S } from '../../src/maas/status.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { ADMIN, call, connectClient, MODERN, node, simDeps, testConfig } from '../helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(
  env: Record<string, string> = {},
  opts: {
    principal?: Principal;
    elicit?: 'accept' | 'decline' | 'cancel' | 'unchecked';
    /** The client speaks 2026-07-28: it is asked through input_required, and answers by calling again. */
    modern?: boolean;
  } = {},
) {
  const { sim, deps, clock } = simDeps({ env });
  const capabilities =
    opts.elicit || opts.modern
      ? { ...(opts.modern ? MODERN : {}), capabilities: opts.elicit ? { elicitation: {} } : {} }
      : undefined;
  const { client, close } = await connectClient(deps, {
    principal: opts.principal ?? ADMIN,
    ...(capabilities ? { capabilities } : {}),
  });
  const prompts: string[] = [];
  if (opts.elicit) {
    const answer = opts.elicit;
    client.setRequestHandler('elicitation/create', async (req) => {
      prompts.push(req.params.message);
      if (answer === 'unchecked') return { action: 'accept', content: { confirm: false } };
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: answer };
    });
  }
  cleanups.push(close, () => sim.close());
  return { sim, deps, clock: clock as ManualClock, client, prompts };
}

const status = (sim: Simulator, hostname: string) => node(sim, hostname).status;

async function preview(client: Client, args: Record<string, unknown>, tool = 'machine_release') {
  const res = await call<ActionResult>(client, tool, args);
  expect(res.isError).toBe(false);
  expect(res.data.status).toBe('confirmation_required');
  return res;
}

async function auditResults(deps: Deps) {
  return (await deps.store.listAudit({})).map((a) => a.result);
}

describe('the confirmation gate (token mode)', () => {
  it('previews what will happen to each machine and changes nothing until confirmed', async () => {
    const { client, sim } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const before = status(sim, 'db-01');
    const res = await preview(client, { machines: ['db-01', 'web-01'], erase: true });
    expect(res.data.confirmation_required).toBe(true);
    expect(res.data.confirm_token).toMatch(/^mmc_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(res.data.expires_at as string)).toBeGreaterThan(0);
    const rows = res.data.preview ?? [];
    expect(rows.find((r) => r.hostname === 'db-01')).toMatchObject({
      verdict: 'run',
      status: 'Deployed',
      owner: 'admin',
    });
    expect(rows.find((r) => r.hostname === 'db-01')?.effect).toContain('erase its disks');
    expect(rows.find((r) => r.hostname === 'web-01')).toMatchObject({
      verdict: 'skip',
      effect: 'already Ready',
    });
    expect(res.text).toContain('confirm_token');
    expect(status(sim, 'db-01')).toBe(before);
  });

  it('runs when the same call is repeated with the token, and only once', async () => {
    const { client, sim, deps } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const token = (await preview(client, { machines: 'db-01' })).data.confirm_token;
    const done = await call<ActionResult>(client, 'machine_release', {
      machines: 'db-01',
      confirm_token: token,
    });
    expect(done.isError).toBe(false);
    expect(done.data.status).toBe('done');
    expect(done.data.succeeded.map((r) => r.hostname)).toEqual(['db-01']);
    expect(status(sim, 'db-01')).toBe(S.RELEASING);
    const again = await call(client, 'machine_release', { machines: 'db-01', confirm_token: token });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/^Not done: this confirm_token was already used at .*; a token works once\./);
    expect(await auditResults(deps)).toEqual(['refused', 'ok']);
  });

  it('accepts the machines in another order or spelling as the same arguments', async () => {
    const { client } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const token = (await preview(client, { machines: ['db-01', 'web-04'] })).data.confirm_token;
    const done = await call<ActionResult>(client, 'machine_release', {
      machines: 'web-04, db-01',
      confirm_token: token,
    });
    expect(done.data.status).toBe('done');
  });

  it('accepts a confirming call that also asks to wait: waiting changes when it answers, not what it does', async () => {
    const { client, sim } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const token = (await preview(client, { machines: 'db-01' })).data.confirm_token;
    const done = await call<ActionResult>(client, 'machine_release', {
      machines: 'db-01',
      wait: false,
      wait_timeout_s: 30,
      confirm_token: token,
    });
    expect(done.data.status).toBe('done');
    expect(status(sim, 'db-01')).not.toBe(S.DEPLOYED);
  });

  it('refuses a token with other arguments', async () => {
    const { client, sim } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const token = (await preview(client, { machines: 'db-01' })).data.confirm_token;
    const res = await call(client, 'machine_release', {
      machines: 'db-01',
      erase: true,
      confirm_token: token,
    });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('the arguments differ from the ones previewed');
    expect(status(sim, 'db-01')).toBe(S.DEPLOYED);
  });

  it('refuses a token issued for another tool', async () => {
    const { client } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const token = (await preview(client, { machines: 'db-01' })).data.confirm_token;
    const res = await call(client, 'machine_power_off', { machines: 'db-01', confirm_token: token });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('issued for machine_release, not machine_power_off');
  });

  it('refuses a token presented by another principal', async () => {
    const { deps, client } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const token = (await preview(client, { machines: 'db-01' })).data.confirm_token;
    const other = await connectClient(deps, { principal: { id: 'mallory', role: 'admin', via: 'mcp' } });
    cleanups.push(other.close);
    const res = await call(other.client, 'machine_release', { machines: 'db-01', confirm_token: token });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('issued to someone else');
    // The rightful owner can still use it.
    const mine = await call<ActionResult>(client, 'machine_release', {
      machines: 'db-01',
      confirm_token: token,
    });
    expect(mine.data.status).toBe('done');
  });

  it('refuses an expired token', async () => {
    const { client, clock } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const token = (await preview(client, { machines: 'db-01' })).data.confirm_token;
    await clock.advance(CONFIRM_TTL_MS + 1);
    const res = await call(client, 'machine_release', { machines: 'db-01', confirm_token: token });
    expect(res.isError).toBe(true);
    expect(res.text).toMatch(/expired at .* \(tokens last 5 minutes\)/);
  });

  it('refuses a token when a machine changed state since the preview', async () => {
    const { client, deps } = await setup({ MAAS_MCP_CONFIRM: 'off' });
    const tokenClient = await connectClient({ ...deps, config: { ...deps.config, confirm: 'token' } });
    cleanups.push(tokenClient.close);
    const token = (await preview(tokenClient.client, { machines: ['db-01', 'web-04'] })).data.confirm_token;
    // Someone else powers db-01 off and marks it broken in between.
    await call(client, 'machine_mark_broken', { machines: 'db-01', comment: 'disk' });
    const res = await call(tokenClient.client, 'machine_release', {
      machines: ['db-01', 'web-04'],
      confirm_token: token,
    });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('Since the preview, db-01 is now Broken.');
    expect(res.text).toContain('nothing was changed');
  });

  it('refuses garbage and unknown tokens', async () => {
    const { client } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const garbage = await call(client, 'machine_release', { machines: 'db-01', confirm_token: 'please' });
    expect(garbage.text).toContain('confirm_token is not a token maas-mcp issued');
    const unknown = await call(client, 'machine_release', {
      machines: 'db-01',
      confirm_token: `mmc_${'A'.repeat(43)}`,
    });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('confirm_token is unknown here');
  });

  it('refuses early, with no token, what MAAS would refuse', async () => {
    const { client } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const res = await call<ActionResult>(client, 'machine_deploy', { machines: 'web-04' });
    expect(res.isError).toBe(true);
    expect(res.data.confirm_token).toBeUndefined();
    expect(res.text).toContain('cannot deploy web-04: it is Deployed — release it first');
  });

  it('needs no confirmation when nothing destructive would happen', async () => {
    const { client } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const res = await call<ActionResult>(client, 'machine_release', { machines: 'web-01' });
    expect(res.data.status).toBe('done');
    expect(res.data.skipped[0]?.reason).toBe('already Ready');
  });

  it('never stores the token itself', async () => {
    const { client, deps } = await setup({ MAAS_MCP_CONFIRM: 'token' });
    const token = (await preview(client, { machines: 'db-01' })).data.confirm_token as string;
    expect(await deps.store.getConfirmation(token)).toBeUndefined();
    // It is kept under its SHA-256 alone: the record is found by the hash and holds nothing of the token.
    const stored = await deps.store.getConfirmation(await sha256(token));
    expect(stored).toBeDefined();
    expect(stored?.token_hash).toBe(await sha256(token));
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain(token.slice(4));
  });
});

describe.each([
  ['2025-11-25, pushed to the session', false],
  ['2026-07-28, as input_required', true],
])('the confirmation gate with elicitation (auto mode, %s)', (_era, modern) => {
  it('asks the person through the client and runs when they accept', async () => {
    const { client, sim, prompts } = await setup({}, { elicit: 'accept', modern });
    const res = await call<ActionResult>(client, 'machine_release', { machines: 'db-01', erase: true });
    expect(res.data.status).toBe('done');
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain('Release 1 machine?');
    expect(prompts[0]).toContain('db-01 — Deployed, power on, owner admin');
    expect(status(sim, 'db-01')).toBe(S.DISK_ERASING);
  });

  it('returns a non-error "cancelled" and writes nothing when they decline or cancel', async () => {
    for (const answer of ['decline', 'cancel', 'unchecked'] as const) {
      const { client, sim, deps } = await setup({}, { elicit: answer, modern });
      const res = await call<ActionResult>(client, 'machine_power_off', { machines: 'db-01' });
      expect(res.isError).toBe(false);
      expect(res.data.status).toBe('cancelled');
      expect(res.text).toContain('Cancelled: nothing was changed');
      expect(node(sim, 'db-01').powerState).toBe('on');
      expect(await auditResults(deps)).toEqual(['cancelled']);
    }
  });

  it('falls back to a confirm token for a client without elicitation', async () => {
    const { client } = await setup({}, { modern });
    await preview(client, { machines: 'db-01' });
  });

  it('always uses a token in token mode, even when the client could be asked', async () => {
    const { client, prompts } = await setup({ MAAS_MCP_CONFIRM: 'token' }, { elicit: 'accept', modern });
    await preview(client, { machines: 'db-01' });
    expect(prompts).toHaveLength(0);
  });
});

describe('MAAS_MCP_CONFIRM=off', () => {
  it('runs destructive tools at once (trusted automation)', async () => {
    const { client } = await setup({ MAAS_MCP_CONFIRM: 'off' });
    const res = await call<ActionResult>(client, 'machine_release', { machines: 'db-01' });
    expect(res.data.status).toBe('done');
  });
});

describe('MAAS_MCP_CONFIRM=slack without Slack', () => {
  it('refuses to start without the Slack settings approvals need', async () => {
    expect(() => testConfig({ MAAS_MCP_CONFIRM: 'slack' })).toThrow(
      'MAAS_MCP_CONFIRM=slack needs SLACK_BOT_TOKEN and SLACK_NOTIFY_CHANNEL (where approvals are asked)',
    );
  });

  it('refuses to run a destructive tool rather than skipping the approval if no approver is wired', async () => {
    const { sim, deps } = simDeps();
    const slackMode = { ...deps, config: { ...deps.config, confirm: 'slack' as const } };
    const { client, close } = await connectClient(slackMode);
    cleanups.push(close, () => sim.close());
    const res = await call(client, 'machine_release', { machines: 'db-01' });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('MAAS_MCP_CONFIRM=slack needs Slack');
    expect(status(sim, 'db-01')).toBe(S.DEPLOYED);
  });
});
