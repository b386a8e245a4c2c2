/**
 * All settings (README "Settings"), parsed from the environment once at an entry point. A missing or malformed
 * value fails at start with one line that names the variable and what it accepts — never its (secret) value.
 */
import { SecretSet } from './base/redact.ts';
import { type OAuthConfig, parseOAuthConfig } from './config/oauth.ts';
import { ConfigError, isLoopbackHost, nonEmpty, ROLES, Role, roleNamed } from './config/shared.ts';
import { apiRoot, parseApiKey } from './maas/http.ts';
import { OPERATION_KINDS, type OperationKind } from './store/types.ts';

export type { OAuthConfig };
export { ConfigError, isLoopbackHost, ROLES, type Role };

/** Default deadlines in minutes (README "Settings", `MAAS_MCP_DEADLINES`); `MAAS_MCP_DEADLINES` overrides them. */
export const DEFAULT_DEADLINE_MIN: Record<OperationKind, number> = {
  commission: 20,
  test: 60,
  deploy: 30,
  release: 30,
  erase: 240,
  rescue_enter: 15,
  rescue_exit: 15,
  power_on: 5,
  power_off: 5,
  power_cycle: 5,
  abort: 15,
  action: 5,
  cluster: 60,
  // A workflow's own deadline is the sum of its steps' timeouts (README "Workflows"); this is only its default cap.
  workflow: 24 * 60,
};

export const TOOLSETS = [
  'machines',
  'lifecycle',
  'power',
  'inventory',
  'operations',
  'admin',
  'config',
  'clusters',
  'workflows',
] as const;
export type Toolset = (typeof TOOLSETS)[number];

/**
 * Toolsets offered only when MAAS_MCP_TOOLSETS names them (or says `all`): clusters take machines by the dozen, and
 * a fleet that does not run Kubernetes this way should not have an agent offered them (README "Kubernetes clusters").
 */
export const OPT_IN_TOOLSETS: readonly Toolset[] = ['clusters'];

export const CONFIRM_MODES = ['auto', 'token', 'slack', 'off'] as const;
export type ConfirmMode = (typeof CONFIRM_MODES)[number];

export interface AuthToken {
  token: string;
  principal: string;
  role: Role;
}

export interface SlackRoleRule {
  /** A Slack user id (U…/W…), a user-group id (S…), or `*` for everyone else. */
  subject: string;
  role: Role;
}

export interface Config {
  maasUrl: string | undefined;
  maasApiKey: string | undefined;
  maasCaFile: string | undefined;
  maasTlsInsecure: boolean;
  port: number;
  host: string;
  authTokens: AuthToken[];
  /** Browser origins allowed to call /mcp besides the server's own (MCP_ALLOWED_ORIGINS). */
  allowedOrigins: string[];
  /** The role of the local user when no MCP_AUTH_TOKENS apply (stdio, loopback HTTP). */
  localRole: Role;
  readOnly: boolean;
  toolsets: ReadonlySet<Toolset>;
  confirm: ConfirmMode;
  db: string | undefined;
  /** Longest wait per operation kind, in minutes (MAAS_MCP_DEADLINES overrides single kinds). */
  deadlinesMin: Record<OperationKind, number>;
  /**
   * MAAS_MCP_POLICY as set: on Node the path of the policy file, on Workers the policy's text (README
   * "Guardrails"); the entries read and check it.
   */
  policy: string | undefined;
  /** OAuth 2.1 sign-in (README "Sign-in with OAuth"): MCP_PUBLIC_URL, MCP_OAUTH_*, OIDC_*. */
  oauth: OAuthConfig;
  slack: {
    signingSecret: string | undefined;
    botToken: string | undefined;
    appToken: string | undefined;
    notifyChannel: string | undefined;
    apiUrl: string;
    roles: SlackRoleRule[];
  };
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** A true/false setting; a ConfigError naming `name` for anything else. */
export function bool(name: string, value: string | undefined): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError(`${name} must be true or false (also accepted: 1/0, yes/no, on/off)`);
}

function parseAuthTokens(value: string | undefined): AuthToken[] {
  const raw = nonEmpty(value);
  if (!raw) return [];
  const seen = new Set<string>();
  // One name is one person: two tokens for one name (say as viewer and as admin) would share sessions and tasks.
  const named = new Map<string, number>();
  return raw.split(',').map((entry, i) => {
    const parts = entry.trim().split(':');
    const [token = '', principal = '', role = ''] = parts;
    const where = `MCP_AUTH_TOKENS entry ${i + 1}`;
    if (parts.length !== 3 || !token || !principal) {
      throw new ConfigError(`${where} must be token:principal:role (e.g. 3f9c…e1:alice:operator)`);
    }
    if (token.length < 16) throw new ConfigError(`${where}: the token must be at least 16 characters`);
    const checked = roleNamed(where, role);
    if (seen.has(token)) throw new ConfigError(`${where}: the same token appears twice`);
    seen.add(token);
    const first = named.get(principal);
    if (first !== undefined) {
      throw new ConfigError(
        `${where}: principal "${principal}" already has a token (entry ${first}); give each token its own principal name`,
      );
    }
    named.set(principal, i + 1);
    return { token, principal, role: checked };
  });
}

function parseSlackRoles(value: string | undefined): SlackRoleRule[] {
  const raw = nonEmpty(value);
  if (!raw) return [];
  return raw.split(',').map((entry, i) => {
    const idx = entry.lastIndexOf(':');
    const subject = entry.slice(0, idx).trim();
    const role = entry.slice(idx + 1).trim();
    const where = `SLACK_ROLES entry ${i + 1}`;
    if (idx < 0 || !subject) {
      throw new ConfigError(
        `${where} must be <Slack user or user-group id>:<role>, or *:<role> for everyone else`,
      );
    }
    if (subject !== '*' && !/^[UWS][A-Z0-9]{2,}$/.test(subject)) {
      throw new ConfigError(`${where}: "${subject}" is not a Slack user (U…/W…) or user-group (S…) id`);
    }
    return { subject, role: roleNamed(where, role) };
  });
}

function parseToolsets(value: string | undefined): ReadonlySet<Toolset> {
  const raw = nonEmpty(value);
  const byDefault = TOOLSETS.filter((t) => !OPT_IN_TOOLSETS.includes(t));
  if (!raw) return new Set(byDefault);
  if (raw === 'all') return new Set(TOOLSETS);
  const out = new Set<Toolset>();
  for (const name of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (name === 'default') {
      for (const t of byDefault) out.add(t);
      continue;
    }
    if (!(TOOLSETS as readonly string[]).includes(name)) {
      throw new ConfigError(
        `MAAS_MCP_TOOLSETS: unknown toolset "${name}"; known: ${TOOLSETS.join(', ')}, default (all but ${OPT_IN_TOOLSETS.join(', ')}), or all`,
      );
    }
    out.add(name as Toolset);
  }
  return out;
}

function parseDeadlines(value: string | undefined): Record<OperationKind, number> {
  const out = { ...DEFAULT_DEADLINE_MIN };
  const raw = nonEmpty(value);
  if (!raw) return out;
  for (const entry of raw.split(',')) {
    const [kind = '', minutes = ''] = entry.split('=').map((s) => s.trim());
    if (!(OPERATION_KINDS as readonly string[]).includes(kind)) {
      throw new ConfigError(
        `MAAS_MCP_DEADLINES: unknown kind "${kind}"; known: ${OPERATION_KINDS.join(', ')}`,
      );
    }
    const n = Number(minutes);
    if (!Number.isFinite(n) || n <= 0 || n > 24 * 60) {
      throw new ConfigError(
        `MAAS_MCP_DEADLINES: ${kind} must be a number of minutes from 1 to 1440 (e.g. deploy=45)`,
      );
    }
    out[kind as OperationKind] = n;
  }
  return out;
}

function parseOrigins(value: string | undefined): string[] {
  const raw = nonEmpty(value);
  if (!raw) return [];
  return raw.split(',').map((o) => {
    const origin = o.trim();
    try {
      const u = new URL(origin);
      if (u.origin !== origin.replace(/\/$/, '')) throw new Error('not an origin');
      return u.origin;
    } catch {
      throw new ConfigError(`MCP_ALLOWED_ORIGINS: "${origin}" is not an origin like https://app.example.com`);
    }
  });
}

function parseRole(name: string, value: string | undefined, dflt: Role): Role {
  const raw = nonEmpty(value);
  if (!raw) return dflt;
  if (!Role.safeParse(raw).success)
    throw new ConfigError(`${name} must be one of ${ROLES.join(', ')} (got "${raw}")`);
  return raw as Role;
}

function parsePort(value: string | undefined): number {
  const raw = nonEmpty(value);
  if (!raw) return 8080;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError('PORT must be a number from 0 to 65535');
  return n;
}

/** Parses the environment into a Config, or throws a ConfigError with one clear line. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const maasUrl = nonEmpty(env.MAAS_URL);
  const maasApiKey = nonEmpty(env.MAAS_API_KEY);
  if (maasUrl) {
    try {
      apiRoot(maasUrl);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  if (maasApiKey) {
    try {
      parseApiKey(maasApiKey);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  if (maasUrl && !maasApiKey) throw new ConfigError('MAAS_URL is set but MAAS_API_KEY is not; set both');
  if (maasApiKey && !maasUrl) throw new ConfigError('MAAS_API_KEY is set but MAAS_URL is not; set both');

  const confirm = (nonEmpty(env.MAAS_MCP_CONFIRM) ?? 'auto').toLowerCase();
  if (!(CONFIRM_MODES as readonly string[]).includes(confirm)) {
    throw new ConfigError(`MAAS_MCP_CONFIRM must be one of ${CONFIRM_MODES.join(', ')} (got "${confirm}")`);
  }

  if (confirm === 'slack' && (!nonEmpty(env.SLACK_BOT_TOKEN) || !nonEmpty(env.SLACK_NOTIFY_CHANNEL))) {
    throw new ConfigError(
      'MAAS_MCP_CONFIRM=slack needs SLACK_BOT_TOKEN and SLACK_NOTIFY_CHANNEL (where approvals are asked)',
    );
  }
  const slackApiUrl = nonEmpty(env.SLACK_API_URL) ?? 'https://slack.com/api/';
  try {
    new URL(slackApiUrl);
  } catch {
    throw new ConfigError('SLACK_API_URL must be a URL like https://slack.com/api/');
  }
  const appToken = nonEmpty(env.SLACK_APP_TOKEN);
  if (appToken && !appToken.startsWith('xapp-')) {
    throw new ConfigError('SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode)');
  }
  const botToken = nonEmpty(env.SLACK_BOT_TOKEN);
  if (botToken && !botToken.startsWith('xoxb-')) {
    throw new ConfigError('SLACK_BOT_TOKEN must be a bot token starting with xoxb-');
  }

  return {
    maasUrl,
    maasApiKey,
    maasCaFile: nonEmpty(env.MAAS_CA_FILE),
    maasTlsInsecure: bool('MAAS_TLS_INSECURE', env.MAAS_TLS_INSECURE),
    port: parsePort(env.PORT),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    authTokens: parseAuthTokens(env.MCP_AUTH_TOKENS),
    allowedOrigins: parseOrigins(env.MCP_ALLOWED_ORIGINS),
    localRole: parseRole('MAAS_MCP_LOCAL_ROLE', env.MAAS_MCP_LOCAL_ROLE, 'admin'),
    readOnly: bool('MAAS_MCP_READ_ONLY', env.MAAS_MCP_READ_ONLY),
    toolsets: parseToolsets(env.MAAS_MCP_TOOLSETS),
    confirm: confirm as ConfirmMode,
    db: nonEmpty(env.MAAS_MCP_DB),
    deadlinesMin: parseDeadlines(env.MAAS_MCP_DEADLINES),
    policy: nonEmpty(env.MAAS_MCP_POLICY),
    oauth: parseOAuthConfig(env),
    slack: {
      signingSecret: nonEmpty(env.SLACK_SIGNING_SECRET),
      botToken,
      appToken,
      notifyChannel: nonEmpty(env.SLACK_NOTIFY_CHANNEL),
      apiUrl: slackApiUrl.endsWith('/') ? slackApiUrl : `${slackApiUrl}/`,
      roles: parseSlackRoles(env.SLACK_ROLES),
    },
  };
}

/**
 * Every secret string the settings hold: the Slack signing secret and tokens, the MCP auth tokens and the MAAS
 * API key with each of its parts. A MAAS key that is not a setting (the demo simulator's) is added where it is
 * chosen; the set is shared, so every logger and text already holding it scrubs that key too.
 */
export function secretsOf(config: Pick<Config, 'slack' | 'authTokens' | 'maasApiKey' | 'oauth'>): SecretSet {
  const secrets = new SecretSet().add(
    config.slack.signingSecret,
    config.slack.botToken,
    config.slack.appToken,
  );
  for (const t of config.authTokens) secrets.add(t.token);
  secrets.add(config.oauth.oidc?.clientSecret);
  if (config.maasApiKey) secrets.addApiKey(config.maasApiKey);
  return secrets;
}
