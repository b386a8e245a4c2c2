/** MAAS_MCP_DEMO=true is `--demo` for `maas-mcp stdio` and `serve`, as it is on Workers (README "Settings"). */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/node.ts';
import { call } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('MAAS_MCP_DEMO', () => {
  it('=true makes `maas-mcp stdio` serve the built-in simulator, with no MAAS set', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['bin/maas-mcp.js', 'stdio'],
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', MAAS_MCP_DEMO: 'true' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'demo-setting-test', version: '1' });
    await client.connect(transport);
    try {
      const res = await call<{ total: number }>(client, 'machines_list', {});
      expect(res.data.total).toBe(24);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('refuses a value that is not true or false, naming the setting', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main(['stdio'], { MAAS_MCP_DEMO: 'maybe' })).toBe(2);
      expect(errors).toHaveBeenCalledWith(
        'maas-mcp: MAAS_MCP_DEMO must be true or false (also accepted: 1/0, yes/no, on/off)',
      );
    } finally {
      errors.mockRestore();
    }
  });
});
