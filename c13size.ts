import { toolList } from './src/mcp/tool-list.ts';
import { ALL_TOOLS } from './src/tools/index.ts';
const list = toolList(ALL_TOOLS);
let total = 0;
for (const t of list) { const n = JSON.stringify(t).length; total += n; if (t.name.startsWith('cluster')) console.log(t.name, n, 'in', JSON.stringify(t.inputSchema).length, 'out', JSON.stringify(t.outputSchema).length, 'desc', t.description.length); }
console.log('total', total);
