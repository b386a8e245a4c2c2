/**
 * Who may use what. One predicate ({@link isToolEnabled}) decides which tools exist for a caller — MCP's
 * tools/list, Slack's verbs and the README's table all ask it.
 */
import type { Role, Toolset } from '../config.ts';

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

/** The facts about a tool the policy looks at. */
export interface PolicySubject {
  toolset: Toolset;
  minRole: Role;
  annotations: { readOnlyHint: boolean };
}

export interface ToolPolicy {
  toolsets: ReadonlySet<Toolset>;
  readOnly: boolean;
  /** The caller's role; omitted when listing what the deployment offers at all. */
  role?: Role;
}

export function isToolEnabled(tool: PolicySubject, policy: ToolPolicy): boolean {
  if (!policy.toolsets.has(tool.toolset)) return false;
  if (policy.readOnly && !tool.annotations.readOnlyHint) return false;
  if (policy.role !== undefined && !roleAtLeast(policy.role, tool.minRole)) return false;
  return true;
}
