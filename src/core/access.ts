/**
 * Who may use what. One predicate ({@link isToolEnabled}) decides which tools exist for a caller — MCP's
 * tools/list, Slack's verbs and the README's table all ask it, and the one path (core/invoke.ts) refuses a call it
 * says no to, in its words ({@link unavailableBecause}).
 */
import type { Role, Toolset } from '../config.ts';
import { neverAllowedBy } from './policy/evaluate.ts';
import type { Policy } from './policy/rules.ts';

/** Someone (or something) acting through maas-mcp. */
export interface Principal {
  /** Stable id: the MCP token's principal, the local OS user, or a Slack user id. */
  id: string;
  role: Role;
  via: 'mcp' | 'slack' | 'cli';
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAtLeast(role: Role, min: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[min];
}

/** The higher of two roles (`a` may be none yet): how several matching role rules combine. */
export function higherRole(a: Role | undefined, b: Role): Role {
  return a !== undefined && roleAtLeast(a, b) ? a : b;
}

/** The facts about a tool access depends on. */
export interface AccessSubject {
  toolset: Toolset;
  minRole: Role;
  annotations: { readOnlyHint: boolean };
  /** For the policy: the tool's name, its verb and its input fields (what actions a call may perform). */
  name?: string;
  verb?: string;
  input?: { shape: object };
}

export interface ToolAccess {
  toolsets: ReadonlySet<Toolset>;
  readOnly: boolean;
  /** The caller's role; omitted when listing what the deployment offers at all. */
  role?: Role;
  /**
   * The guardrails and who the caller is (README "Guardrails"): a tool some rule denies this caller on every call
   * is not offered. Calls are judged by the policy in force when they are made, whatever the list showed.
   */
  policy?: { rules: Policy | undefined; principal: Principal };
}

export function isToolEnabled(tool: AccessSubject, access: ToolAccess): boolean {
  if (!access.toolsets.has(tool.toolset)) return false;
  if (access.readOnly && !tool.annotations.readOnlyHint) return false;
  if (access.role !== undefined && !roleAtLeast(access.role, tool.minRole)) return false;
  if (access.policy?.rules && tool.name && tool.verb) {
    const { principal } = access.policy;
    const actions = possibleActions({ name: tool.name, verb: tool.verb, input: tool.input ?? { shape: {} } });
    const caller = { principal: principal.id, role: principal.role, via: [principal.via] };
    if (neverAllowedBy(access.policy.rules, { name: tool.name, actions }, caller)) return false;
  }
  return true;
}

/** Every action a call of the tool may perform, as policy rules name them: its verb, and `erase` if it can. */
export function possibleActions(tool: { name: string; verb: string; input: { shape: object } }): string[] {
  const shape = tool.input.shape;
  return 'erase' in shape || 'secure_erase' in shape ? [tool.verb, 'erase'] : [tool.verb];
}

/**
 * Who someone is, as one key: source, role and id together. A Slack user and an MCP token of the same name are
 * different people, and so are two roles under one name.
 */
export function principalKey(p: Principal): string {
  return `${p.via}:${p.role}:${p.id}`;
}

/** Whether `p` is who started something (an operation's requester; records without a role match on source and id). */
export function isRequester(
  requester: { principal: string; via: Principal['via']; role?: Role | undefined },
  p: Principal,
): boolean {
  return (
    requester.principal === p.id &&
    requester.via === p.via &&
    (requester.role === undefined || requester.role === p.role)
  );
}

/** Why a tool of an enabled toolset is not offered to `role` (read-only mode, or a higher role), if it is not. */
export function withheldBecause(
  tool: AccessSubject & { name: string },
  access: ToolAccess,
): string | undefined {
  if (!access.toolsets.has(tool.toolset)) return undefined;
  if (access.readOnly && !tool.annotations.readOnlyHint) {
    return `${tool.name} is not available: maas-mcp runs read-only here (MAAS_MCP_READ_ONLY).`;
  }
  if (access.role !== undefined && !roleAtLeast(access.role, tool.minRole)) {
    return `${tool.name} needs the ${tool.minRole} role; your role is ${access.role}.`;
  }
  return undefined;
}

/** Why `tool` cannot be used under `access` (its toolset is off, read-only mode, a higher role), if it cannot. */
export function unavailableBecause(
  tool: AccessSubject & { name: string },
  access: ToolAccess,
): string | undefined {
  if (!access.toolsets.has(tool.toolset)) {
    return `${tool.name} is not offered here: its toolset ${tool.toolset} is off (MAAS_MCP_TOOLSETS).`;
  }
  return withheldBecause(tool, access);
}
