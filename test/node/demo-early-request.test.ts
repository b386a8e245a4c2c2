/**
 * A client that connects the moment the port opens (as `npm start` followed at once by an MCP client, or a health
 * probe, does) is answered once the server is ready, not turned away while the demo is still starting.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let demo: ChildProcess | undefined;
afterAll(() => {
  if (demo?.pid && demo.exitCode === null) demo.kill('SIGTERM');
});

describe('maas-mcp demo while it starts', () => {
  it('answers the first request that reaches the port with the real answer, not a 503', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!/^(MAAS_|MCP_|SLACK_|HOST$|PORT$)/.test(k)) env[k] = v;
    // Many machines make the start after listening long enough for the first request to land inside it.
    demo = spawn(
      process.execPath,
      ['bin/maas-mcp.js', 'demo', '--port', String(port), '--machines', '3000'],
      {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    );
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'early', version: '1' },
      },
    };
    const deadline = Date.now() + 20_000;
    let res: Response | undefined;
    while (!res && Date.now() < deadline) {
      res = await fetch(`http://127.0.0.1:${port}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify(init),
      }).catch(() => undefined);
      if (!res) await new Promise((r) => setTimeout(r, 5));
    }
    expect(res?.status).toBe(200);
    expect(await res?.text()).toContain('"serverInfo"');
  }, 30_000);
});
