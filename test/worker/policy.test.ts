/**
 * Guardrails on Workers: MAAS_MCP_POLICY holds the policy as JSON; it hides what a rule always denies, refuses per
 * machine in the one path, and a policy that cannot be used answers every request with one line.
 */
import { describe, expect, it } from 'vitest';
import { sendWith as send } from './helpers.ts';

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

function rpc(method: string, params: Record<string, unknown>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  };
}

describe('a policy on Workers', () => {
  it('leaves out of tools/list the tool a rule always denies', async () => {
    const res = await send({ MAAS_MCP_POLICY: POLICY }, 'http://127.0.0.1/mcp', rpc('tools/list', {}));
    expect(res.status).toBe(200);
    const { result } = (await res.json()) as { result: { tools: { name: string }[] } };
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
    const { result } = (await res.json()) as { result: { isError?: boolean; content: { text: string }[] } };
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toContain('db-01: production stays on (policy rule keep-production-on)');
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
