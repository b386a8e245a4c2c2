import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/server.ts';
import { ADMIN, makeDeps, simDeps, testConfig, UNREACHABLE_MAAS } from './helpers.ts';

const ADMIN_TOKEN = 'admin-token-0123456789';
const VIEWER_TOKEN = 'viewer-token-0123456789';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};

function setup(env: Record<string, string> = {}) {
  const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig(env) });
  const http = createApp(deps, { localPrincipal: ADMIN });
  return http;
}

let open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.map((o) => o.close()));
  open = [];
});

function post(app: ReturnType<typeof setup>['app'], body: unknown, headers: Record<string, string> = {}) {
  return app.request('http://127.0.0.1:8080/mcp', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

async function httpClient(app: ReturnType<typeof setup>['app'], token?: string) {
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1:8080/mcp'), {
    fetch: async (url, init) => app.request(String(url), init),
    ...(token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}),
  });
  const client = new Client({ name: 'http-test', version: '1' });
  await client.connect(transport);
  open.push(client);
  return { client, transport };
}

describe('POST /mcp', () => {
  it('serves a real MCP client over Streamable HTTP with a session', async () => {
    const http = setup();
    open.push(http);
    const { client, transport } = await httpClient(http.app);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.getServerVersion()?.name).toBe('maas-mcp');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('machines_list');
    expect(http.mcp.size).toBe(1);
  });

  it('refuses a request addressed to a non-loopback Host (DNS rebinding)', async () => {
    const http = setup();
    open.push(http);
    const res = await post(http.app, INIT, { host: 'evil.example:8080' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('only answers requests addressed to localhost');
  });

  it('refuses a browser Origin that is neither its own nor allowed', async () => {
    const http = setup();
    open.push(http);
    const res = await post(http.app, INIT, { origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('MCP_ALLOWED_ORIGINS');
  });

  it('accepts its own origin and origins from MCP_ALLOWED_ORIGINS', async () => {
    const http = setup({ MCP_ALLOWED_ORIGINS: 'https://inspector.example' });
    open.push(http);
    expect((await post(http.app, INIT, { origin: 'http://127.0.0.1:8080' })).status).toBe(200);
    expect((await post(http.app, INIT, { origin: 'https://inspector.example' })).status).toBe(200);
  });

  it('asks for a bearer token when MCP_AUTH_TOKENS is set', async () => {
    const http = setup({ MCP_AUTH_TOKENS: `${ADMIN_TOKEN}:alice:admin` });
    open.push(http);
    const none = await post(http.app, INIT);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await post(http.app, INIT, { authorization: 'Bearer wrong-token-0000000000' })).status).toBe(401);
    expect((await post(http.app, INIT, { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
  });

  it('refuses a session id presented by another principal', async () => {
    const http = setup({ MCP_AUTH_TOKENS: `${ADMIN_TOKEN}:alice:admin,${VIEWER_TOKEN}:victor:viewer` });
    open.push(http);
    const { transport } = await httpClient(http.app, ADMIN_TOKEN);
    const res = await post(
      http.app,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      {
        authorization: `Bearer ${VIEWER_TOKEN}`,
        'mcp-session-id': transport.sessionId as string,
        'mcp-protocol-version': '2025-06-18',
      },
    );
    expect(res.status).toBe(403);
  });

  it('answers 404 for an unknown session and 400 for a GET without one', async () => {
    const http = setup();
    open.push(http);
    const res = await post(
      http.app,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': 'nope' },
    );
    expect(res.status).toBe(404);
    const get = await http.app.request('http://127.0.0.1:8080/mcp', {
      headers: { accept: 'text/event-stream' },
    });
    expect(get.status).toBe(400);
  });

  it('does not keep a session for a request that was not an initialize', async () => {
    const http = setup();
    open.push(http);
    const res = await post(http.app, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(res.status).toBe(400);
    expect(http.mcp.size).toBe(0);
  });

  it('forgets a session the client deletes', async () => {
    const http = setup();
    open.push(http);
    const { transport } = await httpClient(http.app);
    await transport.terminateSession();
    expect(http.mcp.size).toBe(0);
  });
});

describe('CORS for MCP_ALLOWED_ORIGINS', () => {
  const ALLOWED = 'https://inspector.example';

  function preflight(app: ReturnType<typeof setup>['app'], origin: string) {
    return app.request('http://127.0.0.1:8080/mcp', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization, mcp-protocol-version',
      },
    });
  }

  it('answers a browser preflight from an allowed origin, before any token is asked for', async () => {
    const http = setup({ MCP_ALLOWED_ORIGINS: ALLOWED, MCP_AUTH_TOKENS: `${ADMIN_TOKEN}:alice:admin` });
    open.push(http);
    const res = await preflight(http.app, ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of ['content-type', 'authorization', 'mcp-session-id', 'mcp-protocol-version']) {
      expect(allowed).toContain(h);
    }
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('lets the page read the session id, and the challenge of a refused token', async () => {
    const http = setup({ MCP_ALLOWED_ORIGINS: ALLOWED, MCP_AUTH_TOKENS: `${ADMIN_TOKEN}:alice:admin` });
    open.push(http);
    const ok = await post(http.app, INIT, { origin: ALLOWED, authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-expose-headers')).toContain('Mcp-Session-Id');
    expect(ok.headers.get('mcp-session-id')).toBeTruthy();
    const refused = await post(http.app, INIT, { origin: ALLOWED });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(refused.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
  });

  it('serves a real client that sends the allowed Origin, as a browser page would', async () => {
    const http = setup({ MCP_ALLOWED_ORIGINS: ALLOWED });
    open.push(http);
    const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1:8080/mcp'), {
      fetch: async (url, init) => {
        const res = await http.app.request(String(url), {
          ...init,
          headers: { ...Object.fromEntries(new Headers(init?.headers)), origin: ALLOWED },
        });
        // What a browser lets the page see of a cross-origin answer.
        expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
        return res;
      },
    });
    const client = new Client({ name: 'browser-like', version: '1' });
    await client.connect(transport);
    open.push(client);
    expect((await client.listTools()).tools.length).toBeGreaterThan(10);
    expect(transport.sessionId).toBeTruthy();
  });

  it('gives other origins no CORS headers at all', async () => {
    const http = setup({ MCP_ALLOWED_ORIGINS: ALLOWED });
    open.push(http);
    const evil = await preflight(http.app, 'https://evil.example');
    expect(evil.status).toBe(403);
    const own = await post(http.app, INIT, { origin: 'http://127.0.0.1:8080' });
    const plain = await post(http.app, INIT);
    for (const res of [evil, own, plain]) {
      expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('stateless MCP (as on Workers)', () => {
  it('serves a real 2025 client with no session, each request on a server of its own', async () => {
    const { sim, deps } = simDeps({ env: { MAAS_MCP_CONFIRM: 'auto' } });
    const http = createApp(deps, {
      localPrincipal: ADMIN,
      mcp: { sessions: false },
    });
    open.push(http, { close: async () => sim.close() });
    const { client, transport } = await httpClient(http.app);
    expect(transport.sessionId).toBeUndefined();
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(30);
    const res = await client.callTool({ name: 'machine_get', arguments: { machine: 'web-01' } });
    expect((res.structuredContent as { machine: { status: string } }).machine.status).toBe('Ready');
    // No session, so no elicitation: a destructive tool answers with a confirm token.
    const held = await client.callTool({ name: 'machine_release', arguments: { machines: 'db-01' } });
    expect((held.structuredContent as { status: string }).status).toBe('confirmation_required');
    expect(http.mcp.size).toBe(0);
  });
});

describe('GET /healthz', () => {
  it('answers ok without touching MAAS', async () => {
    const http = setup();
    open.push(http);
    const res = await http.app.request('http://127.0.0.1/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      maas: 'http://unreachable.invalid/MAAS/api/2.0/',
    });
  });

  it('reports MAAS unreachable as degraded when asked to check it', async () => {
    const http = setup();
    open.push(http);
    const res = await http.app.request('http://127.0.0.1/healthz?maas');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'degraded' });
  });

  it('refuses a request addressed to a non-loopback Host, as /mcp does', async () => {
    const http = setup();
    open.push(http);
    const res = await http.app.request('http://127.0.0.1/healthz?maas', {
      headers: { host: 'evil.example' },
    });
    expect(res.status).toBe(403);
  });

  it('tells an unauthenticated caller only that it is alive', async () => {
    const http = setup({ MCP_AUTH_TOKENS: `${ADMIN_TOKEN}:alice:admin` });
    open.push(http);
    const res = await http.app.request('http://127.0.0.1/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: expect.any(String) });
    const details = await http.app.request('http://127.0.0.1/healthz?maas');
    expect(details.status).toBe(401);
    expect(JSON.stringify(await details.json())).not.toContain('unreachable.invalid');
  });

  it('scrubs secrets MAAS echoes in its error, for an authenticated caller', async () => {
    const key = UNREACHABLE_MAAS.apiKey;
    const secret = key.split(':')[2] as string;
    const echoing = {
      ...UNREACHABLE_MAAS,
      fetch: async () =>
        new Response(`bad request header: OAuth oauth_token_secret="${secret}", key ${key}`, { status: 500 }),
    };
    const deps = makeDeps(echoing, { config: testConfig({ MCP_AUTH_TOKENS: `${ADMIN_TOKEN}:alice:admin` }) });
    const http = createApp(deps, { localPrincipal: ADMIN });
    open.push(http);
    const res = await http.app.request('http://127.0.0.1/healthz?maas', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).toContain('degraded');
    expect(text).toContain('unreachable.invalid');
    expect(text).not.toContain(secret);
  });
});
