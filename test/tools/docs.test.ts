import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withToolTable } from '../../src/tools/docs.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';

describe('README.md', () => {
  it('carries the tool table generated from the registry (run `npm run docs` if this fails)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(withToolTable(readme, ALL_TOOLS));
  });

  it('names every tool in the table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const t of ALL_TOOLS) expect(readme).toContain(`| \`${t.name}\` |`);
  });
});
