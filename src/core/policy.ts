/**
 * Policy rules (README "Guardrails", MAAS_MCP_POLICY): allow, deny, confirm or approve per tool, caller and
 * targets. The one path (core/invoke.ts) asks for a decision here, after the role check and the preview and before
 * the confirmation gate, for every tool and every adapter. A call on many machines is judged per machine: the ones
 * a rule denies are left out (the others go ahead, unless the rule says `all_or_nothing`) and the answer says which
 * and why. Without a policy every call gets the tool's own rules.
 */
import type { MachineSummary } from '../maas/schemas.ts';
import type { ToolContext } from './deps.ts';
import { Refusal } from './errors.ts';
import { type DeniedTarget, policyRefusal } from './policy/denied.ts';
import { type CallFacts, evaluate, judgesTargets, type TargetFacts } from './policy/evaluate.ts';
import type { Policy, PolicyRule, Via } from './policy/rules.ts';

export { deniedAuditTargets, withDenied } from './policy/denied.ts';
export type { PolicySource } from './policy/rules.ts';

import type { Plan, PreviewRow } from './plan.ts';
import { resolveMachines } from './targets.ts';
import type { WorkflowPreview } from './workflows/api.ts';

export interface PolicyDecision {
  /**
   * default: no rule spoke (the tool's own rules apply); allow: a rule let it through to the tool's own rules;
   * confirm: a person must confirm it even where MAAS_MCP_CONFIRM=off; approve: `approvers` people must approve it
   * in Slack. A call a rule denies whole is thrown as a policy {@link Refusal}, never answered here.
   */
  effect: 'default' | 'allow' | 'confirm' | 'approve';
  /** The ids of the rules that decided the call or any of its machines (for the audit). */
  rules: string[];
  /** approve: how many distinct people, none of them the requester. */
  approvers: number;
  /** approve: the rules' reasons, shown to the approvers. */
  reason?: string;
  /** Machines a rule refused; the call goes ahead without them. */
  denied: DeniedTarget[];
}

const DEFAULT: PolicyDecision = { effect: 'default', rules: [], approvers: 0, denied: [] };

/** What a call runs with once the policy has spoken: maybe fewer machines (and then a plan read for those). */
export interface Decided {
  decision: PolicyDecision;
  args: Record<string, unknown>;
  plan: Plan | undefined;
}

/**
 * The decision for one call, from what it is, who makes it and what its preview says it would touch. Throws a
 * policy {@link Refusal} naming the rule when the call may not go ahead at all; when only some machines are
 * denied, answers the call narrowed to the others (its plan read again for them).
 */
export async function decide(
  tool: {
    name: string;
    verb: string;
    input: { shape: object };
    annotations: { readOnlyHint: boolean };
  },
  args: Record<string, unknown>,
  plan: Plan | undefined,
  ctx: ToolContext,
  replan?: (args: Record<string, unknown>) => Promise<Plan>,
): Promise<Decided> {
  const policy = ctx.deps.policy?.current();
  if (!policy) return { decision: DEFAULT, args, plan };
  // A workflow run is judged as its steps will be: `via: workflow` rules speak for it too.
  const call = callFacts(
    tool,
    args,
    ctx,
    (plan as { workflow?: unknown } | undefined)?.workflow !== undefined,
  );
  const targets = plan ? await targetFacts(policy, plan, ctx) : await namedTargets(policy, tool, args, ctx);
  const first = judge(policy, call, targets);
  if (first.denied.length === 0) return { decision: first, args, plan };

  const deniedRules = policy.rules.filter((r) => first.denied.some((d) => d.rule === r.id));
  const allOrNothing = deniedRules.find((r) => r.allOrNothing);
  const field = narrowField(tool, args);
  const left = targets.length - first.denied.length;
  if (allOrNothing || left === 0 || !field || !replan) {
    const why = allOrNothing
      ? ` Rule ${allOrNothing.id} refuses the whole call when any machine is denied: nothing was done.`
      : left > 0
        ? ` ${tool.name} cannot be narrowed to the other machines: nothing was done.`
        : '';
    throw policyRefusal(tool.name, first.denied, why, plan);
  }
  // Go ahead without the denied machines: the same call on the others (those it would skip or refuse, and names
  // MAAS does not know, stay, so the answer still says what became of them), previewed afresh.
  const out = new Set(first.denied.map((d) => d.system_id));
  const kept = (plan?.rows ?? []).filter((r) => !out.has(r.system_id));
  const narrowed = {
    ...args,
    [field]:
      field === 'hosts'
        ? kept.map((r) => r.hostname)
        : [...kept.map((r) => r.system_id), ...(plan?.missing ?? [])],
  };
  const again = await replan(narrowed);
  const second = judge(policy, call, await targetFacts(policy, again, ctx));
  if (second.denied.length > 0) throw policyRefusal(tool.name, second.denied, '', again);
  return {
    decision: { ...second, rules: unique([...first.rules, ...second.rules]), denied: first.denied },
    args: narrowed,
    plan: again,
  };
}

function judge(
  policy: Policy,
  call: CallFacts,
  targets: (TargetFacts & { row?: PreviewRow })[],
): PolicyDecision {
  const ev = evaluate(policy, call, targets);
  if (targets.length === 0) {
    const rule = ev.call;
    if (!rule) return DEFAULT;
    if (rule.effect === 'deny') {
      throw new Refusal(`${call.tool} is not allowed: ${rule.reason} (policy rule ${rule.id})`, 'policy');
    }
    return fromRules([rule], []);
  }
  const denied: DeniedTarget[] = [];
  const applied: PolicyRule[] = [];
  for (const [i, { rule }] of ev.targets.entries()) {
    const target = targets[i] as TargetFacts & { row?: PreviewRow };
    if (!rule) continue;
    if (!applied.includes(rule)) applied.push(rule);
    if (rule.effect === 'deny') {
      denied.push({
        system_id: target.system_id,
        hostname: target.hostname,
        status: target.status,
        rule: rule.id,
        reason: rule.reason ?? 'denied by policy',
        ...(target.row ? { row: target.row } : {}),
      });
    }
  }
  return fromRules(applied, denied);
}

/** The strongest effect among the rules that decided the machines that go ahead. */
function fromRules(rules: PolicyRule[], denied: DeniedTarget[]): PolicyDecision {
  if (rules.length === 0) return { ...DEFAULT, denied };
  const going = rules.filter((r) => r.effect !== 'deny');
  const approve = going.filter((r) => r.effect === 'approve');
  const effect: PolicyDecision['effect'] =
    approve.length > 0
      ? 'approve'
      : going.some((r) => r.effect === 'confirm')
        ? 'confirm'
        : going.length
          ? 'allow'
          : 'default';
  const reasons = approve.flatMap((r) => (r.reason ? [`${r.reason} (rule ${r.id})`] : [`rule ${r.id}`]));
  return {
    effect,
    rules: rules.map((r) => r.id),
    approvers: approve.reduce((n, r) => Math.max(n, r.approvers), 0),
    ...(approve.length ? { reason: reasons.join('; ') } : {}),
    denied,
  };
}

/** The argument that names the machines, when the call can be narrowed to some of them. */
function narrowField(tool: { input: { shape: object } }, args: Record<string, unknown>): string | undefined {
  if ('machines' in tool.input.shape && args.machines !== undefined) return 'machines';
  // A workflow's hosts select among its file's machines: naming the allowed ones narrows it, set or not.
  if ('hosts' in tool.input.shape) return 'hosts';
  return undefined;
}

/** The call's facts: the tool, what it does, who asks and how. */
function callFacts(
  tool: { name: string; verb: string },
  args: Record<string, unknown>,
  ctx: ToolContext,
  workflow: boolean,
): CallFacts {
  const actions = [tool.verb];
  if (args.erase === true || args.secure_erase === true || args.quick_erase === true) actions.push('erase');
  const via: Via[] = [ctx.principal.via];
  if (ctx.confirmedPlan || workflow) via.push('workflow');
  return { tool: tool.name, actions, principal: ctx.principal.id, role: ctx.principal.role, via };
}

/** The machines the call would act on (its plan's `run` rows), with their pool, zone and tags. */
async function targetFacts(
  policy: Policy,
  plan: Plan | undefined,
  ctx: ToolContext,
): Promise<(TargetFacts & { row: PreviewRow })[]> {
  if (!plan || plan.whole) return [];
  const rows = plan.rows.filter((r) => r.verdict === 'run');
  if (rows.length === 0) return [];
  const known = new Map<string, MachineSummary>();
  for (const m of (plan as { machines?: MachineSummary[] }).machines ?? []) known.set(m.system_id, m);
  const workflow = (plan as { workflow?: WorkflowPreview }).workflow;
  for (const m of workflow?.known.values() ?? []) known.set(m.system_id, m);
  const unknown = rows.filter((r) => r.system_id && !known.has(r.system_id)).map((r) => r.system_id);
  if (unknown.length > 0 && judgesTargets(policy)) {
    for (const m of await ctx.deps.maas.listMachines({ id: unknown }, { signal: ctx.signal }))
      known.set(m.system_id, m);
  }
  // A workflow's hosts: each one's actions are its steps' (and their tools' verbs), its tools the steps' tools.
  const stepsOf = new Map(
    (workflow?.hosts ?? []).map((h) => [
      h.hostname.toLowerCase(),
      {
        actions: [...new Set(h.steps.flatMap((s) => (s.tool ? [s.action, s.tool.verb] : [s.action])))],
        tools: h.steps.flatMap((s) => (s.tool ? [s.tool.name] : [])),
      },
    ]),
  );
  return rows.map((r) => factsOf(r, known.get(r.system_id), stepsOf.get(r.hostname.toLowerCase())));
}

/**
 * The machines a write without a preview names (`machine_tag`, `machine_update` …), read only when some rule asks
 * something of machines. Such a call cannot be narrowed: a machine denied refuses it whole.
 */
async function namedTargets(
  policy: Policy,
  tool: { annotations: { readOnlyHint: boolean } },
  args: Record<string, unknown>,
  ctx: ToolContext,
): Promise<TargetFacts[]> {
  const refs = args.machines ?? args.machine;
  if (tool.annotations.readOnlyHint || !judgesTargets(policy)) return [];
  if (typeof refs !== 'string' && !Array.isArray(refs)) return [];
  const { machines } = await resolveMachines(ctx.deps.maas, refs as string | string[], ctx.signal);
  return machines.map((m) => ({
    system_id: m.system_id,
    hostname: m.hostname,
    status: m.status_name,
    owner: m.owner,
    pool: m.pool?.name ?? undefined,
    zone: m.zone?.name ?? undefined,
    tags: m.tag_names,
  }));
}

function factsOf(
  row: PreviewRow,
  m: MachineSummary | undefined,
  steps: { actions: string[]; tools: string[] } | undefined,
): TargetFacts & { row: PreviewRow } {
  return {
    row,
    system_id: row.system_id,
    hostname: row.hostname,
    status: m?.status_name || row.status,
    owner: m ? m.owner : row.owner,
    pool: m?.pool?.name ?? undefined,
    zone: m?.zone?.name ?? undefined,
    tags: m?.tag_names ?? [],
    ...(steps ? { actions: steps.actions, tools: steps.tools } : {}),
  };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
