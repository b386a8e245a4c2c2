/**
 * The policy file (README "Guardrails", MAAS_MCP_POLICY): ordered rules, each matching on the tool or MAAS action,
 * the caller and the targets, with an effect. This module reads the file's text (YAML or JSON) and checks it whole;
 * every problem is one line naming the rule (its index and id) and the field. It reads nothing from disk: the
 * entries hand it the text (a file on Node, a variable on Workers) and how to read it: YAML on Node (./yaml.ts),
 * JSON on Workers, whose bundle has no room for a YAML parser.
 */
import * as z from 'zod/v4';
import { ROLES } from '../../config.ts';

export const EFFECTS = ['allow', 'deny', 'confirm', 'approve'] as const;
export type Effect = (typeof EFFECTS)[number];

/** How a call reaches maas-mcp; `workflow` is a step of a workflow run (which also keeps its starter's `via`). */
export const VIAS = ['mcp', 'slack', 'cli', 'workflow'] as const;
export type Via = (typeof VIAS)[number];

/** The most approvers a rule may ask for. */
export const MAX_APPROVERS = 5;

const names = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

const Match = z
  .object({
    tools: names.optional(),
    actions: names.optional(),
    principals: names.optional(),
    roles: names.optional(),
    via: names.optional(),
    pools: names.optional(),
    zones: names.optional(),
    tags: names.optional(),
    owners: names.optional(),
    statuses: names.optional(),
    hostnames: names.optional(),
    min_machines: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

const Rule = z
  .object({
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/,
        'must be 1–64 letters, digits, _ . : - (e.g. protect-prod)',
      ),
    match: Match.optional(),
    effect: z.enum(EFFECTS),
    approvers: z.number().int().min(1).max(MAX_APPROVERS).optional(),
    reason: z.string().min(1).max(500).optional(),
    /** deny only: a call where any target is denied does nothing at all (otherwise the others go ahead). */
    all_or_nothing: z.boolean().optional(),
  })
  .strict();

const PolicyFile = z
  .object({
    version: z.literal(1).optional(),
    rules: z.array(z.unknown()),
  })
  .strict();

/** The target conditions of a rule: what it asks of each machine. */
export interface TargetMatch {
  pools?: string[];
  zones?: string[];
  tags?: string[];
  owners?: string[];
  /** Lower-case MAAS status names. */
  statuses?: string[];
  hostnames?: RegExp[];
  min_machines?: number;
}

export interface PolicyRule {
  /** Where it is in the file, from 1. */
  index: number;
  id: string;
  effect: Effect;
  /** approve: how many distinct people (none of them the requester) must approve; 1 unless set. */
  approvers: number;
  /** Shown to the caller (deny) or the approver (approve). */
  reason: string | undefined;
  allOrNothing: boolean;
  tools?: RegExp[];
  actions?: string[];
  principals?: RegExp[];
  roles?: string[];
  via?: Via[];
  /** Undefined: the rule asks nothing of the targets and applies to the call as a whole. */
  targets?: TargetMatch;
}

export interface Policy {
  /** Where it came from, for messages: the file path, or "MAAS_MCP_POLICY". */
  source: string;
  rules: PolicyRule[];
}

/** Where the policy in force comes from: fixed (a Worker's variable) or reloaded when its file changes (Node). */
export interface PolicySource {
  /** The policy now, or undefined when none is set. */
  current(): Policy | undefined;
}

/** What the file may name, to catch typos at start: the registry's tool names and the actions they perform. */
export interface KnownNames {
  tools: readonly string[];
  actions: readonly string[];
}

/** How a policy's text is read: its name in messages, and the parser. */
export interface PolicyFormat {
  name: string;
  load(text: string, source: string): unknown;
}

/** JSON, as a Worker reads MAAS_MCP_POLICY. */
export const JSON_FORMAT: PolicyFormat = {
  name: 'JSON (on Workers MAAS_MCP_POLICY holds JSON: convert a YAML policy with `npx js-yaml policy.yaml`)',
  load: (text) => JSON.parse(text),
};

/** A policy that cannot be used: `message` is one line naming the rule and the field. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/**
 * Reads a policy from its text (JSON by default; YAML with ./yaml.ts's format — JSON is YAML too), checking every
 * rule; throws a {@link PolicyError} with one line for the first problem. `known`, when given, checks tool and
 * action names.
 */
export function parsePolicy(
  text: string,
  source: string,
  known?: KnownNames,
  format: PolicyFormat = JSON_FORMAT,
): Policy {
  if (text.trim() === '') throw new PolicyError(`${source}: empty; it needs rules: [...]`);
  let doc: unknown;
  try {
    doc = format.load(text, source);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n', 1)[0] : String(err);
    throw new PolicyError(`${source}: not ${format.name} (${msg})`);
  }
  if (doc === undefined || doc === null) throw new PolicyError(`${source}: empty; it needs rules: [...]`);
  const file = PolicyFile.safeParse(doc);
  if (!file.success)
    throw new PolicyError(`${source}: ${issueLine(file.error, '')}; a policy is { rules: [...] }`);
  const seen = new Map<string, number>();
  const rules = file.data.rules.map((raw, i) => {
    const index = i + 1;
    const id =
      typeof (raw as { id?: unknown } | null)?.id === 'string' ? (raw as { id: string }).id : undefined;
    const where = `${source}: rule ${index}${id ? ` (${id})` : ''}`;
    const parsed = Rule.safeParse(raw);
    if (!parsed.success) throw new PolicyError(`${where}: ${issueLine(parsed.error, '')}`);
    const r = parsed.data;
    const first = seen.get(r.id);
    if (first !== undefined)
      throw new PolicyError(`${where}: id ${r.id} is also rule ${first}'s; ids must differ`);
    seen.set(r.id, index);
    if (r.approvers !== undefined && r.effect !== 'approve') {
      throw new PolicyError(
        `${where}: approvers is for effect approve only (this rule's effect is ${r.effect})`,
      );
    }
    if (r.all_or_nothing !== undefined && r.effect !== 'deny') {
      throw new PolicyError(
        `${where}: all_or_nothing is for effect deny only (this rule's effect is ${r.effect})`,
      );
    }
    if (r.effect === 'deny' && !r.reason) {
      throw new PolicyError(`${where}: reason is required for effect deny (the caller is told it)`);
    }
    const m = r.match ?? {};
    for (const role of m.roles ?? []) {
      if (!(ROLES as readonly string[]).includes(role)) {
        throw new PolicyError(`${where}: match.roles: ${role} is not a role; roles: ${ROLES.join(', ')}`);
      }
    }
    for (const v of m.via ?? []) {
      if (!(VIAS as readonly string[]).includes(v)) {
        throw new PolicyError(`${where}: match.via: ${v} is not a way in; use ${VIAS.join(', ')}`);
      }
    }
    if (known) {
      for (const t of m.tools ?? []) {
        if (!t.includes('*') && !known.tools.includes(t)) {
          throw new PolicyError(
            `${where}: match.tools: no tool is called ${t} (e.g. machine_deploy; * matches any)`,
          );
        }
      }
      for (const a of m.actions ?? []) {
        if (!known.actions.includes(a)) {
          throw new PolicyError(
            `${where}: match.actions: unknown action ${a}; known: ${[...known.actions].sort().join(', ')}`,
          );
        }
      }
    }
    const targets: TargetMatch = {};
    if (m.pools) targets.pools = m.pools;
    if (m.zones) targets.zones = m.zones;
    if (m.tags) targets.tags = m.tags;
    if (m.owners) targets.owners = m.owners;
    if (m.statuses) targets.statuses = m.statuses.map((s) => s.toLowerCase());
    if (m.hostnames) targets.hostnames = m.hostnames.map(glob);
    if (m.min_machines !== undefined) targets.min_machines = m.min_machines;
    const rule: PolicyRule = {
      index,
      id: r.id,
      effect: r.effect,
      approvers: r.approvers ?? 1,
      reason: r.reason,
      allOrNothing: r.all_or_nothing === true,
      ...(m.tools ? { tools: m.tools.map(glob) } : {}),
      ...(m.actions ? { actions: m.actions } : {}),
      ...(m.principals ? { principals: m.principals.map(glob) } : {}),
      ...(m.roles ? { roles: m.roles } : {}),
      ...(m.via ? { via: m.via as Via[] } : {}),
      ...(Object.keys(targets).length > 0 ? { targets } : {}),
    };
    return rule;
  });
  return { source, rules };
}

/** `db-*` → /^db-.*$/i: `*` matches any run of characters, `?` one; nothing else is special. */
export function glob(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** The first zod issue as "field: what is wrong". */
function issueLine(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  const field = `${prefix}${path}`;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    return `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => (field ? `${field}.${k}` : k)).join(', ')}`;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `${field || 'value'} must be one of ${(issue.values as unknown[]).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'))
    return `${field} is required`;
  if (issue.code === 'invalid_union' && field.startsWith('match.')) {
    return `${field} must be a name or a list of names`;
  }
  return `${field || 'the file'}: ${issue.message}`;
}
