/**
 * The layers only point down (README "Development"), checked with dependency-cruiser over src/, bundle/, bin/ and,
 * for the simulator's boundary, test/, bench/ and scripts/: no cycle, no upward import, the MCP SDK only in the MCP
 * adapter, Node-only modules only under src/node*, Workers-only ones only under src/worker*, the simulator an island
 * that everyone outside it reaches only through its entry. The rules themselves are proved on a small tree that
 * breaks each of them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayers, describeViolation, LAYERS } from '../scripts/layers.ts';

describe('the layers of the code', () => {
  it('only point down, with no cycle, and keep the SDK, Node and Workers where they belong', async () => {
    const violations = await checkLayers();
    const errors = violations.filter((v) => v.rule.severity === 'error').map(describeViolation);
    expect(errors).toEqual([]);
  });

  it('cover every folder of src/ but the simulator', async () => {
    const { readdirSync } = await import('node:fs');
    const entries = readdirSync(new URL('../src', import.meta.url), { withFileTypes: true })
      .map((e) => `src/${e.name}${e.isDirectory() ? '/' : ''}`)
      .filter((p) => p !== 'src/sim/');
    const patterns = LAYERS.flatMap((l) => l.paths).map((p) => new RegExp(p));
    const uncovered = entries.filter(
      (p) => !patterns.some((re) => re.test(p.endsWith('/') ? `${p}x.ts` : p)),
    );
    expect(uncovered).toEqual([]);
  });
});

/** A tree that breaks every rule once: file → content. */
const BROKEN: Record<string, string> = {
  'src/base/ground.ts': `import { b } from '../core/b.ts';\nexport const ground = b;\n`,
  'src/core/b.ts': `import { c } from './c.ts';\nexport const b = c;\n`,
  'src/core/c.ts': `import type { b } from './b.ts';\nexport const c = 1;\nexport type B = typeof b;\n`,
  'src/core/reads-disk.ts': `import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n`,
  'src/tools/t.ts': `import { z } from '../mcp/server.ts';\nexport const t = z;\n`,
  'src/tools/runs-sim.ts': `import { sim } from '../sim/index.ts';\nexport const s = sim;\n`,
  'src/mcp/server.ts': `import { q } from '../slack.ts';\nexport const z = q;\n`,
  'src/slack.ts': `export const q = 1;\n`,
  'src/server.ts': `import { DurableObject } from 'cloudflare:workers';\nexport const d = DurableObject;\n`,
  'src/maas/m.ts': `import { s } from '../store/s.ts';\nexport const m = s;\n`,
  'src/store/s.ts': `export const s = 1;\n`,
  'src/core/signs-in.ts': `import { OAuthAuthorizationServer } from '@cloudflare/workers-oauth-provider';\nexport const o = OAuthAuthorizationServer;\n`,
  'src/sim/index.ts': `import { m } from '../maas/m.ts';\nexport const sim = m;\n`,
  'src/sim/model.ts': `export const state = 1;\n`,
  'src/wiring.ts': `import { main } from './node.ts';\nexport const w = main;\n`,
  'src/node.ts': `import { sim } from './sim/index.ts';\nexport const main = sim;\n`,
};

/** Modules that import the simulator, `[importer, imported]`: past its entry from outside, through it, from inside. */
const REACHING_THE_SIMULATOR: [string, string][] = [
  ['src/worker.ts', 'src/sim/model.ts'],
  ['test/tools/pokes-sim.test.ts', 'src/sim/model.ts'],
  ['test/tools/uses-sim.test.ts', 'src/sim/index.ts'],
  ['test/sim/model.test.ts', 'src/sim/model.ts'],
];
for (const [from, to] of REACHING_THE_SIMULATOR) {
  const path = posix.relative(posix.dirname(from), to);
  BROKEN[from] =
    `import * as sim from '${path.startsWith('.') ? path : `./${path}`}';\nexport const t = sim;\n`;
}

describe('the layer rules', () => {
  it('catch a cycle, upward imports, Node and Workers modules out of place, and a simulator used, leaking or reached past its entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-layers-'));
    try {
      for (const [file, text] of Object.entries(BROKEN)) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      }
      const found = (await checkLayers(dir, ['src', 'test'])).map(
        (v) => `${v.rule.name} ${v.from} → ${v.to}`,
      );
      expect(found).toEqual(
        expect.arrayContaining([
          'no-cycles src/core/b.ts → src/core/c.ts',
          'ground-floor-import-only-down src/base/ground.ts → src/core/b.ts',
          'ground-floor-imports-nothing-of-ours src/base/ground.ts → src/core/b.ts',
          'tools-import-only-down src/tools/t.ts → src/mcp/server.ts',
          'wiring-import-only-down src/wiring.ts → src/node.ts',
          'node-builtins-under-src-node src/core/reads-disk.ts → fs',
          'workers-only-under-src-worker src/server.ts → cloudflare:workers',
          'mcp-and-slack-apart src/mcp/server.ts → src/slack.ts',
          'maas-and-store-apart src/maas/m.ts → src/store/s.ts',
          'oauth-provider-only-in-auth src/core/signs-in.ts → @cloudflare/workers-oauth-provider',
          'only-entries-and-wiring-import-the-simulator src/tools/runs-sim.ts → src/sim/index.ts',
          'simulator-imports-nothing-of-ours src/sim/index.ts → src/maas/m.ts',
          'the-simulator-only-through-its-entry src/worker.ts → src/sim/model.ts',
          'the-simulator-only-through-its-entry test/tools/pokes-sim.test.ts → src/sim/model.ts',
        ]),
      );
      // Through its entry, or from the simulator's own tests, the simulator is open.
      expect(found.filter((f) => f.includes('uses-sim') || f.includes('test/sim/'))).toEqual([]);
      // What the rules allow stays allowed: an entry point may run the simulator.
      expect(found.filter((f) => f.startsWith('only-entries') && f.includes('src/node.ts'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
