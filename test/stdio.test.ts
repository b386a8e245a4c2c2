import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';

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
    const client = new Client({ name: 'stdio-test', version: '1' });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe('maas-mcp');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('machine_deploy');
      const res = (await client.callTool({ name: 'machine_get', arguments: { machine: 'web-01' } })) as {
        structuredContent: { machine: { hostname: string; status: string } };
      };
      expect(res.structuredContent.machine).toMatchObject({ hostname: 'web-01', status: 'Ready' });
      // A destructive call over stdio (no elicitation declared) answers with a confirm token.
      const held = (await client.callTool({ name: 'machine_release', arguments: { machines: 'db-01' } })) as {
        structuredContent: { status: string; confirm_token?: string };
      };
      expect(held.structuredContent.status).toBe('confirmation_required');
      expect(held.structuredContent.confirm_token).toMatch(/^mmc_/);
    } finally {
      await client.close();
    }
  }, 30_000);
});
