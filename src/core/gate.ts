/**
 * The confirmation gate for destructive tools (README "Safety"). Nothing destructive runs before a person
 * (through MCP elicitation, a confirm token, or Slack) has seen a preview of what will happen to each machine,
 * and nothing runs if a machine changed since that preview.
 */

import { randomBase64url } from '../base/ids.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import type { MachineSnapshot } from '../store/types.ts';
import type { ActionResult, Plan, PreviewRow } from './actions.ts';
import { recordAudit } from './audit.ts';
import { ToolError } from './errors.ts';
import { normaliseRefs } from './targets.ts';
import type { AnyTool, ToolContext } from './tool.ts';

export const CONFIRM_TTL_MS = 5 * 60_000;
const TOKEN_RE = /^mmc_[A-Za-z0-9_-]{43}$/;

/** A refusal by the gate: always an error result that says why and what to do next. */
export class GateRefusal extends ToolError {
  override name = 'GateRefusal';
}

export type GateDecision = { hold: ActionResult } | { run: Plan };

/**
 * Holds a destructive call for confirmation, or lets it through: `hold` is the answer to give instead of
 * running (confirmation required, cancelled, awaiting approval); `run` carries the plan to run with, read
 * after the confirmation.
 */
export async function gate(
  tool: AnyTool,
  args: Record<string, unknown>,
  plan: Plan,
  ctx: ToolContext,
  replan: () => Promise<Plan>,
): Promise<GateDecision> {
  const verb = tool.verb ?? tool.title.toLowerCase();
  // A person already approved this call (in Slack) on the machines as they were then: they still must be.
  if (ctx.confirmedAgainst) {
    const changed = stateChanges(ctx.confirmedAgainst, plan);
    if (changed) await refuse(tool, args, plan, ctx, `${changed} What was approved no longer holds.`);
    return { run: plan };
  }
  const mode = ctx.confirmMode ?? ctx.deps.config.confirm;
  if (mode === 'off') return { run: plan };

  // A presented token is always checked, even if nothing is left to do: a reused or foreign token is refused.
  const token = typeof args.confirm_token === 'string' ? args.confirm_token : undefined;
  if (token !== undefined) {
    // `plan` was read for this very call, so it is the state the token is checked against.
    await redeem(tool, args, plan, ctx, token);
    return { run: plan };
  }
  // Nothing destructive would happen (every target skipped or refused): no need to ask.
  if (!plan.rows.some((r) => r.verdict === 'run')) return { run: plan };
  if (mode === 'slack') {
    if (!ctx.requestApproval) {
      throw new GateRefusal(
        'MAAS_MCP_CONFIRM=slack needs Slack (SLACK_BOT_TOKEN and SLACK_NOTIFY_CHANNEL) to ask a person for approval',
      );
    }
    return { hold: await ctx.requestApproval(tool, args, plan) };
  }
  if (mode === 'auto' && ctx.elicit) {
    const answer = await ctx.elicit(confirmMessage(verb, plan));
    if (answer !== 'accept') {
      await recordAudit(ctx, {
        tool: tool.name,
        args,
        result: 'cancelled',
        detail: `${verb}: ${answer === 'decline' ? 'declined' : 'cancelled'} at the confirmation prompt`,
        targets: auditTargets(plan),
      });
      return {
        hold: held(
          'cancelled',
          verb,
          plan,
          `Cancelled: nothing was changed (the ${verb} was ${answer === 'decline' ? 'declined' : 'cancelled'}).`,
        ),
      };
    }
    // The person answered on the preview they saw, maybe minutes ago: the machines must still be as shown.
    const now = await replan();
    const changed = stateChanges(snapshotOf(plan), now);
    if (changed)
      await refuse(tool, args, now, ctx, `${changed} Nothing was changed; ask again for a new preview.`);
    return { run: now };
  }

  const issued = await issue(tool, args, plan, ctx);
  const result: ActionResult = {
    ...held(
      'confirmation_required',
      verb,
      plan,
      `Confirmation required: ${verb} ${count(plan)}. Nothing has been changed yet.`,
    ),
    confirmation_required: true,
    confirm_token: issued.token,
    expires_at: new Date(issued.expiresAt).toISOString(),
  };
  return { hold: result };
}

function held(
  status: 'confirmation_required' | 'cancelled',
  verb: string,
  plan: Plan,
  summary: string,
): ActionResult {
  return {
    status,
    action: verb,
    summary,
    succeeded: [],
    skipped: [],
    failed: [],
    not_found: plan.missing,
    preview: plan.rows,
  };
}

function count(plan: Plan): string {
  const n = plan.rows.filter((r) => r.verdict === 'run').length;
  return `${n} machine${n === 1 ? '' : 's'}`;
}

/** The question shown in an elicitation prompt. */
function confirmMessage(verb: string, plan: Plan): string {
  const lines = [`${verb[0]?.toUpperCase()}${verb.slice(1)} ${count(plan)}?`];
  for (const r of plan.rows) {
    const mark = r.verdict === 'run' ? '•' : r.verdict === 'skip' ? '(skip)' : '(refused)';
    lines.push(
      `${mark} ${r.hostname} — ${r.status}, power ${r.power}${r.owner ? `, owner ${r.owner}` : ''}: ${r.effect}`,
    );
  }
  if (plan.missing.length) lines.push(`Not found: ${plan.missing.join(', ')}`);
  return lines.join('\n');
}

async function issue(tool: AnyTool, args: Record<string, unknown>, plan: Plan, ctx: ToolContext) {
  const { store, clock } = ctx.deps;
  const now = clock.now();
  const token = `mmc_${randomBase64url(32)}`;
  const expiresAt = now + CONFIRM_TTL_MS;
  await store.putConfirmation({
    token_hash: await sha256(token),
    tool: tool.name,
    args_hash: await argsHash(args),
    principal: principalKey(ctx),
    targets: snapshotOf(plan),
    created_at: now,
    expires_at: expiresAt,
    used_at: null,
  });
  // Keep the table small: forget confirmations that expired an hour ago.
  await store.purgeConfirmations(now - 60 * 60_000).catch(() => 0);
  return { token, expiresAt };
}

async function redeem(
  tool: AnyTool,
  args: Record<string, unknown>,
  plan: Plan,
  ctx: ToolContext,
  token: string,
) {
  const { store, clock } = ctx.deps;
  const again = `Call ${tool.name} again without confirm_token to get a new preview.`;
  if (!TOKEN_RE.test(token)) {
    await refuse(tool, args, plan, ctx, `confirm_token is not a token maas-mcp issued. ${again}`);
  }
  const c = await store.getConfirmation(await sha256(token));
  const now = clock.now();
  if (!c)
    await refuse(
      tool,
      args,
      plan,
      ctx,
      `confirm_token is unknown here (never issued, or long expired). ${again}`,
    );
  const conf = c as NonNullable<typeof c>;
  if (conf.used_at !== null) {
    await refuse(
      tool,
      args,
      plan,
      ctx,
      `this confirm_token was already used at ${iso(conf.used_at)}; a token works once. ${again}`,
    );
  }
  if (now >= conf.expires_at) {
    await refuse(
      tool,
      args,
      plan,
      ctx,
      `this confirm_token expired at ${iso(conf.expires_at)} (tokens last 5 minutes). ${again}`,
    );
  }
  if (conf.tool !== tool.name) {
    await refuse(
      tool,
      args,
      plan,
      ctx,
      `this confirm_token was issued for ${conf.tool}, not ${tool.name}. ${again}`,
    );
  }
  if (conf.principal !== principalKey(ctx)) {
    await refuse(tool, args, plan, ctx, `this confirm_token was issued to someone else. ${again}`);
  }
  if (conf.args_hash !== (await argsHash(args))) {
    await refuse(
      tool,
      args,
      plan,
      ctx,
      `the arguments differ from the ones previewed (a confirm_token is bound to the exact arguments). ${again}`,
    );
  }
  const changed = stateChanges(conf.targets, plan);
  if (changed) {
    await store.useConfirmation(conf.token_hash, now);
    await refuse(
      tool,
      args,
      plan,
      ctx,
      `${changed} The preview no longer holds, so nothing was changed. ${again}`,
    );
  }
  if (!(await store.useConfirmation(conf.token_hash, now))) {
    await refuse(tool, args, plan, ctx, `this confirm_token was already used; a token works once. ${again}`);
  }
}

/** Every machine a plan names, as its preview shows them and with what it promises for each. */
export function snapshotOf(plan: Plan): MachineSnapshot[] {
  return plan.machines.map((m, i) => {
    const row = plan.rows[i] as PreviewRow;
    return {
      system_id: m.system_id,
      status: m.status,
      shown: {
        hostname: m.hostname,
        owner: m.owner,
        locked: m.locked,
        deployment: deploymentOf(m),
        verdict: row.verdict,
        effect: row.effect,
      },
    };
  });
}

/**
 * What tells one deployment of a machine from the next: MAAS starts a new installation result each time it
 * deploys (`current_installation_result_id`, MAAS `maasserver/api/machines.py`), whoever deploys it.
 */
function deploymentOf(m: MachineSummary): string {
  return `${m.osystem}/${m.distro_series}#${m.current_installation_result_id ?? ''}`;
}

/** A sentence naming what changed between a preview's snapshot and now, or undefined. */
function stateChanges(snapshot: readonly MachineSnapshot[], now: Plan): string | undefined {
  const current = new Map(now.machines.map((m, i) => [m.system_id, { m, row: now.rows[i] as PreviewRow }]));
  const changes: string[] = [];
  for (const t of snapshot) {
    const c = current.get(t.system_id);
    const changed = c ? changeOf(t, c.m, c.row) : `${t.system_id} is no longer among the targets`;
    if (changed) changes.push(changed);
  }
  for (const m of now.machines) {
    if (!snapshot.some((t) => t.system_id === m.system_id))
      changes.push(`${m.hostname} was not in the preview`);
  }
  return changes.length ? `Since the preview, ${changes.join('; ')}.` : undefined;
}

/**
 * How one machine differs from what its preview showed and promised, or undefined: its status, its owner (it was
 * released and allocated by someone else), its deployment (deployed again), its name or lock, or what would be
 * done to it (a machine the preview skipped would now be acted on).
 */
function changeOf(t: MachineSnapshot, m: MachineSummary, row: PreviewRow): string | undefined {
  if (m.status !== t.status) return `${m.hostname} is now ${m.status_name}`;
  const was = t.shown;
  if (!was) return `the preview of ${m.hostname} was made by an older maas-mcp that did not record its owner`;
  if (m.owner !== was.owner) {
    if (!m.owner) return `${m.hostname} no longer belongs to ${was.owner}`;
    return `${m.hostname} now belongs to ${m.owner}${was.owner ? ` (it was ${was.owner}'s)` : ''}`;
  }
  if (deploymentOf(m) !== was.deployment) return `${m.hostname} was deployed again`;
  if (m.hostname !== was.hostname) return `${was.hostname} is now called ${m.hostname}`;
  if (m.locked !== was.locked) return `${m.hostname} is now ${m.locked ? 'locked' : 'unlocked'}`;
  if (row.verdict !== was.verdict || row.effect !== was.effect) {
    const what =
      row.verdict === 'run' ? row.effect : `${row.verdict === 'skip' ? 'skipped' : 'refused'}: ${row.effect}`;
    return `what would happen to ${m.hostname} changed (now: ${what})`;
  }
  return undefined;
}

async function refuse(
  tool: AnyTool,
  args: Record<string, unknown>,
  plan: Plan,
  ctx: ToolContext,
  why: string,
): Promise<never> {
  await recordAudit(ctx, {
    tool: tool.name,
    args,
    result: 'refused',
    detail: why,
    targets: auditTargets(plan),
  });
  throw new GateRefusal(`Not done: ${why}`);
}

function auditTargets(plan: Plan) {
  return plan.rows.map((r) => ({ system_id: r.system_id, hostname: r.hostname, before: r.status }));
}

function principalKey(ctx: ToolContext): string {
  return `${ctx.principal.via}:${ctx.principal.id}`;
}

/**
 * The arguments a token is bound to: everything but the token, keys sorted, machine references normalised
 * (so "web-01,web-02" and ["web-02", "web-01"] are the same call).
 */
async function argsHash(args: Record<string, unknown>): Promise<string> {
  const { confirm_token: _ignored, ...rest } = args;
  if ('machines' in rest) rest.machines = normaliseRefs(rest.machines as string | string[]).sort();
  return sha256(canonicalJson(rest));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
