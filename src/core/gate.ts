/**
 * The confirmation gate (README "Safety"): the one path (core/invoke.ts) passes every call of a destructive tool
 * through it, and every call whose plan asks for confirmation. Nothing it holds runs before a person (through MCP
 * elicitation, a confirm token, or Slack) has seen a preview of what will happen to each target, and nothing runs
 * if a target changed since that preview. The gate decides; the one path audits what it decided.
 */
import { randomBase64url } from '../base/ids.ts';
import type { ApprovalNeed, ConfirmedPlan, GatedTool, ToolContext } from './deps.ts';
import { Refusal } from './errors.ts';
import { needsConfirmation, type Plan, type PreviewRow, plansWork, stateChanges } from './plan.ts';
import type { ActionResult } from './result.ts';
import { normaliseRefs } from './targets.ts';

export const CONFIRM_TTL_MS = 5 * 60_000;
const TOKEN_RE = /^mmc_[A-Za-z0-9_-]{43}$/;

/** A refusal by the gate: always an error result that says why and what to do next. */
export class GateRefusal extends Refusal {
  override name = 'GateRefusal';
  constructor(message: string, audit?: ConstructorParameters<typeof Refusal>[2]) {
    super(message, 'gate', audit);
  }
}

export type GateDecision = { hold: ActionResult } | { run: Plan };

/**
 * What a policy rule asks of the gate beyond the tool's own rules (README "Guardrails"): a person's confirmation
 * even where MAAS_MCP_CONFIRM=off, or approval in Slack by `approvers` distinct people.
 */
export type GateNeed = { confirm: true; rules: string[] } | { approve: ApprovalNeed };

/**
 * Holds a call for confirmation, or lets it through: `hold` is the answer to give instead of running
 * (confirmation required, cancelled, awaiting approval); `run` carries the plan to run with, read after the
 * confirmation. A refusal (a bad or stale token, a changed machine) is thrown as a {@link GateRefusal}.
 */
export async function gate(
  tool: GatedTool,
  args: Record<string, unknown>,
  plan: Plan,
  ctx: ToolContext,
  replan: () => Promise<Plan>,
  need?: GateNeed,
): Promise<GateDecision> {
  const verb = tool.phrase;
  const approval = need && 'approve' in need ? need.approve : undefined;
  // A person already approved this call (in Slack) on the machines as they were then: they still must be.
  if (ctx.confirmedAgainst) {
    const changed = stateChanges(ctx.confirmedAgainst, plan);
    if (changed) refuse(plan, `${changed} What was approved no longer holds.`);
    const by = ctx.approvedBy?.length ?? 1;
    if (approval && by < approval.approvers) {
      refuse(
        plan,
        `policy rule ${approval.rules.join(', ')} now asks ${approval.approvers} people to approve this; ${by} did.`,
      );
    }
    return { run: plan };
  }
  // A step of a plan confirmed as a whole (a workflow run): through if the person was shown it, else refused.
  if (ctx.confirmedPlan) {
    const why = uncoveredBy(ctx.confirmedPlan, tool, plan);
    if (why) refuse(plan, why);
    return { run: plan };
  }
  if (approval) {
    // Nothing would be done (every machine skipped or refused): nobody needs to approve nothing.
    if (!plansWork(plan)) return { run: plan };
    if (tool.holds === false) {
      throw new GateRefusal(
        `Not done: policy rule ${approval.rules.join(', ')} asks people to approve this ${verb} in Slack, and ${tool.name} answers at once: it cannot wait for an approval. Nothing was changed; ask an admin to make the rule deny or confirm for ${tool.name}.`,
      );
    }
    if (!ctx.deps.requestApproval) {
      throw new GateRefusal(
        `Not done: policy rule ${approval.rules.join(', ')} asks a person to approve this in Slack, and Slack approvals are not set up here (SLACK_BOT_TOKEN and SLACK_NOTIFY_CHANNEL).`,
      );
    }
    return { hold: await ctx.deps.requestApproval(tool, args, plan, ctx, approval) };
  }
  const forced = need !== undefined && 'confirm' in need;
  const configured = ctx.confirmMode ?? ctx.deps.config.confirm;
  // A rule that asks for confirmation holds even where confirmation is off.
  const mode = configured === 'off' && forced ? 'auto' : configured;
  if (mode === 'off') return { run: plan };

  // A presented token is always checked, even if nothing is left to do: a reused or foreign token is refused.
  const token = typeof args.confirm_token === 'string' ? args.confirm_token : undefined;
  if (token !== undefined) {
    // `plan` was read for this very call, so it is the state the token is checked against.
    await redeem(tool, args, plan, ctx, token);
    return { run: plan };
  }
  // Nothing would happen (every target skipped or refused), or nothing destructive: no need to ask — unless a
  // rule asks, for anything the call would do.
  if (!(forced ? plansWork(plan) : needsConfirmation(plan))) return { run: plan };
  if (mode === 'slack') {
    if (!ctx.deps.requestApproval) {
      throw new GateRefusal(
        'MAAS_MCP_CONFIRM=slack needs Slack (SLACK_BOT_TOKEN and SLACK_NOTIFY_CHANNEL) to ask a person for approval',
      );
    }
    return { hold: await ctx.deps.requestApproval(tool, args, plan, ctx) };
  }
  if (mode === 'auto' && ctx.elicit) {
    const answer = await ctx.elicit(confirmMessage(verb, plan));
    if (answer !== 'accept') {
      const how = answer === 'decline' ? 'declined' : 'cancelled';
      // A tool whose answer cannot be the gate's says so as a refusal.
      if (tool.holds === false)
        throw new GateRefusal(`Not done: the ${verb} was ${how}; nothing was changed.`);
      return {
        hold: held('cancelled', verb, plan, `Cancelled: nothing was changed (the ${verb} was ${how}).`),
      };
    }
    // The person answered on the preview they saw, maybe minutes ago: the targets must still be as shown.
    const now = await replan();
    const changed = stateChanges(plan.snapshot, now);
    if (changed) refuse(now, `${changed} Nothing was changed; ask again for a new preview.`);
    return { run: now };
  }

  if (tool.gated === false || tool.holds === false) {
    // No confirm_token in its input, or no room for the gate's answer in its output: a token cannot work.
    const instead =
      tool.holds === false ? '' : '; ask an admin to make the rule "approve" if this must work here';
    throw new GateRefusal(
      `Not done: policy rule ${forced ? need.rules.join(', ') : ''} asks a person to confirm this ${verb}, and ${tool.name} can only be confirmed by a client that asks its user (MCP elicitation). Nothing was changed${instead}.`,
    );
  }
  const issued = await issue(tool, args, plan, ctx);
  const result: ActionResult = {
    ...held(
      'confirmation_required',
      verb,
      plan,
      `Confirmation required: ${verb} ${count(plan.rows, plan.whole === true)}. Nothing has been changed yet.`,
    ),
    confirmation_required: true,
    confirm_token: issued.token,
    expires_at: new Date(issued.expiresAt).toISOString(),
  };
  return { hold: result };
}

/** Why the confirmed plan does not cover this call, or undefined when every machine it would act on was shown. */
function uncoveredBy(confirmed: ConfirmedPlan, tool: GatedTool, plan: Plan): string | undefined {
  if (plan.whole) return `${confirmed.name} cannot vouch for a ${tool.phrase} that names no machines`;
  for (const r of plan.rows) {
    if (r.verdict !== 'run') continue;
    const why = confirmed.uncovered(tool.name, r);
    if (why) return why;
  }
  return undefined;
}

function held(status: 'confirmation_required' | 'cancelled', verb: string, plan: Plan, summary: string) {
  return {
    status,
    action: verb,
    summary,
    succeeded: [],
    skipped: [],
    failed: [],
    not_found: plan.missing,
    preview: plan.rows,
  } satisfies ActionResult;
}

/** "2 machines", or "as asked" for a call that names no targets. */
function count(rows: readonly PreviewRow[], whole: boolean): string {
  if (whole) return 'as asked';
  const n = rows.filter((r) => r.verdict === 'run').length;
  return `${n} machine${n === 1 ? '' : 's'}`;
}

/**
 * The question a person is asked to confirm a call: the action, and what it does to each target. From the plan, or
 * (for an adapter that asks after the gate answered, as MCP's multi-round-trip confirmation does) from the held
 * answer's preview.
 */
export function confirmQuestion(
  verb: string,
  rows: readonly PreviewRow[],
  missing: readonly string[],
  whole = false,
) {
  const lines = [`${verb[0]?.toUpperCase()}${verb.slice(1)} ${count(rows, whole)}?`];
  for (const r of rows) {
    const mark = r.verdict === 'run' ? '•' : r.verdict === 'skip' ? '(skip)' : '(refused)';
    lines.push(
      `${mark} ${r.hostname} — ${r.status}, power ${r.power}${r.owner ? `, owner ${r.owner}` : ''}: ${r.effect}`,
    );
  }
  if (missing.length) lines.push(`Not found: ${missing.join(', ')}`);
  return lines.join('\n');
}

/** The question shown in an elicitation prompt. */
function confirmMessage(verb: string, plan: Plan): string {
  return confirmQuestion(verb, plan.rows, plan.missing, plan.whole === true);
}

async function issue(tool: GatedTool, args: Record<string, unknown>, plan: Plan, ctx: ToolContext) {
  const { store, clock } = ctx.deps;
  const now = clock.now();
  const token = `mmc_${randomBase64url(32)}`;
  const expiresAt = now + CONFIRM_TTL_MS;
  await store.putConfirmation({
    token_hash: await sha256(token),
    tool: tool.name,
    args_hash: await argsHash(args),
    principal: principalKey(ctx),
    targets: plan.snapshot,
    created_at: now,
    expires_at: expiresAt,
    used_at: null,
  });
  // Keep the table small: forget confirmations that expired an hour ago.
  await store.purgeConfirmations(now - 60 * 60_000).catch(() => 0);
  return { token, expiresAt };
}

async function redeem(
  tool: GatedTool,
  args: Record<string, unknown>,
  plan: Plan,
  ctx: ToolContext,
  token: string,
): Promise<void> {
  const { store, clock } = ctx.deps;
  const again = `Call ${tool.name} again without confirm_token to get a new preview.`;
  if (!TOKEN_RE.test(token)) refuse(plan, `confirm_token is not a token maas-mcp issued. ${again}`);
  const c = await store.getConfirmation(await sha256(token));
  const now = clock.now();
  if (!c) refuse(plan, `confirm_token is unknown here (never issued, or long expired). ${again}`);
  if (c.used_at !== null) {
    refuse(plan, `this confirm_token was already used at ${iso(c.used_at)}; a token works once. ${again}`);
  }
  if (now >= c.expires_at) {
    refuse(plan, `this confirm_token expired at ${iso(c.expires_at)} (tokens last 5 minutes). ${again}`);
  }
  if (c.tool !== tool.name) {
    refuse(plan, `this confirm_token was issued for ${c.tool}, not ${tool.name}. ${again}`);
  }
  if (c.principal !== principalKey(ctx)) {
    refuse(plan, `this confirm_token was issued to someone else. ${again}`);
  }
  if (c.args_hash !== (await argsHash(args))) {
    refuse(
      plan,
      `the arguments differ from the ones previewed (a confirm_token is bound to the exact arguments). ${again}`,
    );
  }
  const changed = stateChanges(c.targets, plan);
  if (changed) {
    await store.useConfirmation(c.token_hash, now);
    refuse(plan, `${changed} The preview no longer holds, so nothing was changed. ${again}`);
  }
  if (!(await store.useConfirmation(c.token_hash, now))) {
    refuse(plan, `this confirm_token was already used; a token works once. ${again}`);
  }
}

/** Refuses the call: the one path audits it with the plan's targets as they were. */
function refuse(plan: Plan, why: string): never {
  throw new GateRefusal(`Not done: ${why}`, {
    targets: plan.rows.map((r) => ({ system_id: r.system_id, hostname: r.hostname, before: r.status })),
  });
}

function principalKey(ctx: ToolContext): string {
  return `${ctx.principal.via}:${ctx.principal.id}`;
}

/**
 * The arguments a token is bound to: everything but the token and how long the answer waits (`wait`,
 * `wait_timeout_s` change when the call answers, not what it does), keys sorted, machine references normalised
 * (so "web-01,web-02" and ["web-02", "web-01"] are the same call).
 */
export async function argsHash(args: Record<string, unknown>): Promise<string> {
  const { confirm_token: _ignored, wait: _wait, wait_timeout_s: _timeout, ...rest } = args;
  if ('machines' in rest) rest.machines = normaliseRefs(rest.machines as string | string[]).sort();
  return sha256(canonicalJson(rest));
}

/** JSON with object keys sorted and undefined members left out: equal values, equal text. */
export function canonicalJson(value: unknown): string {
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
