/**
 * OAuth 2.1 sign-in on the Worker (`wrangler dev`, workerd, offline): the built-in authorization server runs in
 * workerd on Cloudflare's library with its records in the Durable Object, signs a person in at a real OpenID
 * Connect provider (oidc-provider on 127.0.0.1), and the person gets exactly their role; a replayed code is
 * refused (the Durable Object redeems codes one at a time) and revokes what it gave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, REDIRECT_URI, signIn } from '../auth/browser.ts';
import { type Idp, startIdp } from '../auth/idp.ts';
import { freePort, startWranglerDev } from './wrangler.ts';

const SECRET = 'upstream-client-secret-for-workerd-0123';
let idp: Idp;
let worker: Awaited<ReturnType<typeof startWranglerDev>>;
let mcp: string;

beforeAll(async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  idp = await startIdp({
    clients: [
      {
        client_id: 'maas-mcp',
        client_secret: SECRET,
        redirect_uris: [`${base}/oauth/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
  });
  worker = await startWranglerDev(port, {
    MAAS_MCP_DEMO: 'true',
    MAAS_MCP_DEMO_TIME_SCALE: '0.002',
    MCP_PUBLIC_URL: base,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: 'maas-mcp',
    OIDC_CLIENT_SECRET: SECRET,
    OIDC_SCOPES: 'openid email profile groups',
    MCP_OAUTH_ROLE_CLAIM: 'groups',
    MCP_OAUTH_ROLES: 'maas-admins:admin,maas-viewers:viewer',
  });
  mcp = `${base}/mcp`;
}, 40_000);

afterAll(async () => {
  await worker?.stop();
  await idp?.close();
}, 15_000);

describe('sign-in on the Worker', () => {
  it('accepts clients named by a metadata document (fetched as the Internet sees it) as well as registered ones', async () => {
    const meta = (await (
      await fetch(new URL('/.well-known/oauth-authorization-server', mcp))
    ).json()) as Record<string, unknown>;
    expect(meta.client_id_metadata_document_supported).toBe(true);
    expect(meta.registration_endpoint).toBe(new URL('/register', mcp).href);
  });

  it('signs an admin in through the provider and gives them their role', async () => {
    idp.nextUser = 'alice';
    const { client, provider, callback } = await signIn(mcp, new Browser());
    expect(callback.searchParams.get('error'), worker.output()).toBeNull();
    expect(provider.stored?.expires_in).toBe(600);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('audit_list');
    await client.close();
  }, 30_000);

  it('gives a viewer the read tools only', async () => {
    idp.nextUser = 'bob';
    const { client } = await signIn(mcp, new Browser());
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('machines_list');
    expect(names).not.toContain('machine_deploy');
    await client.close();
  }, 30_000);

  it('refuses a replayed code and revokes what it gave', async () => {
    idp.nextUser = 'alice';
    const { client, provider, callback } = await signIn(mcp, new Browser());
    await client.close();
    const token = provider.stored?.access_token as string;
    const replay = await fetch(new URL('/token', mcp), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') as string,
        redirect_uri: REDIRECT_URI,
        client_id: provider.clientId,
        code_verifier: provider.verifier as string,
      }).toString(),
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    const after = await fetch(mcp, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(after.status).toBe(401);
  }, 30_000);
});
