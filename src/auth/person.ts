/**
 * Who the upstream OpenID Connect provider (OIDC_ISSUER) signed in, and their role today: one rule for the built-in
 * authorization server's grants and the status page's browser sessions (README "Sign-in with OAuth", "Status
 * page"). What is kept is what the provider said at sign-in; the role is worked out again from it on every request,
 * by today's MCP_OAUTH_ROLES or SLACK_ROLES, so a changed rule applies at once.
 */
import type { OAuthConfig, OidcUpstream } from '../config/oauth.ts';
import type { Role } from '../config/shared.ts';
import { claimValues, personName, roleOfValues } from './claims.ts';

/** What a grant (or a page session) remembers of the person. */
export interface SignedInPerson {
  /** The name they go by in the audit and in their operations (e-mail, user name, or subject). */
  id: string;
  /** The role claim's name at sign-in and its values then (empty for Sign in with Slack). */
  claim: string;
  values: string[];
  /** Their Slack user id, for Sign in with Slack. */
  slackUser?: string;
}

/** The settings the person and their role are read by. */
export interface PersonRules {
  oauth: Pick<OAuthConfig, 'roleClaim' | 'roleRules'> & { oidc: OidcUpstream };
  /** A Slack user's role by SLACK_ROLES (user-group rules ask Slack), for Sign in with Slack. */
  slackRole?: ((userId: string) => Promise<Role | undefined>) | undefined;
}

/** What is kept of the person the provider vouched for, from their verified claims. */
export function personOf(
  rules: PersonRules,
  claims: Readonly<Record<string, unknown>>,
): SignedInPerson | undefined {
  const { oidc, roleClaim } = rules.oauth;
  if (oidc.slack) {
    const user = claims['https://slack.com/user_id'] ?? claims.sub;
    if (typeof user !== 'string' || !user) return undefined;
    return { id: personName(claims) ?? user, claim: 'slack', values: [], slackUser: user };
  }
  const id = personName(claims);
  return id ? { id, claim: roleClaim, values: claimValues(claims, roleClaim) } : undefined;
}

/** The person's role today, by today's rules. */
export async function roleOfPerson(rules: PersonRules, person: SignedInPerson): Promise<Role | undefined> {
  const { oidc, roleClaim, roleRules } = rules.oauth;
  if (oidc.slack) {
    return person.slackUser && rules.slackRole ? rules.slackRole(person.slackUser) : undefined;
  }
  // Values of a claim that is no longer the role claim say nothing: sign in again.
  if (person.claim !== roleClaim) return undefined;
  return roleOfValues(person.values, roleRules);
}

/** The setting that gives a person a role, for a refusal's next step. */
export function roleSetting(oidc: OidcUpstream): string {
  return oidc.slack ? 'SLACK_ROLES' : 'MCP_OAUTH_ROLES';
}
