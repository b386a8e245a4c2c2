/**
 * Who a signed-in person is and which role they get, read from the claims of a token (README "Sign-in with OAuth"):
 * the values of MCP_OAUTH_ROLE_CLAIM matched against MCP_OAUTH_ROLES, with the same viewer < operator < admin order
 * as everywhere else.
 */
import type { ClaimRoleRule } from '../config/oauth.ts';
import type { Role } from '../config/shared.ts';
import { higherRole } from '../core/access.ts';

/**
 * The string values of `claim` in `claims`: a space-separated string (as `scope` is) or an array of strings. A
 * claim named with dots that is not itself a key reaches into nested objects (`realm_access.roles`).
 */
export function claimValues(claims: Readonly<Record<string, unknown>>, claim: string): string[] {
  let value: unknown = claims[claim];
  if (value === undefined && claim.includes('.')) {
    value = claim.split('.').reduce<unknown>((at, key) => {
      if (at && typeof at === 'object' && !Array.isArray(at)) return (at as Record<string, unknown>)[key];
      return undefined;
    }, claims);
  }
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * The role of someone whose claim holds `values`: the highest role among the rules naming one of them; otherwise
 * the `*` rule's; otherwise none (they may not use maas-mcp).
 */
export function roleOfValues(values: readonly string[], rules: readonly ClaimRoleRule[]): Role | undefined {
  let best: Role | undefined;
  for (const rule of rules) {
    if (rule.value !== '*' && values.includes(rule.value)) best = higherRole(best, rule.role);
  }
  return best ?? rules.find((r) => r.value === '*')?.role;
}

/**
 * The name a person goes by in the audit and in operation records: their e-mail address when the issuer vouches for
 * it, else their preferred user name, else the subject. `sub` alone is often an opaque number.
 */
export function personName(claims: Readonly<Record<string, unknown>>): string | undefined {
  const email = claims.email;
  if (typeof email === 'string' && email && claims.email_verified !== false) return email;
  const username = claims.preferred_username;
  if (typeof username === 'string' && username) return username;
  const sub = claims.sub;
  return typeof sub === 'string' && sub ? sub : undefined;
}
