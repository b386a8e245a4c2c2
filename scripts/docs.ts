// Regenerates what README.md shows from the code: the tool table from the registry, and the map of the code from
// the layer table (`npm run docs`).
import { readFileSync, writeFileSync } from 'node:fs';
import { withBlock, withToolTable } from '../src/tools/docs.ts';
import { ALL_TOOLS } from '../src/tools/index.ts';
import { LAYOUT_END, LAYOUT_START, layoutTable } from './layers.ts';

/** README.md as the code says it should read. */
export function generatedReadme(readme: string): string {
  return withBlock(withToolTable(readme, ALL_TOOLS), LAYOUT_START, LAYOUT_END, layoutTable());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL('../README.md', import.meta.url);
  const before = readFileSync(path, 'utf8');
  const after = generatedReadme(before);
  if (after !== before) writeFileSync(path, after);
  console.log(
    after === before ? 'README.md is up to date' : 'README.md updated (tool table, map of the code)',
  );
}
