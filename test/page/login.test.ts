/**
 * Browser sign-in to the status page (README "Status page"), driven headlessly with fetch: /login sends the browser
 * to a real OpenID Connect provider (`oidc-provider` on 127.0.0.1, the auth tests' one), the provider sends it back
 * to /login/callback, and a sealed session cookie signs it in to the page's routes — never to /mcp.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PageSignIn } from '../../src/auth/page-session.ts';
import { ManualClock, systemClock } from '../../src/base/clock.ts';
import { createLogger } from '../../src/base/log.ts';
import { Browser } from '../auth/browser.ts';
import { type Idp, startIdp } from '../auth/idp.ts';
import { call } from '../helpers.ts';
import { mcpClient, posts, type Rig, slackRig } from '../slack/helpers.ts';
import { csrfOf, pageRequest, readEvents } from './helpers.ts';

const BASE = 'http://127.0.0.1:8080';
const UPSTREAM_SECRET = 'page-upstream-client-secret-0123456789';
const OIDC = {
  MAAS_MCP_CONFIRM: 'slack',
  MCP_PUBLIC_URL: BASE,
  OIDC_CLIENT_ID: 'maas-mcp-page',
  OIDC_CLIENT_SECRET: UPSTREAM_SECRET,
  OIDC_SCOPES: 'openid email profile groups',
  MCP_OAUTH_ROLE_CLAIM: 'groups',
  MCP_OAUTH_ROLES: 'maas-admins:admin,maas-viewers:viewer',
};

let idp: Idp;
beforeAll(async () => {
  idp = await startIdp({
    clients: [
      {
        client_id: 'maas-mcp-page',
        client_secret: UPSTREAM_SECRET,
        redirect_uris: [`${BASE}/login/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
  });
});
afterAll(async () => {
  await idp?.close();
});

let rig: Rig | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await rig?.close();
  rig = undefined;
});

async function start(): Promise<Rig> {
  rig = await slackRig({ ...OIDC, OIDC_ISSUER: idp.issuer }, { clock: new ManualClock(Date.now()) });
  return rig;
}

/** The `name=value` of each Set-Cookie line of `res`. */
function setCookies(res: Response): Map<string, { value: string; line: string }> {
  const out = new Map<string, { value: string; line: string }>();
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), { value: pair.slice(eq + 1), line });
  }
  return out;
}

interface SignIn {
  /** The Cookie header the browser sends afterwards. */
  cookie: string;
  /** The session cookie's value, and every code, state and cookie value seen on the way. */
  session: string;
  seen: string[];
  callback: Response;
}

/** `user` signs in to the page: /login → the provider → /login/callback, as a browser would. */
async function browserSignIn(r: Rig, user: string, tamper?: (callback: URL) => void): Promise<SignIn> {
  idp.nextUser = user;
  const login = await pageRequest(r.app, '/login');
  expect(login.status).toBe(302);
  const loginCookie = setCookies(login).get('maas-mcp-login');
  expect(loginCookie?.line).toMatch(/HttpOnly; SameSite=Lax; Max-Age=600$/);
  const authorize = new URL(login.headers.get('location') ?? '');
  expect(authorize.origin).toBe(idp.issuer);
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${BASE}/login/callback`);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('nonce')).toBeTruthy();
  const back = await new Browser().run(authorize.href, `${BASE}/login/callback`);
  tamper?.(back);
  const callback = await pageRequest(r.app, `${back.pathname}${back.search}`, {
    headers: { cookie: `maas-mcp-login=${loginCookie?.value}` },
  });
  const session = setCookies(callback).get('maas-mcp-page')?.value ?? '';
  return {
    cookie: `maas-mcp-page=${session}`,
    session,
    seen: [
      back.searchParams.get('code') ?? '',
      back.searchParams.get('state') ?? '',
      loginCookie?.value ?? '',
      session,
    ].filter(Boolean),
    callback,
  };
}

const page = (r: Rig, cookie: string) => pageRequest(r.app, '/', { headers: { cookie } });

async function heldRelease(r: Rig): Promise<string> {
  const client = await mcpClient(r, { id: 'agent-7', role: 'operator', via: 'mcp' });
  const out = await call<{ status: string; operation_id: string }>(client, 'machine_release', {
    machines: 'db-01',
  });
  expect(out.data.status).toBe('awaiting_approval');
  await r.fake.waitFor(() => posts(r, 'CNOTIFY').length > 0);
  return out.data.operation_id;
}

describe('browser sign-in to the status page', () => {
  it('sends a browser without a session to /login, and signs an admin in through the provider with their Approve buttons', async () => {
    const r = await start();
    const id = await heldRelease(r);
    const bare = await pageRequest(r.app, '/');
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe('/login');
    const alice = await browserSignIn(r, 'alice');
    expect(alice.callback.status).toBe(302);
    expect(alice.callback.headers.get('location')).toBe('/');
    const line = setCookies(alice.callback).get('maas-mcp-page')?.line ?? '';
    // On loopback over http the cookie cannot be Secure; it is HttpOnly, Lax, for the whole site, for 12 hours.
    expect(line).toMatch(/^maas-mcp-page=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200$/);
    // The sign-in cookie is removed as the session begins.
    expect(setCookies(alice.callback).get('maas-mcp-login')?.line).toMatch(/Max-Age=0/);
    const res = await page(r, alice.cookie);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('You are alice@example.com (admin)');
    expect(html).toContain(`Approve ${id}`);
    expect(html).toContain('<form method="post" action="/logout" class="signout">');
    // Its events come with the same cookie (EventSource sends cookies, never headers).
    const events = await pageRequest(r.app, '/events', { headers: { cookie: alice.cookie } });
    expect(events.status).toBe(200);
    await readEvents(events, (e) => e.length > 0, { ms: 3000 });
    const audit = await r.deps.store.listAudit({ limit: 50 });
    expect(JSON.stringify(audit)).not.toContain(alice.session);
  });

  it('lets an admin approve from the page with the session, the CSRF token bound to them', async () => {
    const r = await start();
    const id = await heldRelease(r);
    const alice = await browserSignIn(r, 'alice');
    const csrf = csrfOf(await (await page(r, alice.cookie)).text());
    const approve = await pageRequest(r.app, `/approvals/${id}`, {
      method: 'POST',
      headers: {
        cookie: alice.cookie,
        origin: BASE,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ csrf, decision: 'approve' }).toString(),
    });
    expect(approve.status).toBe(200);
    const [record] = (await r.deps.store.listAudit({ tool: 'machine_release' })).filter(
      (a) => a.result === 'approved',
    );
    expect(JSON.stringify(record)).toContain('alice@example.com (status page)');
  });

  it('gives a viewer the page without Approve or Deny buttons', async () => {
    const r = await start();
    const id = await heldRelease(r);
    const bob = await browserSignIn(r, 'bob');
    const html = await (await page(r, bob.cookie)).text();
    expect(html).toContain('You are bob@example.com (viewer)');
    expect(html).toContain(`id="ap-${id}"`);
    expect(html).not.toContain(`Approve ${id}`);
    expect(html).toContain('An operator or admin can approve or deny this.');
  });

  it('refuses a person the rules give no role, and opens no session', async () => {
    const r = await start();
    const carol = await browserSignIn(r, 'carol');
    expect(carol.callback.status).toBe(403);
    expect(await carol.callback.text()).toContain('carol@example.com has no role in maas-mcp');
    expect(carol.session).toBe('');
  });

  it('refuses an answer whose state is not the one this browser started, and one with no sign-in cookie', async () => {
    const r = await start();
    const wrong = await browserSignIn(r, 'alice', (u) =>
      u.searchParams.set('state', 'forged-state-0123456789'),
    );
    expect(wrong.callback.status).toBe(400);
    expect(await wrong.callback.text()).toContain('(state)');
    expect(wrong.session).toBe('');
    idp.nextUser = 'alice';
    const login = await pageRequest(r.app, '/login');
    const back = await new Browser().run(login.headers.get('location') ?? '', `${BASE}/login/callback`);
    const noCookie = await pageRequest(r.app, `${back.pathname}${back.search}`);
    expect(noCookie.status).toBe(400);
    expect(setCookies(noCookie).get('maas-mcp-page')).toBeUndefined();
  });

  it('refuses a tampered cookie, another server’s, and one past its 12 hours, sending the browser to sign in again', async () => {
    const r = await start();
    const alice = await browserSignIn(r, 'alice');
    const flipped = `${alice.session.slice(0, 20)}${alice.session[20] === 'A' ? 'B' : 'A'}${alice.session.slice(21)}`;
    for (const cookie of [`maas-mcp-page=${flipped}`, 'maas-mcp-page=bm90IGEgc2Vzc2lvbg==']) {
      const res = await page(r, cookie);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/login');
      expect(setCookies(res).get('maas-mcp-page')?.line).toMatch(/Max-Age=0/);
      const events = await pageRequest(r.app, '/events', { headers: { cookie } });
      expect(events.status).toBe(401);
    }
    expect((await page(r, alice.cookie)).status).toBe(200);
    const now = r.clock.now();
    vi.spyOn(r.clock, 'now').mockReturnValue(now + 12 * 3600_000 + 1000);
    const late = await pageRequest(r.app, '/events', { headers: { cookie: alice.cookie } });
    expect(late.status).toBe(401);
    expect(await late.text()).toContain('Your page session has expired');
    expect((await page(r, alice.cookie)).headers.get('location')).toBe('/login');
  });

  it('never lets the session cookie authorise an MCP call', async () => {
    const r = await start();
    const alice = await browserSignIn(r, 'alice');
    const res = await pageRequest(r.app, '/mcp', {
      method: 'POST',
      headers: {
        cookie: alice.cookie,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    const health = await pageRequest(r.app, '/healthz?maas', { headers: { cookie: alice.cookie } });
    expect(health.status).toBe(401);
  });

  it('signs out on a POST with the page’s CSRF token, and refuses one without it', async () => {
    const r = await start();
    const alice = await browserSignIn(r, 'alice');
    const csrf = csrfOf(await (await page(r, alice.cookie)).text());
    const post = (form: Record<string, string>) =>
      pageRequest(r.app, '/logout', {
        method: 'POST',
        headers: { cookie: alice.cookie, origin: BASE, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
    const forged = await post({ csrf: '1.deadbeef' });
    expect(forged.status).toBe(403);
    expect(setCookies(forged).get('maas-mcp-page')).toBeUndefined();
    const cross = await pageRequest(r.app, '/logout', {
      method: 'POST',
      headers: { cookie: alice.cookie, origin: 'https://evil.example.com' },
      body: new URLSearchParams({ csrf }).toString(),
    });
    expect(cross.status).toBe(403);
    const out = await post({ csrf });
    expect(out.status).toBe(200);
    expect(await out.text()).toContain('You are signed out');
    expect(setCookies(out).get('maas-mcp-page')?.line).toMatch(/^maas-mcp-page=; .*Max-Age=0/);
  });

  it('never shows or logs a code, a state, a cookie’s contents or the client secret', async () => {
    const logs: string[] = [];
    const r = await start();
    const log = r.deps.log;
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      const real = log[level].bind(log);
      vi.spyOn(log, level).mockImplementation((msg: string, fields?: Record<string, unknown>) => {
        logs.push(`${msg} ${JSON.stringify(fields ?? {})}`);
        real(msg, fields);
      });
    }
    await heldRelease(r);
    const alice = await browserSignIn(r, 'alice');
    const wrong = await browserSignIn(r, 'alice', (u) => u.searchParams.set('code', 'forged-code'));
    const html = await (await page(r, alice.cookie)).text();
    const events = await readEvents(
      await pageRequest(r.app, '/events', { headers: { cookie: alice.cookie } }),
      (e) => e.length > 0,
      { ms: 3000 },
    );
    const shown = [html, await wrong.callback.text(), ...events.map((e) => e.raw), logs.join('\n')].join(
      '\n',
    );
    expect(logs.join('\n')).toContain('signed in to the status page');
    for (const secret of [UPSTREAM_SECRET, ...alice.seen, ...wrong.seen]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(shown).not.toContain(secret);
    }
  });
});

describe('the page session cookie on a server reached over https', () => {
  it('is Secure and __Host- named, so it never travels over http nor to a subdomain', async () => {
    const signIn = new PageSignIn({
      oauth: {
        publicUrl: 'https://maas-mcp.example.com',
        roleClaim: 'groups',
        roleRules: [{ value: '*', role: 'viewer' }],
        oidc: { issuer: idp.issuer, clientId: 'x', clientSecret: 'y', scopes: ['openid'], slack: false },
      },
      sealKey: 'a-server-key-0123456789abcdef',
      fetch: (input, init) => globalThis.fetch(input, init),
      clock: systemClock,
      log: createLogger(() => undefined),
    });
    const started = await signIn.begin();
    if ('status' in started) throw new Error(started.description);
    expect(started.location).toContain(encodeURIComponent('https://maas-mcp.example.com/login/callback'));
    expect(started.cookies[0]).toMatch(
      /^__Host-maas-mcp-login=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/,
    );
    expect(signIn.clearCookies()[0]).toBe(
      '__Host-maas-mcp-page=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure',
    );
  });
});

describe('the status page without the built-in sign-in', () => {
  it('keeps answering a request without credentials with 401 and a challenge, and has no /login', async () => {
    rig = await slackRig({ MCP_AUTH_TOKENS: 'view-token-0123456789abcdef:vera:viewer' });
    const res = await pageRequest(rig.app, '/');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect((await pageRequest(rig.app, '/login')).status).toBe(404);
  });
});
