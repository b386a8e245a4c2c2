/**
 * The resource server on its own, with an issuer answered by an injected fetch (no network): how it reads the
 * Authorization header, which tokens it takes, and the OAuth error each refusal carries.
 */
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ResourceServer } from '../../src/auth/resource.ts';
import { ManualClock } from '../../src/base/clock.ts';
import type { FetchLike } from '../../src/base/fetch.ts';
import { silentLogger } from '../../src/base/log.ts';
import { parseConfig } from '../../src/config.ts';

const BASE = 'https://maas-mcp.example.com';
const ISSUER = 'https://login.example.com/realms/ops';
const T0 = Date.UTC(2026, 11, 1, 12);

async function rig(opts: { issuerInMetadata?: string } = {}) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const asked: string[] = [];
  const fetch: FetchLike = async (input) => {
    const url = String(input);
    asked.push(url);
    if (url === `${ISSUER}/.well-known/openid-configuration`) {
      return Response.json({ issuer: opts.issuerInMetadata ?? ISSUER, jwks_uri: `${ISSUER}/certs` });
    }
    if (url === `${ISSUER}/certs`) return Response.json({ keys: [jwk] });
    return new Response('not found', { status: 404 });
  };
  const config = parseConfig({
    MCP_AUTH_TOKENS: 'static-token-0123456789:ci:viewer',
    MCP_PUBLIC_URL: BASE,
    MCP_OAUTH_ISSUER: ISSUER,
    MCP_OAUTH_ROLE_CLAIM: 'realm_access.roles',
    MCP_OAUTH_ROLES: 'maas-admin:admin,*:viewer',
  });
  const clock = new ManualClock(T0);
  const rs = new ResourceServer({
    authTokens: config.authTokens,
    oauth: config.oauth,
    clock,
    log: silentLogger,
    fetch,
  });
  const sign = (claims: JWTPayload, alg = 'ES256', key: Parameters<SignJWT['sign']>[0] = privateKey) =>
    new SignJWT({ realm_access: { roles: ['maas-admin'] }, ...claims })
      .setProtectedHeader({ alg, kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(`${BASE}/mcp`)
      .setSubject('f3a1-opaque')
      .setIssuedAt(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 300)
      .sign(key);
  const auth = (header?: string) =>
    rs.authenticate(
      new Request(`${BASE}/mcp`, {
        method: 'POST',
        headers: header === undefined ? {} : { authorization: header },
      }),
      '/mcp',
    );
  return { rs, sign, auth, asked, clock };
}

describe('the resource server', () => {
  it('asks for credentials without an error code when none were sent, and names a malformed header', async () => {
    const { auth, rs } = await rig();
    for (const header of [undefined, 'Basic dXNlcjpwYXNz']) {
      const a = await auth(header);
      expect(a).toEqual({
        ok: false,
        refusal: { status: 401, description: 'Unauthorized: send Authorization: Bearer <token>' },
      });
      if (!a.ok) {
        expect(rs.challenge(a.refusal, '/mcp')).toBe(
          `Bearer realm="maas-mcp", resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp"`,
        );
      }
    }
    const two = await auth('Bearer one two');
    expect(two).toMatchObject({ ok: false, refusal: { status: 400, error: 'invalid_request' } });
  });

  it('takes a static token, and a JWT of the issuer with its role from a nested claim', async () => {
    const { auth, sign } = await rig();
    expect(await auth('Bearer static-token-0123456789')).toEqual({
      ok: true,
      identity: { id: 'ci', role: 'viewer', how: 'token' },
    });
    expect(await auth(`Bearer ${await sign({ email: 'ann@example.com', email_verified: true })}`)).toEqual({
      ok: true,
      identity: { id: 'ann@example.com', role: 'admin', how: 'jwt' },
    });
    // Without a matching rule, the * rule; the name falls back to the subject.
    expect(await auth(`Bearer ${await sign({ realm_access: { roles: ['other'] } })}`)).toEqual({
      ok: true,
      identity: { id: 'f3a1-opaque', role: 'viewer', how: 'jwt' },
    });
  });

  it('refuses a token signed with a shared secret, even with the right claims', async () => {
    const { auth, sign } = await rig();
    const hs = await sign({}, 'HS256', new TextEncoder().encode('a-shared-secret-of-32-characters!!'));
    const a = await auth(`Bearer ${hs}`);
    expect(a).toMatchObject({ ok: false, refusal: { status: 401, error: 'invalid_token' } });
  });

  it('tolerates 30 s of clock difference on expiry, and no more', async () => {
    const { auth, sign, clock } = await rig();
    const token = await sign({});
    await clock.advance(300_000 + 29_000);
    expect((await auth(`Bearer ${token}`)).ok).toBe(true);
    await clock.advance(2_000);
    expect(await auth(`Bearer ${token}`)).toMatchObject({
      ok: false,
      refusal: { error: 'invalid_token', description: 'The access token has expired' },
    });
  });

  it('refuses every token of an issuer whose metadata names another issuer, and asks again later', async () => {
    const { auth, sign, asked } = await rig({ issuerInMetadata: 'https://impostor.example.com' });
    const a = await auth(`Bearer ${await sign({})}`);
    expect(a).toMatchObject({ ok: false, refusal: { status: 401, error: 'invalid_token' } });
    const before = asked.length;
    await auth(`Bearer ${await sign({})}`);
    expect(asked.length).toBeGreaterThan(before);
  });

  it('quotes a refusal safely in its challenge', async () => {
    const { rs } = await rig();
    expect(
      rs.challenge(
        { status: 401, error: 'invalid_token', description: 'bad "quote" \\ and ünïcode' },
        '/mcp',
      ),
    ).toContain(`error_description="bad 'quote' ' and ncode"`);
  });
});
