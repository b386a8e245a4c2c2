/**
 * MCP through the Worker inside workerd, against the demo simulator that lives in the Durable Object, for a
 * 2025-11-25 client: no session, the @cfworker validator, and confirm tokens in place of elicitation.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enabledTools } from '../../src/tools/index.ts';
import { type ActionAnswer, call, confirmed, connect } from './helpers.ts';

let client: Client;
beforeAll(async () => {
  client = await connect();
});
afterAll(async () => {
  await client.close();
});

describe('MCP on Workers', () => {
  it('initializes statelessly and lists every tool the local admin may use', async () => {
    expect(client.getServerVersion()?.name).toBe('maas-mcp');
    const { tools } = await client.listTools();
    const expected = enabledTools({
      toolsets: new Set(['machines', 'lifecycle', 'power', 'inventory', 'operations', 'admin', 'config']),
      readOnly: false,
      role: 'admin',
    });
    expect(tools.map((t) => t.name).sort()).toEqual(expected.map((t) => t.name).sort());
  });

  it('reads a machine from the simulator in the Durable Object', async () => {
    const res = await call<{ machine: { hostname: string; status: string } }>(client, 'machine_get', {
      machine: 'web-01',
    });
    expect(res.isError).toBe(false);
    expect(res.data.machine.hostname).toBe('web-01');
    expect(res.text).toContain('web-01');
  });

  it('answers a destructive tool with a confirm token, runs it with the token, and refuses the token again', async () => {
    const args = { machines: 'db-01', comment: 'workerd test' };
    const { preview, done, token } = await confirmed(client, 'machine_release', args);
    expect(preview.isError).toBe(false);
    expect(preview.data.status).toBe('confirmation_required');
    expect(preview.data.confirmation_required).toBe(true);
    expect(token).toMatch(/^mmc_/);
    expect(done.data.status).toBe('done');
    expect(done.data.succeeded.map((r) => r.hostname)).toEqual(['db-01']);

    const again = await call<ActionAnswer>(client, 'machine_release', { ...args, confirm_token: token });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/already used|used/i);
  });

  it('refuses GET: there are no sessions to stream to', async () => {
    const { SELF } = await import('cloudflare:test');
    const res = await SELF.fetch('http://127.0.0.1/mcp', { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(405);
  });
});
