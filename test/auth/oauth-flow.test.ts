/**
 * OAuth 2.1 sign-in, end to end on 127.0.0.1, driven headlessly with the official MCP client: maas-mcp's built-in
 * authorization server signs people in at a real OpenID Connect provider (`oidc-provider`); maas-mcp also accepts
 * the JWT access tokens that provider issues as an external authorization server, and its static tokens.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/base/clock.ts';
import { createLogger } from '../../src/base/log.ts';
import { type Config, parseConfig } from '../../src/config.ts';
import type { Deps } from '../../src/core/deps.ts';
import { createApp } from '../../src/server.ts';
import { simDeps } from '../helpers.ts';
import { Browser, REDIRECT_URI, signIn } from './browser.ts';
import { type Idp, startIdp } from './idp.ts';

const STATIC_TOKEN = 'static-token-for-ci-0123456789';
const UPSTREAM_SECRET = 'upstream-client-secret-0123456789abcdef';
const ROLES = 'maas-admins:admin,maas-operators:operator,maas-viewers:viewer';

/** An HTTP listener on 127.0.0.1 whose app is set once its settings (which hold its own URL) are known. */
interface Listener {
  base: string;
  serve(app: { fetch: (req: Request) => Response | Promise<Response> }): void;
  close(): Promise<void>;
}

async function listen(): Promise<Listener> {
  let handler: (req: Request) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  const server = serve({ fetch: (req) => handler(req), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (app) => {
      handler = (req) => app.fetch(req);
    },
    close: () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

interface Rig {
  base: string;
  deps: Deps;
  /** Every log line the server wrote. */
  logs: string[];
  close(): Promise<void>;
}

/** maas-mcp (on the simulator) behind `listener`, with `config`. */
function startMaasMcp(listener: Listener, config: Config): Rig {
  const logs: string[] = [];
  const { sim, deps: simulated } = simDeps({ clock: systemClock, timeScale: 0.01 });
  const deps: Deps = {
    ...simulated,
    config,
    log: createLogger((line) => logs.push(line), { level: 'debug' }),
  };
  const app = createApp(deps, { localPrincipal: { id: 'local', role: 'admin', via: 'mcp' } });
  listener.serve(app.app);
  return {
    base: listener.base,
    deps,
    logs,
    close: async () => {
      await app.close();
      await listener.close();
      sim.close();
    },
  };
}

const initialize = (url: string, token: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
    }),
  });

const toolNames = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);

describe('the built-in authorization server, signing people in at an OpenID Connect provider', () => {
  let idp: Idp;
  let rig: Rig;
  let mcp: string;

  beforeAll(async () => {
    // The provider must know maas-mcp's callback, and maas-mcp the provider's address: maas-mcp's port comes first.
    const listener = await listen();
    idp = await startIdp({
      clients: [
        {
          client_id: 'maas-mcp',
          client_secret: UPSTREAM_SECRET,
          redirect_uris: [`${listener.base}/oauth/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      resources: [],
    });
    const config = parseConfig({
      MAAS_MCP_CONFIRM: 'token',
      MCP_AUTH_TOKENS: `${STATIC_TOKEN}:ci-bot:viewer`,
      MCP_PUBLIC_URL: listener.base,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: 'maas-mcp',
      OIDC_CLIENT_SECRET: UPSTREAM_SECRET,
      OIDC_SCOPES: 'openid email profile groups',
      MCP_OAUTH_ROLE_CLAIM: 'groups',
      MCP_OAUTH_ROLES: ROLES,
    });
    rig = startMaasMcp(listener, config);
    mcp = `${rig.base}/mcp`;
  });

  afterAll(async () => {
    await rig?.close();
    await idp?.close();
  });

  it('asks for a token with a challenge that points to its protected resource metadata', async () => {
    const res = await fetch(mcp, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="maas-mcp", resource_metadata="${rig.base}/.well-known/oauth-protected-resource/mcp"`,
    );
    const prm = await (await fetch(`${rig.base}/.well-known/oauth-protected-resource/mcp`)).json();
    expect(prm).toEqual({
      resource: mcp,
      authorization_servers: [rig.base],
      scopes_supported: ['mcp'],
      bearer_methods_supported: ['header'],
      resource_name: 'maas-mcp',
    });
    const whole = (await (await fetch(`${rig.base}/.well-known/oauth-protected-resource`)).json()) as {
      resource: string;
    };
    expect(whole.resource).toBe(rig.base);
    const as = (await (await fetch(`${rig.base}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(as).toMatchObject({
      issuer: rig.base,
      authorization_endpoint: `${rig.base}/authorize`,
      token_endpoint: `${rig.base}/token`,
      registration_endpoint: `${rig.base}/register`,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    // On Node a client named by a URL is not fetched: nothing keeps such a fetch off the private network.
    expect(as.client_id_metadata_document_supported).not.toBe(true);
  });

  it('signs an admin in (registration, PKCE, resource, iss) and gives them exactly their role', async () => {
    idp.nextUser = 'alice';
    const browser = new Browser();
    const { client, provider, callback } = await signIn(mcp, browser);
    const asked = provider.authorizationUrl as URL;
    expect(asked.searchParams.get('code_challenge_method')).toBe('S256');
    expect(asked.searchParams.get('resource')).toBe(mcp);
    // The person went through the consent page and the provider, and came back with our issuer (RFC 9207).
    expect(browser.visited.some((u) => u.startsWith(idp.issuer))).toBe(true);
    expect(callback.searchParams.get('iss')).toBe(rig.base);
    expect(provider.stored).toMatchObject({ token_type: 'bearer', expires_in: 600 });
    expect(provider.stored?.refresh_token).toBeTruthy();
    expect(await toolNames(client)).toContain('audit_list');
    const list = await client.callTool({ name: 'machines_list', arguments: { limit: 2 } });
    expect(list.isError).toBeFalsy();
    // A write is audited under the person's name.
    const tagged = await client.callTool({
      name: 'machine_tag',
      arguments: { machines: 'web-01', add: ['oauth-test'], create_missing: true },
    });
    expect(tagged.isError).toBeFalsy();
    const [record] = await rig.deps.store.listAudit({ tool: 'machine_tag' });
    expect(record).toMatchObject({ principal: 'alice@example.com', via: 'mcp' });
    await client.close();
  });

  it('rotates the refresh token, and refuses a replayed code, revoking what that code gave', async () => {
    idp.nextUser = 'alice';
    const { client, provider, callback } = await signIn(mcp);
    await client.close();
    const form = (fields: Record<string, string>) =>
      fetch(`${rig.base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    const refreshed = await form({
      grant_type: 'refresh_token',
      refresh_token: provider.stored?.refresh_token as string,
      client_id: provider.clientId,
    });
    expect(refreshed.status).toBe(200);
    const fresh = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(fresh.refresh_token).not.toBe(provider.stored?.refresh_token);
    expect((await initialize(mcp, fresh.access_token)).status).toBe(200);

    const replay = await form({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') as string,
      redirect_uri: REDIRECT_URI,
      client_id: provider.clientId,
      code_verifier: provider.verifier as string,
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    const after = await initialize(mcp, fresh.access_token);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('gives a viewer the read tools only, and refuses a write tool by role', async () => {
    idp.nextUser = 'bob';
    const { client } = await signIn(mcp);
    const names = await toolNames(client);
    expect(names).toContain('machines_list');
    expect(names).not.toContain('machine_deploy');
    const deploy = await client.callTool({ name: 'machine_deploy', arguments: { machines: 'web-01' } });
    expect(deploy.isError).toBe(true);
    expect(JSON.stringify(deploy.content)).toMatch(/operator/);
    await client.close();
  });

  it('sends back a person who has no role with access_denied, and one who denies consent too', async () => {
    idp.nextUser = 'carol';
    const nobody = await signIn(mcp);
    expect(nobody.callback.searchParams.get('error')).toBe('access_denied');
    expect(nobody.callback.searchParams.get('error_description')).toMatch(/carol@example.com has no role/);
    expect(nobody.callback.searchParams.get('iss')).toBe(rig.base);
    idp.nextUser = 'alice';
    const denied = await signIn(mcp, new Browser('deny'));
    expect(denied.callback.searchParams.get('error')).toBe('access_denied');
  });

  it('keeps static MCP_AUTH_TOKENS working beside OAuth', async () => {
    expect((await initialize(mcp, STATIC_TOKEN)).status).toBe(200);
    const wrong = await initialize(mcp, 'not-a-token-of-this-server');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('never writes a token, a code or a client secret to its log or its audit', async () => {
    idp.nextUser = 'alice';
    const { client, provider, callback } = await signIn(mcp);
    await client.callTool({ name: 'machines_list', arguments: { limit: 1 } });
    await client.close();
    const access = provider.stored?.access_token ?? '';
    const secrets = [
      UPSTREAM_SECRET,
      STATIC_TOKEN,
      access,
      provider.stored?.refresh_token as string,
      callback.searchParams.get('code') as string,
      // The library's tokens are user:grant:secret; the secret part alone must not appear either.
      access.split(':')[2] as string,
    ];
    const audit = JSON.stringify(await rig.deps.store.listAudit({ limit: 500 }));
    const logs = rig.logs.join('\n');
    expect(logs).toMatch(/signed in/);
    for (const s of secrets) {
      expect(logs).not.toContain(s);
      expect(audit).not.toContain(s);
    }
  });
});

describe('an external authorization server (MCP_OAUTH_ISSUER) whose JWT access tokens maas-mcp accepts', () => {
  let idp: Idp;
  let rig: Rig;
  let mcp: string;

  beforeAll(async () => {
    const listener = await listen();
    idp = await startIdp({ clients: [], resources: [`${listener.base}/mcp`, listener.base] });
    const config = parseConfig({
      MCP_PUBLIC_URL: listener.base,
      MCP_OAUTH_ISSUER: idp.issuer,
      MCP_OAUTH_ROLE_CLAIM: 'groups',
      MCP_OAUTH_ROLES: ROLES,
    });
    rig = startMaasMcp(listener, config);
    mcp = `${rig.base}/mcp`;
  });

  afterAll(async () => {
    await rig?.close();
    await idp?.close();
  });

  it('names the external issuer in its metadata and serves no authorization server of its own', async () => {
    const prm = (await (await fetch(`${rig.base}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      authorization_servers: string[];
    };
    expect(prm.authorization_servers).toEqual([idp.issuer]);
    expect((await fetch(`${rig.base}/authorize`)).status).toBe(404);
  });

  it('lets the official client sign a person in at the issuer and accepts the JWT it gets', async () => {
    idp.nextUser = 'alice';
    const { client, provider, callback } = await signIn(mcp);
    expect(callback.searchParams.get('error')).toBeNull();
    expect(provider.authorizationUrl?.origin).toBe(idp.issuer);
    expect(provider.stored?.access_token.split('.')).toHaveLength(3);
    expect(await toolNames(client)).toContain('audit_list');
    await client.close();
  });

  it('refuses a token for another audience, an expired one, another issuer’s, a tampered one and one with no role', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = { sub: 'erin', email: 'erin@example.com', groups: ['maas-operators'], aud: mcp };
    const ok = await initialize(mcp, await idp.mint(good));
    expect(ok.status).toBe(200);
    const cases: [string, string, number, RegExp][] = [
      [
        'wrong audience',
        await idp.mint({ ...good, aud: 'https://elsewhere.example.com/mcp' }),
        401,
        /another resource/,
      ],
      ['expired', await idp.mint({ ...good, exp: now - 120 }), 401, /has expired/],
      [
        'wrong issuer',
        await idp.mint({ ...good, iss: 'https://evil.example.com' }),
        401,
        /another authorization server/,
      ],
      ['tampered', `${(await idp.mint(good)).slice(0, -8)}AAAAAAAA`, 401, /signature does not verify/],
      ['no role', await idp.mint({ ...good, groups: ['contractors'] }), 403, /grants no role/],
    ];
    for (const [what, token, status, why] of cases) {
      const res = await initialize(mcp, token);
      expect(res.status, what).toBe(status);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge, what).toContain(
        status === 403 ? 'error="insufficient_scope"' : 'error="invalid_token"',
      );
      expect(challenge, what).toMatch(why);
      expect(challenge, what).toContain(
        `resource_metadata="${rig.base}/.well-known/oauth-protected-resource/mcp"`,
      );
    }
  });

  it('accepts a token for the whole server as well as one for its MCP endpoint', async () => {
    const token = await idp.mint({ sub: 'erin', groups: ['maas-viewers'], aud: rig.base });
    expect((await initialize(mcp, token)).status).toBe(200);
  });
});

describe('Sign in with Slack', () => {
  let idp: Idp;
  let rig: Rig;

  beforeAll(async () => {
    const listener = await listen();
    idp = await startIdp({
      clients: [
        {
          client_id: 'maas-mcp',
          client_secret: UPSTREAM_SECRET,
          redirect_uris: [`${listener.base}/oauth/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
    });
    const config = parseConfig({
      MCP_PUBLIC_URL: listener.base,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: 'maas-mcp',
      OIDC_CLIENT_SECRET: UPSTREAM_SECRET,
      MCP_OAUTH_ROLES: 'unused:viewer',
      SLACK_ROLES: 'U0DAVE:operator',
    });
    // The test provider stands in for https://slack.com, whose user ids are the subjects it signs in.
    const oidc = config.oauth.oidc;
    if (oidc) oidc.slack = true;
    rig = startMaasMcp(listener, config);
  });

  afterAll(async () => {
    await rig?.close();
    await idp?.close();
  });

  it('gives a person the role SLACK_ROLES gives their Slack user id, and refuses one it names not', async () => {
    idp.nextUser = 'U0DAVE';
    const { client } = await signIn(`${rig.base}/mcp`);
    const names = await toolNames(client);
    expect(names).toContain('machine_deploy');
    expect(names).not.toContain('audit_list');
    await client.close();
    idp.nextUser = 'alice';
    const refused = await signIn(`${rig.base}/mcp`);
    expect(refused.callback.searchParams.get('error')).toBe('access_denied');
    expect(refused.callback.searchParams.get('error_description')).toMatch(/SLACK_ROLES/);
  });
});
