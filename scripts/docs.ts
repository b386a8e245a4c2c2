// Regenerates the tool table in README.md from the registry: `npm run docs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { withToolTable } from '../src/tools/docs.ts';
import { ALL_TOOLS } from '../src/tools/index.ts';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withToolTable(before, ALL_TOOLS);
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'README.md tool table is up to date' : 'README.md tool table updated');
