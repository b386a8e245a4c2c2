/**
 * The Worker's settings: the same rules as Node's `serve` — a HOST other machines can reach needs
 * MCP_AUTH_TOKENS, a bad setting is one clear line — answered per request, since a Worker cannot refuse to start.
 */
import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/sim/index.ts';
import { rpcAnswer, sendWith as send } from './helpers.ts';

const TOKEN = 'workerd-test-token-0123456789';

const listTools: RequestInit = {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
};

describe('Worker settings', () => {
  it('refuses every request when HOST is public and MCP_AUTH_TOKENS is empty, naming the setting', async () => {
    const res = await send(
      { HOST: 'maas-mcp.example.workers.dev' },
      'https://maas-mcp.example.workers.dev/healthz',
    );
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/MCP_AUTH_TOKENS/);
    expect(body.error).not.toContain('\n');
  });

  it('answers a bad setting with one line naming it', async () => {
    const res = await send({ MAAS_MCP_CONFIRM: 'maybe' }, 'http://127.0.0.1/healthz');
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toMatch(/MAAS_MCP_CONFIRM must be one of/);
  });

  it('asks for MAAS_URL and MAAS_API_KEY when demo mode is off and they are missing', async () => {
    const res = await send({ MAAS_MCP_DEMO: 'false' }, 'http://127.0.0.1/healthz');
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toMatch(/MAAS_URL and MAAS_API_KEY/);
  });

  it('refuses a foreign Host on a loopback HOST (DNS rebinding)', async () => {
    const res = await send({}, 'http://evil.example/mcp', listTools);
    expect(res.status).toBe(403);
  });

  it('serves a public HOST to bearers of a token only', async () => {
    const over = { HOST: 'maas-mcp.example.workers.dev', MCP_AUTH_TOKENS: `${TOKEN}:ci-bot:viewer` };
    const url = 'https://maas-mcp.example.workers.dev/mcp';
    expect((await send(over, url, listTools)).status).toBe(401);
    const res = await send(over, url, {
      ...listTools,
      headers: { ...(listTools.headers as Record<string, string>), authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const { result } = await rpcAnswer<{ result: { tools: { name: string }[] } }>(res);
    // A viewer sees read-only tools only.
    expect(result.tools.map((t) => t.name)).toContain('machine_get');
    expect(result.tools.map((t) => t.name)).not.toContain('machine_deploy');
  });

  it('reaches MAAS_URL through the MAAS_VPC binding (Workers VPC) when one is bound', async () => {
    const sim = createSimulator();
    const seen: string[] = [];
    const vpc = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        const req = new Request(input, init);
        seen.push(new URL(req.url).host);
        return sim.fetch(req);
      },
    };
    const res = await send(
      {
        MAAS_MCP_DEMO: 'false',
        MAAS_URL: sim.baseUrl,
        MAAS_API_KEY: sim.users.admin.apiKey,
        // A VPC binding is a Fetcher; the Worker uses only its fetch.
        MAAS_VPC: vpc as unknown as Fetcher,
      },
      'http://127.0.0.1/healthz?maas',
    );
    sim.close();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { maas_version: string }).maas_version).toMatch(/^3\./);
    expect(seen).toEqual([new URL(sim.baseUrl).host]);
  });
});
