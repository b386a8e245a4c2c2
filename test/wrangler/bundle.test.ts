/**
 * The deployable Worker, built exactly as `wrangler deploy` builds it (`--dry-run`, no login, no network):
 * nothing Node-only may be in it (README "Cloudflare Workers"), and it must fit the size budget.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, WRANGLER, wranglerEnv } from './wrangler.ts';

/** 350 KiB gzipped: the budget the issue sets for the Worker bundle. */
const BUDGET_GZIP = 350 * 1024;

/** Modules that cannot run on Workers, or must stay on the Node side, whatever imports them. */
const FORBIDDEN_PACKAGES = ['@slack/bolt', 'undici', 'better-sqlite3', '@hono/node-server', 'ajv'];

const out = mkdtempSync(join(tmpdir(), 'maas-mcp-bundle-'));
let code = '';
let inputs: string[] = [];
/** Bytes each input contributes to the bundle. */
let bytesIn: Record<string, number> = {};

beforeAll(async () => {
  await promisify(execFile)(
    process.execPath,
    [WRANGLER, 'deploy', '--dry-run', '--outdir', out, '--metafile', join(out, 'meta.json')],
    { cwd: ROOT, env: wranglerEnv(), timeout: 60_000 },
  );
  code = readdirSync(out)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(out, f), 'utf8'))
    .join('\n');
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as {
    inputs: Record<string, unknown>;
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  inputs = Object.keys(meta.inputs);
  bytesIn = {};
  for (const o of Object.values(meta.outputs)) {
    for (const [f, v] of Object.entries(o.inputs)) bytesIn[f] = (bytesIn[f] ?? 0) + v.bytesInOutput;
  }
}, 90_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the Worker bundle', () => {
  it('imports no node:* module', () => {
    const specifiers = code.match(/["'`]node:[\w/]+["'`]/g) ?? [];
    expect(specifiers).toEqual([]);
  });

  it('holds no Node-only package, in its sources or its import specifiers', () => {
    for (const pkg of FORBIDDEN_PACKAGES) {
      expect(inputs.filter((f) => f.includes(`node_modules/${pkg}/`))).toEqual([]);
      const quoted = new RegExp(`["'\`]${pkg.replace('/', '\\/')}(/[^"'\`]*)?["'\`]`, 'g');
      expect(code.match(quoted) ?? []).toEqual([]);
    }
    // Nor the Node entry point and its helpers (src/node.ts, src/node/*).
    expect(inputs.filter((f) => /(^|\/)src\/node(\.ts|\/)/.test(f))).toEqual([]);
  });

  it('is built from the Worker entry with its Durable Object and the MCP SDK for workerd (the @cfworker validator)', () => {
    expect(inputs).toEqual(
      expect.arrayContaining(['src/worker.ts', 'src/worker/object.ts', 'src/store/durable.ts']),
    );
    expect(
      inputs.some((f) => /node_modules\/@modelcontextprotocol\/server\/dist\/shimsWorkerd/.test(f)),
    ).toBe(true);
    expect(
      inputs.some((f) => /node_modules\/@modelcontextprotocol\/server\/dist\/cfWorkerProvider/.test(f)),
    ).toBe(true);
    expect(code).toContain('MaasMcpObject');
  });

  it('carries zod without its translations (code imports zod/v4 as a namespace, which esbuild can shake)', () => {
    const locales = Object.entries(bytesIn).filter(
      ([f, n]) => f.includes('node_modules/zod/v4/locales/') && n > 0,
    );
    expect(locales.map(([f]) => f)).toEqual(['node_modules/zod/v4/locales/en.js']);
  });

  it(`fits in ${BUDGET_GZIP / 1024} KiB gzipped`, () => {
    const raw = Buffer.byteLength(code);
    const gzip = gzipSync(code, { level: 9 }).length;
    console.log(`Worker bundle: ${(raw / 1024).toFixed(1)} KiB raw, ${(gzip / 1024).toFixed(1)} KiB gzipped`);
    expect(gzip).toBeLessThanOrEqual(BUDGET_GZIP);
  });
});
