/**
 * (b) Output economy: bytes of a machines_list answer per machine versus the raw MAAS JSON of the same
 * machines, at 1,000 machines (target ≤ 150 bytes a row).
 */
import { systemClock } from '../src/base/clock.ts';
import { createSimulator } from '../src/sim/index.ts';
import { connectClient, makeDeps, testConfig } from '../test/helpers.ts';

export interface EconomyRow {
  machines: number;
  maas_bytes_per_machine: number;
  tool_bytes_per_row: number;
  text_bytes_per_row: number;
  structured_bytes_per_row: number;
  ratio: number;
}

export async function economy(machines = 1000): Promise<EconomyRow> {
  const sim = createSimulator({ clock: systemClock, timeScale: 1000, machines });
  const deps = makeDeps(
    { baseUrl: sim.baseUrl, fetch: sim.fetch, apiKey: sim.users.admin.apiKey },
    { config: testConfig() },
  );
  const { client, close } = await connectClient(deps);
  try {
    const raw = await (await deps.maas.http.send({ method: 'GET', path: 'machines/' })).arrayBuffer();
    let total = 0;
    let text = 0;
    let structured = 0;
    let rows = 0;
    for (let offset = 0; offset < machines; offset += 500) {
      const res = await client.callTool({ name: 'machines_list', arguments: { limit: 500, offset } });
      total += Buffer.byteLength(JSON.stringify(res));
      text += Buffer.byteLength(JSON.stringify(res.content));
      structured += Buffer.byteLength(JSON.stringify(res.structuredContent));
      rows += (res.structuredContent as { returned: number }).returned;
    }
    return {
      machines,
      maas_bytes_per_machine: raw.byteLength / machines,
      tool_bytes_per_row: total / rows,
      text_bytes_per_row: text / rows,
      structured_bytes_per_row: structured / rows,
      ratio: total / rows / (raw.byteLength / machines),
    };
  } finally {
    await close();
    sim.close();
  }
}
