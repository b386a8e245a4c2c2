/**
 * (h) The status page at 10,000 machines: a cold page (it reads MAAS) against the bare streamed read of the same
 * machines, a warm page (served from the shared read) against the same read, the page's size, and one tick of
 * its event stream.
 */
import { systemClock } from '../src/base/clock.ts';
import { createApp } from '../src/server.ts';
import { createSimulator } from '../src/sim/index.ts';
import { makeDeps, testConfig } from '../test/helpers.ts';

export interface PageBench {
  machines: number;
  transfer_ms: number;
  cold_ms: number;
  warm_ms: number;
  cold_ratio: number;
  warm_ratio: number;
  page_kb: number;
  event_tick_ms: number;
}

async function median(n: number, fn: () => Promise<unknown>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b)[Math.floor(n / 2)] as number;
}

export async function pageBench(machines = 10_000): Promise<PageBench> {
  const sim = createSimulator({ clock: systemClock, timeScale: 1000, machines });
  const deps = makeDeps(
    { baseUrl: sim.baseUrl, fetch: sim.fetch, apiKey: sim.users.admin.apiKey },
    { config: testConfig() },
  );
  const local = { id: 'local:bench', role: 'admin' as const, via: 'mcp' as const };
  const get = (app: ReturnType<typeof createApp>['app'], path: string) =>
    app.request(`http://127.0.0.1${path}`, { headers: { host: '127.0.0.1' } });
  try {
    const transfer_ms = await median(5, () => deps.maas.forEachMachine({}, () => undefined));
    // A new app each time: its fleet view is empty, so the page reads MAAS.
    const cold_ms = await median(5, async () => {
      const { app, close } = createApp(deps, { localPrincipal: local });
      await (await get(app, '/')).text();
      await close();
    });
    const warmApp = createApp(deps, { localPrincipal: local, statusPage: { maxAgeMs: 3_600_000 } });
    const page = await (await get(warmApp.app, '/')).text();
    const warm_ms = await median(9, async () => (await get(warmApp.app, '/')).text());
    // One tick of the event stream: every live section built and rendered, the changed cells found.
    const event_tick_ms = await median(5, async () => {
      const res = await get(warmApp.app, '/events');
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!text.includes(': idle') && !text.includes('event: cells')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
    });
    await warmApp.close();
    return {
      machines,
      transfer_ms,
      cold_ms,
      warm_ms,
      cold_ratio: cold_ms / transfer_ms,
      warm_ratio: warm_ms / transfer_ms,
      page_kb: Buffer.byteLength(page) / 1024,
      event_tick_ms,
    };
  } finally {
    sim.close();
  }
}
