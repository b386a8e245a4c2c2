/**
 * The simulator stands alone: every module under src/sim imports only other modules under src/sim, Hono, and the
 * platform's Web APIs (no `node:` modules, nothing from the rest of maas-mcp). So its MAAS rules cannot borrow the
 * tools' pre-checks, and it can be published on its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SIM = resolve(import.meta.dirname, '../../src/sim');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g))
    out.push(m[1] ?? '');
  for (const m of source.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1] ?? '');
  for (const m of source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) out.push(m[1] ?? '');
  return out;
}

function outsideImports(file: string, source = readFileSync(file, 'utf8')): string[] {
  return specifiers(source).filter((spec) => {
    if (spec === 'hono' || spec.startsWith('hono/')) return false;
    if (!spec.startsWith('.')) return true;
    return relative(SIM, resolve(dirname(file), spec)).startsWith('..');
  });
}

describe('the simulator stands alone', () => {
  it('imports nothing from outside src/sim except Hono', () => {
    const files = sources(SIM);
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.flatMap((f) => outsideImports(f).map((spec) => `${relative(SIM, f)}: ${spec}`));
    expect(offenders).toEqual([]);
  });

  it('catches an import that leaves src/sim, a node: module and a package other than Hono', () => {
    const probe = (src: string) => outsideImports(join(SIM, 'example.ts'), src);
    expect(probe(`import { NodeStatus } from '../maas/status.ts';`)).toEqual(['../maas/status.ts']);
    expect(probe(`import type { Clock } from "../core/clock.ts";`)).toEqual(['../core/clock.ts']);
    expect(probe(`const m = await import('node:crypto');`)).toEqual(['node:crypto']);
    expect(probe(`export { z } from 'zod';`)).toEqual(['zod']);
    expect(probe(`import { Hono } from 'hono';\nimport { x } from './x.ts';`)).toEqual([]);
  });
});
