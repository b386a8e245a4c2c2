/**
 * The Worker's HTTP surface beyond MCP itself: CORS for MCP_ALLOWED_ORIGINS, and /healthz telling an anonymous
 * caller no more than that it is alive — the same rules as on Node, from the same createApp.
 */
import { describe, expect, it } from 'vitest';
import { sendWith as send } from './helpers.ts';

const ALLOWED = 'https://inspector.example';
const TOKEN = 'workerd-test-token-0123456789';

const corsHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith('access-control-'));

describe('CORS on Workers', () => {
  it('answers the preflight of an allowed origin and exposes the MCP headers on the answer', async () => {
    const over = { MCP_ALLOWED_ORIGINS: ALLOWED };
    const pre = await send(over, 'http://127.0.0.1/mcp', {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, mcp-protocol-version',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('mcp-protocol-version');
    const res = await send(over, 'http://127.0.0.1/mcp', {
      method: 'POST',
      headers: {
        origin: ALLOWED,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-expose-headers')).toContain('Mcp-Session-Id');
  });

  it('gives any other origin no CORS headers', async () => {
    const res = await send({ MCP_ALLOWED_ORIGINS: ALLOWED }, 'http://127.0.0.1/mcp', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(403);
    expect(corsHeaders(res)).toEqual([]);
  });
});

describe('/healthz on Workers', () => {
  const PUBLIC = { HOST: 'maas-mcp.example.workers.dev', MCP_AUTH_TOKENS: `${TOKEN}:ci-bot:viewer` };
  const URL = 'https://maas-mcp.example.workers.dev/healthz';

  it('tells an anonymous caller only that it is alive, and MAAS details to a bearer of a token', async () => {
    const alive = await send(PUBLIC, URL);
    expect(alive.status).toBe(200);
    const body = (await alive.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['status', 'version']);
    expect((await send(PUBLIC, `${URL}?maas`)).status).toBe(401);
    const details = await send(PUBLIC, `${URL}?maas`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(details.status).toBe(200);
    expect(await details.json()).toMatchObject({ status: 'ok', maas_version: expect.any(String) });
  });
});
