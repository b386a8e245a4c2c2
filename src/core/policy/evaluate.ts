/**
 * Judging a call by the policy (README "Guardrails"): pure functions over the rules and the facts of one call. The
 * rules are read in order and the first that matches wins — per machine, since one call may name machines that
 * different rules speak for. A rule without target conditions speaks for the call as a whole (and for every
 * machine in it); a rule with target conditions never matches a call that names no machines.
 */
import type { Role } from '../../config.ts';
import type { Policy, PolicyRule, TargetMatch, Via } from './rules.ts';

/** Who makes the call and what it does. */
export interface CallFacts {
  tool: string;
  /** What the call does, as rules name it: the tool's verb, and `erase` for a release that erases. */
  actions: readonly string[];
  principal: string;
  role: Role;
  /** How it came in: the principal's way (mcp, slack, cli), and `workflow` for a step of a workflow run. */
  via: readonly Via[];
}

/** One machine the call would act on, as MAAS describes it. */
export interface TargetFacts {
  system_id: string;
  hostname: string;
  status: string;
  owner: string | null;
  pool: string | undefined;
  zone: string | undefined;
  tags: readonly string[];
  /** What the call does to this machine when it differs per machine (a workflow's steps for this host). */
  actions?: readonly string[];
  /** The tools the call uses on this machine besides its own (a workflow's step tools for this host). */
  tools?: readonly string[];
}

export interface Evaluation {
  /** Per target (in order), the rule that decides it; undefined: no rule speaks for it. */
  targets: { target: TargetFacts; rule: PolicyRule | undefined }[];
  /** A call that names no machines: the rule that decides it, if any. */
  call: PolicyRule | undefined;
}

/** The rules' verdict on a call and each of its targets. */
export function evaluate(policy: Policy, call: CallFacts, targets: readonly TargetFacts[]): Evaluation {
  if (targets.length === 0) {
    const rule = policy.rules.find((r) => r.targets === undefined && callMatches(r, call, call.actions));
    return { targets: [], call: rule };
  }
  const decided: (PolicyRule | undefined)[] = targets.map(() => undefined);
  let open = targets.length;
  for (const rule of policy.rules) {
    if (open === 0) break;
    const hits = targets.map(
      (t) => callMatches(rule, call, t.actions ?? call.actions, t.tools) && targetMatches(rule.targets, t),
    );
    const min = rule.targets?.min_machines;
    if (min !== undefined && hits.filter(Boolean).length < min) continue;
    hits.forEach((hit, i) => {
      if (hit && decided[i] === undefined) {
        decided[i] = rule;
        open--;
      }
    });
  }
  return { targets: targets.map((target, i) => ({ target, rule: decided[i] })), call: undefined };
}

function callMatches(
  rule: PolicyRule,
  call: CallFacts,
  actions: readonly string[],
  tools: readonly string[] = [],
): boolean {
  if (rule.tools && !rule.tools.some((re) => re.test(call.tool) || tools.some((t) => re.test(t))))
    return false;
  if (rule.actions && !rule.actions.some((a) => actions.includes(a))) return false;
  if (rule.principals && !rule.principals.some((re) => re.test(call.principal))) return false;
  if (rule.roles && !rule.roles.includes(call.role)) return false;
  if (rule.via && !rule.via.some((v) => call.via.includes(v))) return false;
  return true;
}

function targetMatches(m: TargetMatch | undefined, t: TargetFacts): boolean {
  if (!m) return true;
  if (m.pools && !(t.pool !== undefined && m.pools.includes(t.pool))) return false;
  if (m.zones && !(t.zone !== undefined && m.zones.includes(t.zone))) return false;
  if (m.tags && !m.tags.some((tag) => t.tags.includes(tag))) return false;
  if (m.owners && !m.owners.includes(t.owner ?? 'none')) return false;
  if (m.statuses && !m.statuses.includes(t.status.toLowerCase())) return false;
  if (m.hostnames && !m.hostnames.some((re) => re.test(t.hostname))) return false;
  return true;
}

/** Whether any rule asks something of the machines (then a call's targets must be read to judge it). */
export function judgesTargets(policy: Policy): boolean {
  return policy.rules.some((r) => r.targets !== undefined);
}

/**
 * The rule under which `caller` can never use `tool`, whatever it names: the first rule that could apply to the
 * tool for this caller denies it unconditionally. Undefined when some call could get through (tools/list keeps it).
 */
export function neverAllowedBy(
  policy: Policy | undefined,
  tool: { name: string; actions: readonly string[] },
  caller: { principal: string; role: Role; via: readonly Via[] },
): PolicyRule | undefined {
  if (!policy) return undefined;
  const call: CallFacts = { tool: tool.name, actions: tool.actions, ...caller };
  for (const rule of policy.rules) {
    if (rule.tools && !rule.tools.some((re) => re.test(tool.name))) continue;
    if (rule.principals && !rule.principals.some((re) => re.test(caller.principal))) continue;
    if (rule.roles && !rule.roles.includes(caller.role)) continue;
    if (rule.via && !rule.via.some((v) => caller.via.includes(v))) continue;
    if (rule.actions && !rule.actions.some((a) => tool.actions.includes(a))) continue;
    // It applies to some calls of this tool: unless it speaks for every call, a call may get past it.
    const always =
      rule.targets === undefined &&
      (!rule.actions || tool.actions.every((a) => rule.actions?.includes(a))) &&
      (!rule.via || caller.via.every((v) => rule.via?.includes(v))) &&
      callMatches(rule, call, tool.actions);
    if (!always) return undefined;
    return rule.effect === 'deny' ? rule : undefined;
  }
  return undefined;
}
