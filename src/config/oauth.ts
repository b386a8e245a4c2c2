/**
 * The OAuth 2.1 settings (README "Sign-in with OAuth"): this server's public URL, an external authorization server
 * whose access tokens are accepted, how a token's claims map to roles, and the upstream OpenID Connect provider of
 * the built-in authorization server. Parsed with the other settings; a bad value fails at start with one line.
 */
import { ConfigError, isLoopbackHost, nonEmpty, type Role, roleNamed } from './shared.ts';

/** `<claim value>:<role>` from MCP_OAUTH_ROLES; `*` matches every signed-in person. */
export interface ClaimRoleRule {
  value: string;
  role: Role;
}

/** The upstream OpenID Connect provider people sign in with (OIDC_*). */
export interface OidcUpstream {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The scopes asked of it (OIDC_SCOPES; `openid` always among them). */
  scopes: string[];
  /** Slack's "Sign in with Slack": roles come from SLACK_ROLES, by the person's Slack user id. */
  slack: boolean;
}

export interface OAuthConfig {
  /** This server's external origin (MCP_PUBLIC_URL): the audience of its tokens and the base of its metadata. */
  publicUrl: string | undefined;
  /** An external authorization server whose JWT access tokens are accepted (MCP_OAUTH_ISSUER). */
  issuer: string | undefined;
  /** The claim roles are read from (MCP_OAUTH_ROLE_CLAIM, default `scope`); a dotted path reaches nested claims. */
  roleClaim: string;
  roleRules: ClaimRoleRule[];
  /** Set when the built-in authorization server is on (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET). */
  oidc: OidcUpstream | undefined;
}

/** The issuer of Slack's OpenID Connect ("Sign in with Slack"). */
export const SLACK_ISSUER = 'https://slack.com';

/** Whether OAuth sign-in is on: an external issuer, the built-in authorization server, or both. */
export function oauthEnabled(c: OAuthConfig): boolean {
  return c.issuer !== undefined || c.oidc !== undefined;
}

/**
 * A URL setting: absolute http(s), https unless its host is this machine (OAuth 2.1 wants TLS everywhere else), no
 * query or fragment. `origin` additionally refuses a path.
 */
function urlSetting(name: string, raw: string, example: string, origin: boolean): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL like ${example}`);
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
    throw new ConfigError(`${name} must use https:// (http:// only for localhost), like ${example}`);
  }
  if (u.search || u.hash || u.username || u.password) {
    throw new ConfigError(`${name} must have no query, fragment or credentials, like ${example}`);
  }
  if (origin && u.pathname !== '/') {
    throw new ConfigError(`${name} must be an origin without a path, like ${example}`);
  }
  return u;
}

function parseRoleRules(value: string | undefined): ClaimRoleRule[] {
  const raw = nonEmpty(value);
  if (!raw) return [];
  return raw.split(',').map((entry, i) => {
    const where = `MCP_OAUTH_ROLES entry ${i + 1}`;
    const idx = entry.lastIndexOf(':');
    const claimValue = entry.slice(0, idx).trim();
    if (idx < 0 || !claimValue) {
      throw new ConfigError(
        `${where} must be <claim value>:<role> (e.g. maas-admins:admin), or *:<role> for everyone signed in`,
      );
    }
    return { value: claimValue, role: roleNamed(where, entry.slice(idx + 1).trim()) };
  });
}

function parseScopes(value: string | undefined): string[] {
  const scopes = (nonEmpty(value) ?? 'openid email profile').split(/[\s,]+/).filter(Boolean);
  for (const s of scopes) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) {
      throw new ConfigError(
        `OIDC_SCOPES: "${s}" is not a scope (letters, digits and punctuation, no quotes)`,
      );
    }
  }
  return scopes.includes('openid') ? scopes : ['openid', ...scopes];
}

/** Parses the OAuth settings, or throws a ConfigError with one clear line. */
export function parseOAuthConfig(env: Readonly<Record<string, string | undefined>>): OAuthConfig {
  const publicRaw = nonEmpty(env.MCP_PUBLIC_URL);
  const publicUrl = publicRaw
    ? urlSetting('MCP_PUBLIC_URL', publicRaw, 'https://maas-mcp.example.com', true).origin
    : undefined;
  const issuerRaw = nonEmpty(env.MCP_OAUTH_ISSUER);
  // An issuer identifier is compared exactly (RFC 8414 §3.3, RFC 9207): kept as written.
  if (issuerRaw) urlSetting('MCP_OAUTH_ISSUER', issuerRaw, 'https://login.example.com/realms/ops', false);
  const roleClaim = nonEmpty(env.MCP_OAUTH_ROLE_CLAIM) ?? 'scope';
  if (!/^[^\s,]+$/.test(roleClaim)) {
    throw new ConfigError(
      'MCP_OAUTH_ROLE_CLAIM must be one claim name, like scope, groups or realm_access.roles',
    );
  }
  const roleRules = parseRoleRules(env.MCP_OAUTH_ROLES);

  const oidcIssuer = nonEmpty(env.OIDC_ISSUER);
  const clientId = nonEmpty(env.OIDC_CLIENT_ID);
  const clientSecret = nonEmpty(env.OIDC_CLIENT_SECRET);
  const named = [oidcIssuer, clientId, clientSecret].filter((v) => v !== undefined).length;
  if (named > 0 && named < 3) {
    throw new ConfigError(
      'OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together: set all three for the built-in sign-in, or none',
    );
  }
  let oidc: OidcUpstream | undefined;
  if (oidcIssuer && clientId && clientSecret) {
    urlSetting('OIDC_ISSUER', oidcIssuer, 'https://accounts.example.com', false);
    oidc = {
      issuer: oidcIssuer,
      clientId,
      clientSecret,
      scopes: parseScopes(env.OIDC_SCOPES),
      slack: oidcIssuer.replace(/\/$/, '') === SLACK_ISSUER,
    };
  }

  if ((issuerRaw || oidc) && !publicUrl) {
    throw new ConfigError(
      `${issuerRaw ? 'MCP_OAUTH_ISSUER' : 'OIDC_ISSUER'} needs MCP_PUBLIC_URL, the address clients reach this server at (the audience of its tokens), e.g. https://maas-mcp.example.com`,
    );
  }
  if (!issuerRaw && !oidc && (roleRules.length > 0 || nonEmpty(env.MCP_OAUTH_ROLE_CLAIM))) {
    throw new ConfigError(
      'MCP_OAUTH_ROLES and MCP_OAUTH_ROLE_CLAIM apply to OAuth sign-in: set MCP_OAUTH_ISSUER or OIDC_ISSUER too',
    );
  }
  if (oidc?.slack) {
    if (!issuerRaw && roleRules.length > 0) {
      throw new ConfigError(
        'MCP_OAUTH_ROLES does not apply to Sign in with Slack: roles come from SLACK_ROLES, by Slack user id',
      );
    }
    // /maas makes everyone without SLACK_ROLES a viewer; a sign-in page on the Internet must not.
    if (!nonEmpty(env.SLACK_ROLES)) {
      throw new ConfigError(
        'Sign in with Slack needs SLACK_ROLES (e.g. U0123:admin,S0456:operator,*:viewer): nobody may sign in without a rule',
      );
    }
  }
  // Without a rule nobody would get in: say so at start rather than refuse every person later.
  if (roleRules.length === 0 && (issuerRaw || (oidc && !oidc.slack))) {
    throw new ConfigError(
      `MCP_OAUTH_ROLES is required with ${issuerRaw ? 'MCP_OAUTH_ISSUER' : 'OIDC_ISSUER'}: map values of the ${roleClaim} claim to roles, e.g. maas-admins:admin,maas-ops:operator,*:viewer`,
    );
  }
  return { publicUrl, issuer: issuerRaw, roleClaim, roleRules, oidc };
}
