/**
 * The Claude Desktop bundle as Claude Desktop meets it: built once (`npm run bundle`'s code), checked with the
 * official tool's `validate`, unpacked with its `unpack` into a temp folder, and started exactly as its manifest
 * says, with the settings form's values substituted by the official `getMcpConfigForManifest` (the code MCPB hosts
 * use for `${__dirname}` and `${user_config.…}`): against the built-in simulator, and against a MAAS simulator
 * listening on 127.0.0.1 of its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { getMcpConfigForManifest, type McpbManifestAny, unpackExtension } from '@anthropic-ai/mcpb';
import { type ServerType, serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Built, buildBundle, LEFT_OUT } from '../../bundle/build.ts';
import { DB_FILE } from '../../bundle/env.ts';
import { TOOLSETS } from '../../src/config.ts';
import { createSimulator, type Simulator } from '../../src/sim/index.ts';
import { ALL_TOOLS, enabledTools } from '../../src/tools/index.ts';
import { call, readyHosts } from '../helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'maas-mcp-bundle-test-'));
/** Where the host unpacks the bundle, and the user's home the server runs with. */
const installed = join(work, 'installed');
const home = join(work, 'home');
let built: Built;
let manifest: McpbManifestAny;

beforeAll(async () => {
  built = await buildBundle({ out: join(work, 'maas-mcp.mcpb'), silent: true });
  expect(await unpackExtension({ mcpbPath: built.file, outputDir: installed, silent: true })).toBe(true);
  manifest = JSON.parse(readFileSync(join(installed, 'manifest.json'), 'utf8')) as McpbManifestAny;
  mkdirSync(home, { recursive: true });
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

type UserConfig = Record<string, string | number | boolean>;

/** The command, arguments and environment the host runs for these settings, as the MCPB format defines them. */
async function launch(userConfig: UserConfig) {
  const config = await getMcpConfigForManifest({
    manifest,
    extensionPath: installed,
    systemDirs: {
      HOME: home,
      DESKTOP: join(home, 'Desktop'),
      DOCUMENTS: join(home, 'Documents'),
      DOWNLOADS: join(home, 'Downloads'),
    },
    userConfig,
    pathSeparator: sep,
  });
  if (!config) throw new Error('the host would not start the server with these settings');
  // A host is no shell: the manifest's environment over a bare one, and a working directory of its own.
  const env = { PATH: process.env.PATH ?? '', HOME: home, ...config.env };
  return { command: config.command, args: config.args ?? [], env, cwd: home };
}

/** Starts the bundle's server for these settings and connects the official MCP client to it. */
async function connect(userConfig: UserConfig) {
  const run = await launch(userConfig);
  const transport = new StdioClientTransport({ ...run, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // Anything on stdout that is not protocol surfaces here (see test/mcp/stdio.test.ts).
  const errors: Error[] = [];
  transport.onerror = (e) => void errors.push(e);
  const client = new Client({ name: 'bundle-test', version: '1' });
  try {
    await client.connect(transport);
  } catch (err) {
    throw new Error(`the bundle did not start: ${(err as Error).message}; stderr: ${stderr}`);
  }
  return { client, errors, stderr: () => stderr };
}

/** Runs the bundle's server for these settings to its end (for settings it refuses at start). */
async function runToExit(userConfig: UserConfig) {
  const run = await launch(userConfig);
  const res = spawnSync(run.command, run.args, {
    env: run.env,
    cwd: run.cwd,
    input: '',
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: res.status, stderr: res.stderr, stdout: res.stdout };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => p.split(sep).join('/'))
    .sort();
}

describe('maas-mcp.mcpb', () => {
  it("passes the MCPB tool's own validate", () => {
    // The package's `bin`, beside its main module (its exports do not include package.json).
    const cli = join(dirname(createRequire(import.meta.url).resolve('@anthropic-ai/mcpb')), 'cli/cli.js');
    const res = spawnSync(process.execPath, [cli, 'validate', installed], { encoding: 'utf8' });
    expect(res.stdout).toContain('Manifest schema validation passes!');
    expect(res.status).toBe(0);
  });

  it('holds the server in one file, SQLite in WebAssembly, the manifest and the icon: nothing native', () => {
    expect(filesUnder(installed)).toEqual([
      'icon.png',
      'manifest.json',
      'node_modules/node-sqlite3-wasm/LICENSE',
      'node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.js',
      'node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.wasm',
      'node_modules/node-sqlite3-wasm/package.json',
      'package.json',
      'server/index.js',
    ]);
    expect(readFileSync(join(installed, 'icon.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(built.inputs).toContain('src/node.ts');
    expect(built.inputs).toContain('bundle/better-sqlite3-wasm.ts');
    expect(built.inputs.filter((p) => LEFT_OUT.some((re) => re.test(p)))).toEqual([]);
  });

  it('lists every tool of the registry, and claims Node 20+ on every platform', () => {
    expect(manifest.tools?.map((t) => t.name)).toEqual(ALL_TOOLS.map((t) => t.name));
    expect(manifest.compatibility).toEqual({
      platforms: ['darwin', 'win32', 'linux'],
      runtimes: { node: '>=20.0.0' },
    });
    expect(manifest.server.mcp_config.args).toEqual([`\${__dirname}/server/index.js`, 'stdio']);
  });

  it('asks for the MAAS URL, the key (kept in the keychain), a CA file, read-only, toolsets and the demo', () => {
    const form = manifest.user_config ?? {};
    expect(Object.keys(form)).toEqual([
      'maas_url',
      'maas_api_key',
      'maas_ca_file',
      'read_only',
      'toolsets',
      'demo',
    ]);
    expect(form.maas_api_key?.sensitive).toBe(true);
    expect(
      Object.entries(form)
        .filter(([, o]) => o.sensitive)
        .map(([k]) => k),
    ).toEqual(['maas_api_key']);
    expect(form.maas_ca_file?.type).toBe('file');
    expect(form.toolsets?.description).toContain(TOOLSETS.join(', '));
    // The key travels in the environment only: a command line is visible to every local user.
    expect(JSON.stringify(manifest.server.mcp_config.args)).not.toContain('user_config');
  });

  it('with "Try it without MAAS" on, serves the simulated fleet over stdio', async () => {
    const { client, errors } = await connect({ demo: true });
    try {
      expect(client.getServerVersion()?.name).toBe('maas-mcp');
      const res = await call<{ total: number; rows: unknown[] }>(client, 'machines_list', {});
      expect(res.isError).toBe(false);
      expect(res.data.total).toBe(24);
      expect(res.text).toContain('web-01');
    } finally {
      await client.close();
    }
    expect(errors).toEqual([]);
    // The demo keeps its state in memory: nothing simulated lands in a database file.
    expect(filesUnder(home).filter((p) => p.endsWith('.db'))).toEqual([]);
  });

  it('offers only what read-only and the toolsets allow', async () => {
    const { client } = await connect({ demo: true, read_only: true, toolsets: 'machines,power' });
    try {
      const { tools } = await client.listTools();
      const expected = enabledTools({
        toolsets: new Set(['machines', 'power']),
        readOnly: true,
        role: 'admin',
      });
      expect(tools.map((t) => t.name).sort()).toEqual(expected.map((t) => t.name).sort());
      expect(tools.every((t) => t.annotations?.readOnlyHint)).toBe(true);
    } finally {
      await client.close();
    }
  });

  describe('against a MAAS of its own on 127.0.0.1', () => {
    let sim: Simulator;
    let server: ServerType;
    let maasUrl: string;

    beforeAll(async () => {
      sim = createSimulator({ machines: 5, timeScale: 0.05 });
      server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: sim.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
      });
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('the simulator is not listening');
      maasUrl = `http://127.0.0.1:${address.port}/MAAS`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      sim.close();
    });

    it('lists its machines, with the key from the form, and keeps its store in a SQLite file of its own', async () => {
      const apiKey = sim.users.admin.apiKey;
      const { client, errors, stderr } = await connect({ maas_url: maasUrl, maas_api_key: apiKey });
      try {
        const res = await call<{ total: number }>(client, 'machines_list', {});
        expect(res.isError).toBe(false);
        expect(res.data.total).toBe(5);
        // A destructive call is held for confirmation: the confirmation is written to the store.
        const held = await call<{ status: string }>(client, 'machine_deploy', {
          machines: readyHosts(sim, 1),
        });
        expect(held.data.status).toBe('confirmation_required');
      } finally {
        await client.close();
      }
      expect(errors).toEqual([]);
      for (const part of apiKey.split(':')) expect(stderr()).not.toContain(part);

      const dataDir = join(home, '.local', 'share', 'maas-mcp');
      expect(readdirSync(dataDir)).toEqual([DB_FILE]);
      const db = new Database(join(dataDir, DB_FILE), { readonly: true });
      try {
        expect(db.prepare('SELECT count(*) AS n FROM confirmations').get()).toEqual({ n: 1 });
      } finally {
        db.close();
      }
    });

    it('stops at start, naming the setting, when the CA file cannot be read', async () => {
      const missing = join(work, 'no-such-ca.pem');
      const res = await runToExit({
        maas_url: maasUrl,
        maas_api_key: sim.users.admin.apiKey,
        maas_ca_file: missing,
      });
      expect(res.status).toBe(2);
      expect(res.stderr.trim()).toBe(`maas-mcp: MAAS_CA_FILE: cannot read ${missing} (ENOENT)`);
    });
  });

  it('with neither a MAAS nor the demo, says which settings to fill in', async () => {
    const res = await runToExit({});
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(
      'maas-mcp: no MAAS is set: fill in "MAAS URL" and "MAAS API key" in this extension\'s settings, or turn on "Try it without MAAS"\n',
    );
  });
});
