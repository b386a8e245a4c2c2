/**
 * The status page on Workers: the same createApp serves the page and its server-sent events inside workerd, with
 * the same access rules as /mcp (README "Status page").
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sendWith as send } from './helpers.ts';

const TOKEN = 'workerd-page-token-0123456789';

describe('the status page on Workers', () => {
  it('renders the demo fleet by zone, with counts, failures and the grid', async () => {
    const res = await SELF.fetch('http://127.0.0.1/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('machines in all.');
    expect(html).toContain('<h2 id="h-grid">Machines</h2>');
    expect(html).toMatch(/<li class="c t-failed" data-id="[a-z0-9]+" title="db-03: Failed deployment/);
    expect(html).toContain('<h2 id="h-failures">Failures</h2>');
    expect((await SELF.fetch('http://127.0.0.1/page.js')).status).toBe(200);
  });

  it('streams its sections as server-sent events', async () => {
    const res = await SELF.fetch('http://127.0.0.1/events');
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const dec = new TextDecoder();
    while (!text.includes('event: cells')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    await reader.cancel();
    expect(text).toContain('event: section\ndata: {"id":"counts"');
    expect(text).toContain('event: cells');
  });

  it('asks for a bearer token where MCP_AUTH_TOKENS are set, as /mcp does', async () => {
    const over = { HOST: 'maas-mcp.example.workers.dev', MCP_AUTH_TOKENS: `${TOKEN}:ci-bot:viewer` };
    const url = 'https://maas-mcp.example.workers.dev/';
    const anonymous = await send(over, url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    const signed = await send(over, url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(signed.status).toBe(200);
    expect(await signed.text()).toContain('You are ci-bot (viewer)');
  });

  it('sends a browser without a session to /login where the built-in sign-in is configured, and refuses a forged cookie', async () => {
    const over = {
      HOST: 'maas-mcp.example.workers.dev',
      MCP_PUBLIC_URL: 'https://maas-mcp.example.workers.dev',
      OIDC_ISSUER: 'https://login.example.com',
      OIDC_CLIENT_ID: 'maas-mcp',
      OIDC_CLIENT_SECRET: 'workerd-upstream-secret-0123456789',
      MCP_OAUTH_ROLES: '*:viewer',
    };
    const url = 'https://maas-mcp.example.workers.dev/';
    const anonymous = await send(over, url);
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/login');
    const forged = {
      headers: { cookie: '__Host-maas-mcp-page=bm90IGEgc2Vzc2lvbiBhdCBhbGwgMDEyMzQ1Njc4OQ==' },
    };
    const events = await send(over, `${url}events`, forged);
    expect(events.status).toBe(401);
    expect(await events.text()).toContain('Your page session is not valid here');
  });
});
