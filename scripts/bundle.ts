// Builds the Claude Desktop bundle: `npm run bundle` → maas-mcp.mcpb (README "Claude Desktop").
import { buildBundle } from '../bundle/build.ts';

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
const built = await buildBundle();
console.log(`\n${built.file}: ${mb(built.bytes)} (server/index.js ${mb(built.serverBytes)} unpacked)`);
