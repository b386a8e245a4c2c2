/**
 * Builds the Claude Desktop bundle (`npm run bundle` → maas-mcp.mcpb) with the official MCPB tool:
 *
 *   manifest.json                      bundle/manifest.ts
 *   icon.png                           bundle/icon.png
 *   server/index.js                    the CLI and everything it imports, one ESM file (esbuild)
 *   node_modules/node-sqlite3-wasm/    SQLite in WebAssembly, for the store (bundle/better-sqlite3-wasm.ts)
 *   package.json                       says the above is an ES module and what it depends on
 *
 * No native module goes in, so the bundle runs on any platform with the host's Node ≥ 20. Slack Socket Mode (Bolt)
 * is left out: it serves `maas-mcp serve`, which the bundle never runs.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packExtension } from '@anthropic-ai/mcpb';
import { build, type Plugin } from 'esbuild';
import { bundleManifest, SERVER_ENTRY } from './manifest.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Source that must never reach the bundle: a test fails (and the build stops) when one does. */
export const LEFT_OUT: readonly RegExp[] = [
  /(^|\/)node_modules\/@slack\/bolt\//,
  /(^|\/)node_modules\/better-sqlite3\//,
  /^src\/worker(\.ts|\/)/,
  /^bench\//,
  /^test\//,
];

export interface Built {
  /** The .mcpb file. */
  file: string;
  bytes: number;
  /** server/index.js. */
  serverBytes: number;
  /** The source files esbuild put into server/index.js, relative to the repository. */
  inputs: string[];
}

/** Resolves the store's `better-sqlite3` to the WebAssembly one and leaves Slack Socket Mode out. */
const bundleSwaps: Plugin = {
  name: 'maas-mcp-bundle',
  setup(b) {
    b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: join(HERE, 'better-sqlite3-wasm.ts') }));
    b.onResolve({ filter: /\/node\/slack-socket\.ts$/ }, () => ({
      path: 'slack-socket',
      namespace: 'left-out',
    }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, () => ({
      loader: 'js',
      contents:
        "export function createSlackApp() { throw new Error('Slack Socket Mode is not in the Claude Desktop bundle: run maas-mcp serve from a checkout'); }",
    }));
  },
};

/** Builds the bundle at `out` (default maas-mcp.mcpb in the repository); `silent` keeps the packer quiet. */
export async function buildBundle(opts: { out?: string; silent?: boolean } = {}): Promise<Built> {
  const out = resolve(opts.out ?? join(ROOT, 'maas-mcp.mcpb'));
  const stage = mkdtempSync(join(tmpdir(), 'maas-mcp-bundle-'));
  try {
    const result = await build({
      entryPoints: [join(HERE, 'server.ts')],
      outfile: join(stage, SERVER_ENTRY),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['node-sqlite3-wasm'],
      plugins: [bundleSwaps],
      // The OAuth library's one workerd import, resolved to the stand-in bin/maas-mcp.js uses on Node.
      alias: { 'cloudflare:workers': join(ROOT, 'bin', 'cloudflare-workers.mjs') },
      // CommonJS dependencies call require() for Node's own modules; an ES module has none of its own.
      banner: {
        js: "import { createRequire as __maasMcpCreateRequire } from 'node:module'; const require = __maasMcpCreateRequire(import.meta.url);",
      },
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'eof',
      metafile: true,
      logLevel: 'warning',
    });
    const inputs = Object.keys(result.metafile.inputs).map((p) =>
      relative(ROOT, resolve(ROOT, p)).split(sep).join('/'),
    );
    const leaked = inputs.filter((p) => LEFT_OUT.some((re) => re.test(p)));
    if (leaked.length) throw new Error(`the bundle must not contain ${leaked.join(', ')}`);

    const wasm = copyPackage(stage, 'node-sqlite3-wasm');
    writeFileSync(
      join(stage, 'package.json'),
      `${JSON.stringify(
        {
          name: 'maas-mcp',
          version: bundleManifest().version,
          private: true,
          type: 'module',
          license: 'Apache-2.0',
          dependencies: { 'node-sqlite3-wasm': wasm.version },
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(bundleManifest(), null, 2)}\n`);
    copyFileSync(join(HERE, 'icon.png'), join(stage, 'icon.png'));

    if (!(await packExtension({ extensionPath: stage, outputPath: out, silent: opts.silent ?? false }))) {
      throw new Error('mcpb could not pack the bundle (its messages above say why)');
    }
    return {
      file: out,
      bytes: statSync(out).size,
      serverBytes: statSync(join(stage, SERVER_ENTRY)).size,
      inputs,
    };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Copies the files an installed package publishes (its package.json `files`, plus package.json and LICENSE). */
function copyPackage(stage: string, name: string): { version: string } {
  const require = createRequire(import.meta.url);
  const from = dirname(require.resolve(`${name}/package.json`));
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as {
    version: string;
    files: string[];
  };
  const to = join(stage, 'node_modules', name);
  for (const file of ['package.json', 'LICENSE', ...pkg.files.filter((f) => !f.endsWith('.d.ts'))]) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(from, file), join(to, file));
  }
  return pkg;
}
