import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { call } from '../helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('maas-mcp stdio', () => {
  it('serves MCP over stdio to a real client, with nothing but protocol on stdout', async () => {
    const transport = new StdioClientTransport({
      command: 'npx',
      args: ['--no-install', 'maas-mcp', 'stdio', '--demo'],
      cwd: root,
      stderr: 'pipe',
      env: { ...process.env, PATH: process.env.PATH ?? '', MAAS_MCP_CONFIRM: 'token' } as Record<
        string,
        string
      >,
    });
    // A line on stdout that is not a JSON-RPC message (a banner, a stray console.log) is reported through the
    // transport's onerror (StdioClientTransport.processReadBuffer). Set before connecting: Client.connect keeps
    // this handler and chains its own, so nothing printed from the very start escapes.
    const errs: Error[] = [];
    transport.onerror = (e) => void errs.push(e);
    const client = new Client({ name: 'stdio-test', version: '1' });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe('maas-mcp');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('machine_deploy');
      const res = await call<{ machine: { hostname: string; status: string } }>(client, 'machine_get', {
        machine: 'web-01',
      });
      expect(res.data.machine).toMatchObject({ hostname: 'web-01', status: 'Ready' });
      // A destructive call over stdio (no elicitation declared) answers with a confirm token.
      const held = await call<{ status: string; confirm_token?: string }>(client, 'machine_release', {
        machines: 'db-01',
      });
      expect(held.data.status).toBe('confirmation_required');
      expect(held.data.confirm_token).toMatch(/^mmc_/);
    } finally {
      await client.close();
    }
    expect(errs).toEqual([]);
  }, 30_000);
});
