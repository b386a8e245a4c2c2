/**
 * The repository stands alone: its documents, comments and settings cite only files that are in it (or public
 * addresses). A reference to a document a reader of the repository cannot open (a design or style note kept in a
 * directory beside it, say) fails here with the file and line that make it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Not the project's own files: dependencies, build and run output (.gitignore), tool state (dot directories). */
const SKIP_DIRS = new Set(['node_modules', 'dist', 'coverage', join('bench', 'results')]);
const TEXT = /\.(ts|js|mjs|json|md|toml|ya?ml|snap)$/;

function projectFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const rel = relative(ROOT, path);
    if (name.startsWith('.') || SKIP_DIRS.has(rel)) continue;
    if (statSync(path).isDirectory()) out.push(...projectFiles(path));
    else if (TEXT.test(name) && name !== 'package-lock.json') out.push(path);
  }
  return out;
}

const files = projectFiles();
const markdownNames = new Set(files.filter((f) => f.endsWith('.md')).map((f) => basename(f)));

interface Reference {
  where: string;
  text: string;
}

/** Every path-like token in `file` (addresses left out) that names a Markdown document or climbs out with `../`. */
function references(file: string): Reference[] {
  const out: Reference[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const withoutUrls = line.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, ' ');
      for (const m of withoutUrls.matchAll(/(?:\.{1,2}\/)*[\w@-][\w.@/-]*\.md\b|(?:\.\.\/)+[\w.@-]+/g)) {
        out.push({ where: `${relative(ROOT, file)}:${i + 1}`, text: m[0] });
      }
    });
  return out;
}

/**
 * Whether `ref`, seen in `file`, stays in this repository: a Markdown document must be one of its files (by path, or
 * by a bare name like "README.md"); a `../` path must not climb out of it.
 */
function resolves(file: string, ref: string): boolean {
  const fromFile = resolve(dirname(file), ref);
  if (!isInside(fromFile)) return false;
  if (!ref.endsWith('.md')) return true;
  if (exists(fromFile) || exists(resolve(ROOT, ref))) return true;
  return !ref.includes('/') && markdownNames.has(ref);
}

function isInside(path: string): boolean {
  const rel = relative(ROOT, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

describe('the repository', () => {
  it('is scanned whole: its documents, sources, tests and settings', () => {
    const rel = files.map((f) => relative(ROOT, f));
    expect(rel).toEqual(
      expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'wrangler.toml', 'src/node.ts']),
    );
  });

  it('cites only documents and paths that are in it', () => {
    const missing = files.flatMap((file) =>
      references(file)
        .filter((r) => !resolves(file, r.text))
        .map((r) => `${r.where}: ${r.text}`),
    );
    expect(missing).toEqual([]);
  });
});
