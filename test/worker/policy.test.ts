/**
 * Guardrails on Workers: MAAS_MCP_POLICY holds the policy as JSON; it hides what a rule always denies (from either
 * protocol revision), refuses per machine in the one path, has a 2026-07-28 client confirm through input_required
 * what a confirm rule asks even with MAAS_MCP_CONFIRM=off, and a policy that cannot be used answers every request
 * with one line.
 */
import { describe, expect, it } from 'vitest';
import { rpcAnswer, sendWith as send } from './helpers.ts';

const POLICY = JSON.stringify({
  rules: [
    {
      id: 'no-agent-deletes',
      match: { tools: ['machine_delete'], via: ['mcp'] },
      effect: 'deny',
      reason: 'people delete',
    },
    {
      id: 'keep-production-on',
      match: { pools: ['production'] },
      effect: 'deny',
      reason: 'production stays on',
    },
  ],
});

const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
};

/** One JSON-RPC request: a 2025-11-25 one without a revision, or a 2026-07-28 one (headers and `_meta`). */
function rpc(method: string, params: Record<string, unknown>, modern = false): RequestInit {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (modern) {
    headers['mcp-protocol-version'] = '2026-07-28';
    headers['mcp-method'] = method;
    if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  }
  const body = { jsonrpc: '2.0', id: 1, method, params: modern ? { ...params, _meta: MODERN_META } : params };
  return { method: 'POST', headers, body: JSON.stringify(body) };
}

interface CallAnswer {
  result?: {
    resultType?: string;
    requestState?: string;
    isError?: boolean;
    content?: { text: string }[];
    structuredContent?: { status?: string };
  };
  error?: { message: string };
}

describe('a policy on Workers', () => {
  it.each([
    ['2025-11-25', false],
    ['2026-07-28', true],
  ])('leaves out of tools/list the tool a rule always denies (a %s client)', async (_era, modern) => {
    const res = await send(
      { MAAS_MCP_POLICY: POLICY },
      'http://127.0.0.1/mcp',
      rpc('tools/list', {}, modern),
    );
    expect(res.status).toBe(200);
    const { result } = await rpcAnswer<{ result: { tools: { name: string }[] } }>(res);
    const names = result.tools.map((t) => t.name);
    expect(names).toContain('machine_power_off');
    expect(names).not.toContain('machine_delete');
  });

  it('refuses a call on machines a rule denies, naming the rule', async () => {
    const res = await send(
      { MAAS_MCP_POLICY: POLICY },
      'http://127.0.0.1/mcp',
      rpc('tools/call', { name: 'machine_power_off', arguments: { machines: 'db-01' } }),
    );
    const { result } = await rpcAnswer<CallAnswer>(res);
    expect(result?.isError).toBe(true);
    expect(result?.content?.[0]?.text).toContain(
      'db-01: production stays on (policy rule keep-production-on)',
    );
  });

  it('has a 2026-07-28 client confirm through input_required what a confirm rule asks, with MAAS_MCP_CONFIRM=off', async () => {
    const over = {
      MAAS_MCP_CONFIRM: 'off',
      MAAS_MCP_POLICY: JSON.stringify({
        rules: [{ id: 'careful-power', match: { tools: ['machine_power_off'] }, effect: 'confirm' }],
      }),
    };
    const args = { name: 'machine_power_off', arguments: { machines: 'k8s-01' } };
    const post = async (params: Record<string, unknown>) =>
      rpcAnswer<CallAnswer>(await send(over, 'http://127.0.0.1/mcp', rpc('tools/call', params, true)));
    const first = await post(args);
    expect(first.result?.resultType).toBe('input_required');
    const yes = { confirm: { action: 'accept', content: { confirm: true } } };
    const done = await post({ ...args, inputResponses: yes, requestState: first.result?.requestState });
    expect(done.result?.isError, JSON.stringify(done)).toBeFalsy();
    expect(done.result?.structuredContent?.status).toBe('done');
  });

  it('answers every request with one line when the policy is not JSON', async () => {
    const res = await send(
      { MAAS_MCP_POLICY: 'rules:\n  - id: a\n    effect: allow\n' },
      'http://127.0.0.1/healthz',
    );
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: string };
    expect(error).toMatch(/^maas-mcp is misconfigured: MAAS_MCP_POLICY: its text: not JSON/);
    expect(error).not.toContain('\n');
  });
});
