import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedReadme } from '../../scripts/docs.ts';
import { LAYOUT_START } from '../../scripts/layers.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';

describe('README.md', () => {
  it('carries the tool table and the map of the code generated from the registry and the layers (run `npm run docs` if this fails)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(generatedReadme(readme));
    expect(readme).toContain(LAYOUT_START);
  });

  it('names every tool in the table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const t of ALL_TOOLS) expect(readme).toContain(`| \`${t.name}\` |`);
  });
});
