/**
 * `npm start` as a new user meets it: the real `maas-mcp demo` process on a free port, and every instruction its
 * banner prints, followed as written — the MCP URL with the official SDK client, the health URL, the simulated MAAS
 * URL and key with a MAAS client, and the Claude Desktop snippet started the way Claude Desktop starts it (no shell,
 * another working directory, almost no environment).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaasClient } from '../../src/maas/client.ts';
import { MaasHttp } from '../../src/maas/http.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The environment minus every setting, so the demo runs as on a fresh machine whatever the caller has set. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(MAAS_|MCP_|SLACK_|HOST$|PORT$)/.test(k)) env[k] = v;
  }
  return env;
}

let demo: ChildProcess;
let banner = '';

/** Starts `maas-mcp demo --port 0` and resolves with its banner once it says how to stop it. */
function startDemo(): Promise<string> {
  demo = spawn(process.execPath, ['bin/maas-mcp.js', 'demo', '--port', '0', '--machines', '4'], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  demo.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 15 s; stderr: ${stderr}`)), 15_000);
    let out = '';
    demo.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Stop with Ctrl-C.')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    demo.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}; stderr: ${stderr}`));
    });
  });
}

/** The first capture of `re` in the banner. */
function fromBanner(re: RegExp): string {
  const m = banner.match(re);
  if (!m?.[1]) throw new Error(`the banner has no ${re}:\n${banner}`);
  return m[1];
}

beforeAll(async () => {
  banner = await startDemo();
}, 20_000);

afterAll(async () => {
  if (!demo || demo.exitCode !== null) return;
  const exited = new Promise((resolve) => demo.once('exit', resolve));
  demo.kill('SIGTERM');
  await exited;
});

describe('the demo banner, followed as written', () => {
  it('names a health URL whose MAAS is the simulated MAAS it prints, reachable on this server', async () => {
    const mcpUrl = fromBanner(/MCP \(Streamable HTTP\):\s+(\S+)/);
    const base = new URL(mcpUrl).origin;
    const maasUrl = fromBanner(/MAAS_URL=(\S+)/);
    expect(maasUrl).toBe(`${base}/MAAS`);
    const health = (await (await fetch(fromBanner(/Health:\s+(\S+)/))).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', maas: `${maasUrl}/api/2.0/` });
    expect(JSON.stringify(health)).not.toContain('maas.sim');
  });

  it('prints a MAAS_URL and MAAS_API_KEY that a MAAS client can use', async () => {
    const maas = new MaasClient(
      new MaasHttp({ url: fromBanner(/MAAS_URL=(\S+)/), apiKey: fromBanner(/MAAS_API_KEY=(\S+)/), fetch }),
    );
    expect((await maas.version()).version).toMatch(/^3\.7/);
    expect(await maas.whoami()).toMatchObject({ username: 'admin', is_superuser: true });
  });

  it('gives Claude Code the MCP URL, which the SDK client can use', async () => {
    const mcpUrl = fromBanner(/MCP \(Streamable HTTP\):\s+(\S+)/);
    expect(fromBanner(/claude mcp add --transport http maas (\S+)/)).toBe(mcpUrl);
    const client = new Client({ name: 'demo-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('machine_get');
    } finally {
      await client.close();
    }
  });

  it('gives Claude Desktop a snippet that starts a working server without a shell, from any directory', async () => {
    const json = fromBanner(/claude_desktop_config\.json[^\n]*\n(\{[\s\S]*?\n\})\n/);
    const entry = (JSON.parse(json) as { mcpServers: { maas: { command: string; args: string[] } } })
      .mcpServers.maas;
    expect(entry.command).toBe(process.execPath);
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      cwd: tmpdir(),
      env: {},
      stderr: 'pipe',
    });
    const client = new Client({ name: 'desktop-like', version: '1' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('machine_get');
    } finally {
      await client.close();
    }
  }, 20_000);

  it('shows the MCP Inspector command for Node 22 and the one that works on Node 20, both at the MCP URL', () => {
    const mcpUrl = fromBanner(/MCP \(Streamable HTTP\):\s+(\S+)/);
    expect(banner).toContain(
      `npx -y @modelcontextprotocol/inspector@2.12.0  →  transport Streamable HTTP, URL ${mcpUrl}`,
    );
    expect(banner).toContain(
      `npx -y @modelcontextprotocol/inspector@0.15.0 --cli ${mcpUrl} --transport http --method tools/list`,
    );
  });
});
