/**
 * The one path (src/core/invoke.ts) applies the rules whatever a tool declares and however it was defined: tools
 * defined here with the plain defineTool — no machine-action helper, no hand-made confirm_token, no audit call —
 * are gated, audited, checked against their output schema, and keep their secrets out of Slack and the audit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../src/base/log.ts';
import { defineMachineAction } from '../../src/core/actions.ts';
import type { ToolContext } from '../../src/core/deps.ts';
import { invokeTool, runTool } from '../../src/core/invoke.ts';
import { type AnyTool, defineTool, secret } from '../../src/core/tool.ts';
import { createSlack } from '../../src/slack.ts';
import { machineRef, machinesRef } from '../../src/tools/common.ts';
import { ALL_TOOLS, findTool } from '../../src/tools/index.ts';
import { ADMIN, call, connectClient, node, simDeps, VIEWER } from '../helpers.ts';
import { slackRig } from '../slack/helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const WRITE = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
} as const;

/** A destructive tool with no preview of its own: it locks a machine, counting its runs. */
function wipeTool(runs: { n: number }) {
  return defineTool({
    name: 'zz_wipe',
    title: 'Wipe a machine',
    description: 'A throwaway destructive tool, defined with the plain defineTool and no preview.',
    toolset: 'machines',
    minRole: 'operator',
    annotations: { ...WRITE, destructiveHint: true, idempotentHint: false },
    verb: 'wipe',
    input: z.object({ machine: machineRef }),
    output: z.object({ wiped: z.string() }),
    async run(args, ctx) {
      runs.n++;
      const [m] = await ctx.deps.maas.listMachines({ hostname: [args.machine] }, { signal: ctx.signal });
      await ctx.deps.maas.machineOp(m?.system_id ?? '', 'lock', {}, { signal: ctx.signal });
      ctx.audit.detail = `wiped ${args.machine}`;
      return { wiped: args.machine };
    },
    render: (o) => `wiped ${o.wiped}`,
  });
}

function rig(env: Record<string, string> = {}) {
  const { sim, deps, clock } = simDeps({ env: { MAAS_MCP_CONFIRM: 'token', ...env } });
  cleanups.push(() => sim.close());
  const writes = () => sim.requests.entries.filter((e) => e.method !== 'GET').length;
  return { sim, deps, clock, writes };
}

describe('a destructive tool defined any other way', () => {
  it('is gated: no write until it is confirmed, then it runs once and is audited', async () => {
    const runs = { n: 0 };
    const wipe = wipeTool(runs);
    const { sim, deps, writes } = rig();
    const { client, close } = await connectClient(deps, { tools: [...ALL_TOOLS, wipe] });
    cleanups.push(close);
    const listed = (await client.listTools()).tools.find((t) => t.name === 'zz_wipe');
    // The registry gave it confirm_token, and an output schema that admits the gate's answer.
    expect(Object.keys(listed?.inputSchema.properties ?? {})).toEqual(['machine', 'confirm_token']);

    const held = await call<{ status: string; confirm_token: string }>(client, 'zz_wipe', {
      machine: 'web-04',
    });
    expect(held.isError).toBe(false);
    expect(held.data.status).toBe('confirmation_required');
    expect(runs.n).toBe(0);
    expect(writes()).toBe(0);

    const done = await call<{ wiped: string }>(client, 'zz_wipe', {
      machine: 'web-04',
      confirm_token: held.data.confirm_token,
    });
    expect(done.data.wiped).toBe('web-04');
    expect(runs.n).toBe(1);
    expect(node(sim, 'web-04').locked).toBe(true);
    expect(await deps.store.listAudit({ tool: 'zz_wipe' })).toEqual([
      expect.objectContaining({ result: 'ok', detail: 'wiped web-04', principal: ADMIN.id }),
    ]);

    // The token worked once; a second use is refused, and the refusal is audited too.
    const again = await call(client, 'zz_wipe', {
      machine: 'web-04',
      confirm_token: held.data.confirm_token,
    });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/already used/);
    expect(runs.n).toBe(1);
    expect((await deps.store.listAudit({ tool: 'zz_wipe' })).map((r) => r.result)).toEqual(['refused', 'ok']);
  });

  it('answers its own shape or the gate’s, even where the two share a field name', () => {
    const tool = defineTool({
      name: 'zz_shred',
      title: 'Shred',
      description: 'A throwaway destructive tool whose own answer has a field named like one of the gate’s.',
      toolset: 'machines',
      minRole: 'operator',
      annotations: { ...WRITE, destructiveHint: true },
      verb: 'shred',
      input: z.object({ machine: machineRef }),
      output: z.object({ summary: z.number().describe('How many bytes were shredded'), wiped: z.string() }),
      run: async (args) => ({ summary: 4096, wiped: args.machine }),
      render: (o) => `shredded ${o.summary} bytes of ${o.wiped}`,
    });
    expect(tool.output.safeParse({ summary: 4096, wiped: 'web-04' }).success).toBe(true);
    const held = {
      status: 'confirmation_required',
      action: 'wipe',
      summary: 'Confirmation required: wipe as asked.',
    };
    expect(
      tool.output.safeParse({ ...held, succeeded: [], skipped: [], failed: [], not_found: [] }).success,
    ).toBe(true);
    expect(tool.output.safeParse({ summary: true }).success).toBe(false);
  });

  it('cannot declare confirm_token itself: the registry adds it', () => {
    expect(() =>
      defineTool({
        ...wipeTool({ n: 0 }),
        input: z.object({ machine: machineRef, confirm_token: z.string().optional().describe('mine') }),
      }),
    ).toThrow('zz_wipe: the registry adds confirm_token to a gated tool; do not declare it');
  });
});

describe('the one path', () => {
  it('refuses an answer outside the tool’s own output schema, logs it, and audits the write as failed', async () => {
    const lines: string[] = [];
    const { deps } = rig();
    deps.log = createLogger((line) => lines.push(line));
    const sloppy = defineTool({
      name: 'zz_sloppy',
      title: 'Sloppy',
      description: 'A throwaway write tool whose answer does not match its own output schema.',
      toolset: 'machines',
      minRole: 'operator',
      annotations: WRITE,
      verb: 'sloppy',
      input: z.object({}),
      output: z.object({ count: z.number() }),
      run: async () => ({ count: 'many' }) as unknown as { count: number },
      render: (o) => String(o.count),
    });
    const outcome = await invokeTool(sloppy, {}, { deps, principal: ADMIN });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toMatch(
      /^internal error in maas-mcp: zz_sloppy answered outside its output schema \(count: /,
    );
    expect(lines.some((l) => l.includes('a tool answered outside its output schema'))).toBe(true);
    expect(await deps.store.listAudit({ tool: 'zz_sloppy' })).toEqual([
      expect.objectContaining({ result: 'failed' }),
    ]);
  });

  it('names the field of bad input, writes nothing and audits nothing', async () => {
    const { deps, writes } = rig();
    const outcome = await invokeTool(
      findTool('machine_lock') as AnyTool,
      { machines: 5 },
      { deps, principal: ADMIN },
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toMatch(/^machines: expected a system_id or hostname/);
    expect(writes()).toBe(0);
    expect(await deps.store.listAudit({})).toEqual([]);
  });

  it('refuses a tool of a toolset that is off, and a role too low, audited without the arguments', async () => {
    const { deps } = rig({ MAAS_MCP_TOOLSETS: 'inventory' });
    const lock = findTool('machine_lock') as AnyTool;
    const off = await invokeTool(lock, { machines: 'web-04' }, { deps, principal: ADMIN });
    expect(off).toMatchObject({
      ok: false,
      refused: 'access',
      message: 'machine_lock is not offered here: its toolset lifecycle is off (MAAS_MCP_TOOLSETS).',
    });
    const zones = findTool('zones_list') as AnyTool;
    expect((await invokeTool(zones, {}, { deps, principal: VIEWER })).ok).toBe(true);
    expect(await deps.store.listAudit({})).toEqual([
      expect.objectContaining({ tool: 'machine_lock', result: 'refused', args: {} }),
    ]);
  });
});

const PASSWORD = 'Generated-Secret-Pass-4417';
const KUBECONFIG = 'apiVersion: v1\nusers: [{ token: kube-secret-token-9931 }]';

/** A write whose answer holds a secret field (a generated password). */
const resetPassword = defineTool({
  name: 'zz_reset_password',
  title: 'Reset a password',
  description: 'A throwaway write tool whose answer holds a generated password, marked secret.',
  toolset: 'machines',
  minRole: 'admin',
  annotations: WRITE,
  verb: 'reset-password',
  slack: { positional: 'machine' },
  input: z.object({ machine: machineRef }),
  output: z.object({ machine: z.string(), password: secret(z.string().describe('The new password')) }),
  run: async (args) => ({ machine: args.machine, password: PASSWORD }),
  render: (o) => `${o.machine}: new password ${o.password}`,
});

/** A read whose whole answer is a secret (a kubeconfig). */
const kubeconfig = defineTool({
  name: 'zz_kubeconfig',
  title: 'Kubeconfig',
  description: 'A throwaway admin read whose whole answer is a secret.',
  toolset: 'admin',
  minRole: 'admin',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  verb: 'kubeconfig',
  secret: true,
  input: z.object({}),
  output: z.object({ kubeconfig: z.string() }),
  run: async () => ({ kubeconfig: KUBECONFIG }),
  render: (o) => o.kubeconfig,
});

describe('secrets in answers', () => {
  it('reach the MCP caller who asked, never Slack or the audit', async () => {
    const r = await slackRig();
    cleanups.push(r.close);
    const tools = [...ALL_TOOLS, resetPassword, kubeconfig];
    const { client, close } = await connectClient(r.deps, { tools });
    cleanups.push(close);
    const reset = await call<{ password: string }>(client, 'zz_reset_password', { machine: 'web-01' });
    expect(reset.data.password).toBe(PASSWORD);
    expect((await call<{ kubeconfig: string }>(client, 'zz_kubeconfig')).data.kubeconfig).toBe(KUBECONFIG);

    const slack = createSlack(r.deps, { tools });
    if (!slack) throw new Error('Slack is not configured');
    const asked = { user_id: 'UADMIN', channel_id: 'CCHAN' };
    const shown = JSON.stringify(await slack.command({ ...asked, text: 'reset-password web-01' }));
    expect(shown).toContain('web-01: new password [secret: not shown here; ask for it over MCP]');
    expect(shown).not.toContain(PASSWORD);
    const kube = await slack.command({ ...asked, text: 'kubeconfig' });
    expect(kube.text).toBe(
      '`/maas kubeconfig` answers with a secret, which is never shown in Slack: ask for it over MCP.',
    );

    const audit = await r.deps.store.listAudit({});
    // The write is audited, and so is each read of the secret answer (who read it) — neither holds the secret.
    expect(audit.map((a) => a.tool).sort()).toEqual([
      'zz_kubeconfig',
      'zz_reset_password',
      'zz_reset_password',
    ]);
    expect(JSON.stringify(audit)).not.toContain(PASSWORD);
    expect(JSON.stringify(audit)).not.toContain('kube-secret-token');
  });

  it('leave a record of who read a secret answer, without the answer', async () => {
    const { deps } = rig();
    const ctx: ToolContext = { deps, principal: ADMIN };
    await runTool(kubeconfig, {}, ctx);
    const [record] = await deps.store.listAudit({ tool: 'zz_kubeconfig' });
    expect(record?.detail).toBe('kubeconfig: answered (the answer is secret and not recorded)');
  });
});

describe('a machine action that needs more than each machine', () => {
  it('reads it once per call with load, for every check and every write of that call', async () => {
    const { sim, deps } = rig();
    const seen: unknown[] = [];
    let loads = 0;
    const lockLike = defineMachineAction({
      name: 'zz_lock_like',
      title: 'Lock like another',
      description: 'A throwaway action whose checks and writes use what load read once (a source machine).',
      toolset: 'lifecycle',
      minRole: 'operator',
      destructive: false,
      idempotent: true,
      verb: 'lock-like',
      input: z.object({ machines: machinesRef, source: machineRef }),
      async load(args, ctx) {
        loads++;
        const [m] = await ctx.deps.maas.listMachines({ hostname: [args.source] }, { signal: ctx.signal });
        return { source: m?.hostname ?? '?', status: m?.status_name ?? '?' };
      },
      check: (_m, _a, env) => ({ run: `lock it as ${env.loaded.source} (${env.loaded.status}) is` }),
      async perform(m, _a, ctx, loaded) {
        seen.push(loaded);
        return ctx.deps.maas.machineOp(m.system_id, 'lock', {}, { signal: ctx.signal });
      },
    });
    const out = (await runTool(
      lockLike,
      { machines: ['web-04', 'db-01'], source: 'web-03' },
      { deps, principal: ADMIN },
    )) as {
      succeeded: unknown[];
    };
    expect(out.succeeded).toHaveLength(2);
    expect(loads).toBe(1);
    expect(seen).toEqual([
      { source: 'web-03', status: 'Deployed' },
      { source: 'web-03', status: 'Deployed' },
    ]);
    expect(node(sim, 'db-01').locked).toBe(true);
    const [record] = await deps.store.listAudit({ tool: 'zz_lock_like' });
    expect(record?.targets.map((t) => t.outcome)).toEqual(['done', 'done']);
  });
});
