/**
 * One measurement of (c), in a fresh process so its peak RSS is its own: `transfer` (sign, fetch, read every
 * byte, keep nothing), `tool` (machines_list through a real MCP client and server), or `naive` (what a client
 * that JSON.parses the whole answer pays). Prints one JSON line.
 */
import { systemClock } from '../src/base/clock.ts';
import { createNodeFetch } from '../src/node/fetch.ts';
import { connectClient, makeDeps, testConfig } from '../test/helpers.ts';

const [mode = 'transfer'] = process.argv.slice(2);
const url = process.env.MAAS_URL as string;
const apiKey = process.env.MAAS_API_KEY as string;
const nf = createNodeFetch();
const deps = makeDeps(
  { baseUrl: url, fetch: nf.fetch, apiKey },
  { clock: systemClock, config: testConfig() },
);
const { client, close } = await connectClient(deps);
globalThis.gc?.();
const baselineKb = process.memoryUsage().rss / 1024;
const t0 = performance.now();
let bytes = 0;
let rows = 0;
if (mode === 'transfer') {
  const res = await deps.maas.http.send({ method: 'GET', path: 'machines/' });
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
} else if (mode === 'tool') {
  const res = await client.callTool({ name: 'machines_list', arguments: { limit: 50 } });
  rows = (res.structuredContent as { total: number }).total;
} else if (mode === 'naive') {
  const all = (await deps.maas.http.call({ method: 'GET', path: 'machines/' })) as unknown[];
  rows = all.length;
}
const ms = performance.now() - t0;
const peakKb = process.resourceUsage().maxRSS;
await close();
await nf.close();
process.stdout.write(
  `${JSON.stringify({ mode, ms, bytes, rows, baseline_mb: baselineKb / 1024, peak_mb: peakKb / 1024 })}\n`,
);
