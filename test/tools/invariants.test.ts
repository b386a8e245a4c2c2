/**
 * Invariants over the whole registry, generated from it so that a new tool is covered without editing this file
 * (it needs an example in ./examples.ts, or the first test fails):
 * - every destructive tool called without a token answers confirmation_required and sends MAAS no write;
 * - every write tool leaves an audit record;
 * - every tool's structured answer validates against its own output schema — run directly, over MCP (the client
 *   checks it against the schema it was listed with), and through Slack. As an MCP task: test/mcp/tasks.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/base/clock.ts';
import type { ToolContext } from '../../src/core/deps.ts';
import { runTool } from '../../src/core/invoke.ts';
import { isHeld } from '../../src/core/result.ts';
import type { AnyTool } from '../../src/core/tool.ts';
import { createSlack } from '../../src/slack.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { ADMIN, call, connectClient, drive, simDeps } from '../helpers.ts';
import { buttonValue, type Msg, slackRig } from '../slack/helpers.ts';
import { EXAMPLES, prepare } from './examples.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const named = (tools: readonly AnyTool[]) => tools.map((t) => [t.name, t] as const);
const DESTRUCTIVE = ALL_TOOLS.filter((t) => t.annotations.destructiveHint);
const WRITES = ALL_TOOLS.filter((t) => !t.annotations.readOnlyHint);
const IN_SLACK = ALL_TOOLS.filter((t) => t.slack !== undefined);

/** A fresh seeded simulator, confirmation by token; `ctx` calls as the local admin. */
function rig() {
  // Every toolset, the opt-in ones too.
  const { sim, deps, clock } = simDeps({ env: { MAAS_MCP_CONFIRM: 'token', MAAS_MCP_TOOLSETS: 'all' } });
  cleanups.push(() => sim.close());
  const ctx: ToolContext = { deps, principal: ADMIN };
  const writes = () =>
    sim.requests.entries.filter((e) => e.method === 'POST' || e.method === 'PUT' || e.method === 'DELETE')
      .length;
  return { sim, deps, clock: clock as ManualClock, ctx, writes };
}

/** Runs a call directly, through the one path, and once more with its token if the gate held it. */
async function confirmed(tool: AnyTool, args: Record<string, unknown>, ctx: ToolContext, clock: ManualClock) {
  const first = await drive(clock, runTool(tool, args, ctx));
  const token = (first as { confirm_token?: string }).confirm_token;
  if (!token) return [first];
  return [first, await drive(clock, runTool(tool, { ...args, confirm_token: token }, ctx))];
}

describe('the examples', () => {
  it('cover every tool in the registry', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
  });
});

describe('every destructive tool', () => {
  it.each(named(DESTRUCTIVE))(
    '%s, called without a token, asks for confirmation and writes nothing',
    async (name, tool) => {
      const { ctx, clock, writes } = rig();
      const args = await prepare(name, ctx, clock);
      const before = writes();
      const out = (await drive(clock, runTool(tool, args, ctx))) as Record<string, unknown>;
      expect(out.status, name).toBe('confirmation_required');
      expect(out.confirmation_required).toBe(true);
      expect(out.confirm_token).toMatch(/^mmc_/);
      expect(writes(), `${name} wrote to MAAS before it was confirmed`).toBe(before);
      // The token is in the tool's own input: the registry put it there.
      expect(Object.keys(tool.input.shape)).toContain('confirm_token');
    },
  );
});

describe('every write tool', () => {
  it.each(named(WRITES))('%s leaves an audit record', async (name, tool) => {
    const { ctx, clock, deps } = rig();
    const args = await prepare(name, ctx, clock);
    const before = (await deps.store.listAudit({ tool: name })).length;
    const answers = await confirmed(tool, args, ctx, clock);
    const last = answers.at(-1) as Record<string, unknown>;
    expect(isHeld(last), `${name} is still held`).toBe(false);
    expect(tool.failed?.(last) ?? false, `${name} achieved nothing: ${tool.render(last)}`).toBe(false);
    const records = await deps.store.listAudit({ tool: name });
    expect(records.length - before, name).toBe(1);
    expect(records[0]).toMatchObject({ principal: ADMIN.id, via: 'mcp', tool: name });
    expect(['ok', 'partial']).toContain(records[0]?.result);
  });
});

describe("every tool's answer validates against its own output schema", () => {
  it.each(named(ALL_TOOLS))('%s, run directly', async (name, tool) => {
    const { ctx, clock } = rig();
    const args = await prepare(name, ctx, clock);
    for (const out of await confirmed(tool, args, ctx, clock)) {
      const checked = tool.output.safeParse(out);
      expect(checked.success, `${name}: ${checked.error?.message}`).toBe(true);
    }
  });

  it.each(named(ALL_TOOLS))('%s, over MCP', async (name, tool) => {
    const { deps, ctx, clock } = rig();
    const args = await prepare(name, ctx, clock);
    const { client, close } = await connectClient(deps);
    cleanups.push(close);
    // The client checks every structured answer against the output schema it was listed with.
    await client.listTools();
    const first = await drive(clock, call(client, name, args));
    const answers = [first];
    const token = (first.data as { confirm_token?: string }).confirm_token;
    if (token) answers.push(await drive(clock, call(client, name, { ...args, confirm_token: token })));
    for (const res of answers) {
      expect(res.isError, `${name}: ${res.text}`).toBe(false);
      const checked = tool.output.safeParse(res.data);
      expect(checked.success, `${name}: ${checked.error?.message}`).toBe(true);
    }
  });

  it.each(named(IN_SLACK))('%s, through Slack', async (name, tool) => {
    const r = await slackRig({ MAAS_MCP_CONFIRM: 'token', MAAS_MCP_TOOLSETS: 'all' });
    cleanups.push(r.close);
    const ctx: ToolContext = { deps: r.deps, principal: { id: 'UADMIN', role: 'admin', via: 'slack' } };
    const args = await prepare(name, ctx, r.clock);
    // The same tools, each answer kept to be checked.
    const answers: unknown[] = [];
    const watched = ALL_TOOLS.map((t) =>
      t.name !== name
        ? t
        : {
            ...t,
            run: async (...a: Parameters<AnyTool['run']>) => {
              const out = await t.run(...a);
              answers.push(out);
              return out;
            },
          },
    );
    const slack = createSlack(r.deps, { tools: watched });
    if (!slack) throw new Error('Slack is not configured');
    let msg = (await drive(
      r.clock,
      slack.command({ user_id: 'UADMIN', channel_id: 'CCHAN', text: slackText(tool, args) }),
    )) as Msg;
    if (tool.annotations.destructiveHint) {
      const value = buttonValue(msg);
      const clicked = await drive(
        r.clock,
        slack.interaction({
          type: 'block_actions',
          user: { id: 'UADMIN' },
          actions: [{ action_id: 'maas:confirm', value }],
          channel: { id: 'CCHAN' },
        }),
      );
      msg = (clicked && 'replace' in clicked ? clicked.replace : { text: JSON.stringify(clicked) }) as Msg;
    }
    expect(msg.text, `${name}: ${JSON.stringify(msg)}`).not.toMatch(
      /internal error|outside its output schema/,
    );
    expect(JSON.stringify(msg.blocks ?? []), name).not.toContain(':warning: ');
    expect(answers.length, `${name} did not run`).toBeGreaterThan(0);
    for (const out of answers) {
      const checked = tool.output.safeParse(out);
      expect(checked.success, `${name}: ${checked.error?.message}`).toBe(true);
    }
  });
});

/** The `/maas` text of a call: the verb, bare words for the positional field, key=value for the rest. */
function slackText(tool: AnyTool, args: Record<string, unknown>): string {
  const quote = (v: unknown) => (/\s/.test(String(v)) ? `"${String(v)}"` : String(v));
  const words = [tool.verb];
  // Objects and lists of objects as dotted paths: set.service=web, bonds.0.name=bond0.
  const flat = (path: string, value: unknown): void => {
    if (Array.isArray(value) && value.some((v) => v !== null && typeof v === 'object')) {
      value.forEach((v, i) => {
        flat(`${path}.${i}`, v);
      });
    } else if (Array.isArray(value)) words.push(`${path}=${value.join(',')}`);
    else if (value !== null && typeof value === 'object')
      for (const [sub, v] of Object.entries(value)) flat(`${path}.${sub}`, v);
    else words.push(`${path}=${quote(value)}`);
  };
  for (const [key, value] of Object.entries(args)) {
    if (key === tool.slack?.positional) words.push(...[value].flat().map(String));
    else flat(key, value);
  }
  return words.join(' ');
}
