import { describe, expect, it } from 'vitest';
import { ConfigError, isLoopbackHost, parseConfig } from '../src/config.ts';

const fails = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('has safe defaults: loopback, port 8080, confirm auto, every toolset but the opt-in clusters, read-write', () => {
    const c = parseConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8080);
    expect(c.confirm).toBe('auto');
    expect([...c.toolsets]).toEqual([
      'machines',
      'lifecycle',
      'power',
      'inventory',
      'operations',
      'admin',
      'config',
      'workflows',
    ]);
    expect(c.readOnly).toBe(false);
    expect(c.localRole).toBe('admin');
  });

  it('offers the clusters toolset only when MAAS_MCP_TOOLSETS names it or says all', () => {
    expect(parseConfig({ MAAS_MCP_TOOLSETS: 'all' }).toolsets.has('clusters')).toBe(true);
    const added = parseConfig({ MAAS_MCP_TOOLSETS: 'default,clusters' }).toolsets;
    expect(added.has('clusters') && added.has('workflows') && added.has('machines')).toBe(true);
    expect(parseConfig({ MAAS_MCP_TOOLSETS: 'machines' }).toolsets.has('clusters')).toBe(false);
  });

  it('parses MCP_AUTH_TOKENS into principals with roles', () => {
    const c = parseConfig({
      MCP_AUTH_TOKENS: 'aaaaaaaaaaaaaaaa1:alice:operator, bbbbbbbbbbbbbbbb2:bob:viewer',
    });
    expect(c.authTokens).toEqual([
      { token: 'aaaaaaaaaaaaaaaa1', principal: 'alice', role: 'operator' },
      { token: 'bbbbbbbbbbbbbbbb2', principal: 'bob', role: 'viewer' },
    ]);
  });

  it('names the bad MCP_AUTH_TOKENS entry and never prints the token', () => {
    const msg = fails({ MCP_AUTH_TOKENS: 'aaaaaaaaaaaaaaaa1:alice:root' });
    expect(msg).toBe('MCP_AUTH_TOKENS entry 1: role must be one of viewer, operator, admin (got "root")');
    expect(fails({ MCP_AUTH_TOKENS: 'short:alice:admin' })).toContain('at least 16 characters');
    expect(fails({ MCP_AUTH_TOKENS: 'onlytwoparts:alice' })).toContain('token:principal:role');
  });

  it('refuses two tokens for one principal name, whatever their roles', () => {
    expect(fails({ MCP_AUTH_TOKENS: 'aaaaaaaaaaaaaaaa1:alice:viewer,bbbbbbbbbbbbbbbb2:alice:admin' })).toBe(
      'MCP_AUTH_TOKENS entry 2: principal "alice" already has a token (entry 1); give each token its own principal name',
    );
  });

  it('parses SLACK_ROLES with users, groups and a wildcard', () => {
    const c = parseConfig({ SLACK_ROLES: 'U0123:admin,S0456:operator,*:viewer' });
    expect(c.slack.roles).toEqual([
      { subject: 'U0123', role: 'admin' },
      { subject: 'S0456', role: 'operator' },
      { subject: '*', role: 'viewer' },
    ]);
    expect(fails({ SLACK_ROLES: 'alice:admin' })).toContain('not a Slack user');
  });

  it.each([
    [{ MAAS_MCP_CONFIRM: 'maybe' }, 'MAAS_MCP_CONFIRM must be one of auto, token, slack, off (got "maybe")'],
    [
      { MAAS_MCP_READ_ONLY: 'sure' },
      'MAAS_MCP_READ_ONLY must be true or false (also accepted: 1/0, yes/no, on/off)',
    ],
    [
      { MAAS_MCP_TOOLSETS: 'machines,nukes' },
      'MAAS_MCP_TOOLSETS: unknown toolset "nukes"; known: machines, lifecycle, power, inventory, operations, admin, config, clusters, workflows, default (all but clusters), or all',
    ],
    [{ PORT: 'eighty' }, 'PORT must be a number from 0 to 65535'],
    [{ MAAS_URL: 'http://maas:5240/MAAS' }, 'MAAS_URL is set but MAAS_API_KEY is not; set both'],
    [{ SLACK_BOT_TOKEN: 'xapp-1' }, 'SLACK_BOT_TOKEN must be a bot token starting with xoxb-'],
    [
      { MCP_ALLOWED_ORIGINS: 'not a url' },
      'MCP_ALLOWED_ORIGINS: "not a url" is not an origin like https://app.example.com',
    ],
  ])('fails on %o with one clear line', (env, message) => {
    expect(fails(env)).toBe(message);
  });

  it('checks the MAAS_API_KEY shape without echoing the key', () => {
    const msg = fails({ MAAS_URL: 'http://maas:5240/MAAS', MAAS_API_KEY: 'topsecretvalue' });
    expect(msg).toContain('three parts');
    expect(msg).not.toContain('topsecretvalue');
  });

  it('knows which hosts are loopback', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', 'maas.example', '::']) expect(isLoopbackHost(h)).toBe(false);
  });
});
