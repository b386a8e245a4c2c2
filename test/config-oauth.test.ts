import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, secretsOf } from '../src/config.ts';

const fails = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

const OIDC = {
  OIDC_ISSUER: 'https://accounts.example.com',
  OIDC_CLIENT_ID: 'maas-mcp',
  OIDC_CLIENT_SECRET: 'upstream-client-secret-0123456789',
};

describe('OAuth settings', () => {
  it('leaves OAuth off when none is set', () => {
    expect(parseConfig({}).oauth).toEqual({
      publicUrl: undefined,
      issuer: undefined,
      roleClaim: 'scope',
      roleRules: [],
      oidc: undefined,
    });
  });

  it('reads an external issuer with roles from a claim', () => {
    const { oauth } = parseConfig({
      MCP_PUBLIC_URL: 'https://maas-mcp.example.com/',
      MCP_OAUTH_ISSUER: 'https://login.example.com/realms/ops',
      MCP_OAUTH_ROLE_CLAIM: 'realm_access.roles',
      MCP_OAUTH_ROLES: 'maas-admins:admin, maas:ops:operator ,*:viewer',
    });
    expect(oauth).toEqual({
      publicUrl: 'https://maas-mcp.example.com',
      issuer: 'https://login.example.com/realms/ops',
      roleClaim: 'realm_access.roles',
      roleRules: [
        { value: 'maas-admins', role: 'admin' },
        { value: 'maas:ops', role: 'operator' },
        { value: '*', role: 'viewer' },
      ],
      oidc: undefined,
    });
  });

  it('reads the built-in server’s upstream provider, with openid always among its scopes', () => {
    const { oauth } = parseConfig({
      MCP_PUBLIC_URL: 'http://127.0.0.1:8080',
      MCP_OAUTH_ROLE_CLAIM: 'groups',
      MCP_OAUTH_ROLES: 'maas-admins:admin',
      OIDC_SCOPES: 'email groups',
      ...OIDC,
    });
    expect(oauth.oidc).toEqual({
      issuer: 'https://accounts.example.com',
      clientId: 'maas-mcp',
      clientSecret: OIDC.OIDC_CLIENT_SECRET,
      scopes: ['openid', 'email', 'groups'],
      slack: false,
    });
  });

  it('knows Sign in with Slack, whose roles come from SLACK_ROLES', () => {
    const { oauth } = parseConfig({
      MCP_PUBLIC_URL: 'https://maas-mcp.example.com',
      ...OIDC,
      OIDC_ISSUER: 'https://slack.com',
      SLACK_ROLES: 'U0123ABC:admin,*:viewer',
    });
    expect(oauth.oidc?.slack).toBe(true);
    expect(
      fails({ MCP_PUBLIC_URL: 'https://maas-mcp.example.com', ...OIDC, OIDC_ISSUER: 'https://slack.com' }),
    ).toMatch(/^Sign in with Slack needs SLACK_ROLES/);
    expect(
      fails({
        MCP_PUBLIC_URL: 'https://maas-mcp.example.com',
        ...OIDC,
        OIDC_ISSUER: 'https://slack.com',
        SLACK_ROLES: '*:viewer',
        MCP_OAUTH_ROLES: 'x:admin',
      }),
    ).toMatch(/^MCP_OAUTH_ROLES does not apply to Sign in with Slack/);
  });

  it('refuses each bad setting with one line naming it, never printing the client secret', () => {
    const base = { MCP_OAUTH_ROLES: 'a:admin' };
    expect(fails({ ...base, MCP_OAUTH_ISSUER: 'https://login.example.com' })).toMatch(
      /^MCP_OAUTH_ISSUER needs MCP_PUBLIC_URL/,
    );
    expect(fails({ MCP_PUBLIC_URL: 'maas-mcp.example.com' })).toMatch(/^MCP_PUBLIC_URL must be a URL/);
    expect(fails({ MCP_PUBLIC_URL: 'http://maas-mcp.example.com' })).toMatch(
      /^MCP_PUBLIC_URL must use https:\/\//,
    );
    expect(fails({ MCP_PUBLIC_URL: 'https://maas-mcp.example.com/mcp' })).toMatch(
      /^MCP_PUBLIC_URL must be an origin without a path/,
    );
    expect(
      fails({ MCP_PUBLIC_URL: 'https://x.example.com', MCP_OAUTH_ISSUER: 'https://l.example.com' }),
    ).toMatch(/^MCP_OAUTH_ROLES is required with MCP_OAUTH_ISSUER/);
    expect(
      fails({
        MCP_PUBLIC_URL: 'https://x.example.com',
        MCP_OAUTH_ISSUER: 'https://l.example.com/?a=1',
        ...base,
      }),
    ).toMatch(/^MCP_OAUTH_ISSUER must have no query/);
    expect(fails({ MCP_OAUTH_ROLES: 'admin' })).toMatch(
      /^MCP_OAUTH_ROLES entry 1 must be <claim value>:<role>/,
    );
    expect(fails({ MCP_OAUTH_ROLES: 'x:root' })).toBe(
      'MCP_OAUTH_ROLES entry 1: role must be one of viewer, operator, admin (got "root")',
    );
    expect(fails({ MCP_OAUTH_ROLES: 'x:admin' })).toMatch(/apply to OAuth sign-in: set MCP_OAUTH_ISSUER/);
    const partial = fails({
      OIDC_ISSUER: 'https://accounts.example.com',
      OIDC_CLIENT_SECRET: OIDC.OIDC_CLIENT_SECRET,
    });
    expect(partial).toMatch(/^OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together/);
    expect(partial).not.toContain(OIDC.OIDC_CLIENT_SECRET);
    expect(fails({ ...OIDC, ...base })).toMatch(/^OIDC_ISSUER needs MCP_PUBLIC_URL/);
    expect(
      fails({ ...OIDC, ...base, MCP_PUBLIC_URL: 'https://x.example.com', OIDC_SCOPES: 'openid "groups"' }),
    ).toBe('OIDC_SCOPES: ""groups"" is not a scope (letters, digits and punctuation, no quotes)');
    expect(fails({ MCP_OAUTH_ROLE_CLAIM: 'two words' })).toMatch(
      /^MCP_OAUTH_ROLE_CLAIM must be one claim name/,
    );
  });

  it('counts the upstream client secret among the secrets every log and message is scrubbed of', () => {
    const config = parseConfig({
      MCP_PUBLIC_URL: 'https://x.example.com',
      MCP_OAUTH_ROLES: 'a:admin',
      ...OIDC,
    });
    const scrubbed = secretsOf(config).scrub(`token endpoint said: bad secret ${OIDC.OIDC_CLIENT_SECRET}`);
    expect(scrubbed).not.toContain(OIDC.OIDC_CLIENT_SECRET);
  });
});
