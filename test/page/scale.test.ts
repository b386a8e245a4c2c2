/**
 * The status page with 10,000 simulated machines answers with counts and zone bars for all of them and one page of
 * the grid (bench/ measures how fast: `npm run bench page`). No timing is asserted here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/base/clock.ts';
import { createApp } from '../../src/server.ts';
import { simDeps } from '../helpers.ts';
import { pageRequest } from './helpers.ts';

const { sim, deps } = simDeps({ machines: 10_000, clock: systemClock, timeScale: 1000 });
const http = createApp(deps, { localPrincipal: { id: 'local:me', role: 'admin', via: 'mcp' } });
afterAll(async () => {
  await http.close();
  sim.close();
});

describe('the status page with 10,000 machines', () => {
  it('counts them all, draws every zone, and shows the grid a thousand at a time', async () => {
    const res = await pageRequest(http.app, '/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('10000 machines in all.');
    expect(html).toContain('Page 1 of 10 (1000 machines a page)');
    expect(html.match(/<li class="c t-/g)?.length).toBe(1000);
    // Smaller than the list it summarises by far: a phone can load it.
    expect(html.length).toBeLessThan(400_000);
    const last = await (await pageRequest(http.app, '/?page=10')).text();
    expect(last.match(/<li class="c t-/g)?.length).toBe(1000);
    expect(last).toContain('Page 10 of 10');
    // One read of MAAS served both pages.
    expect(sim.requests.count({ method: 'GET', pathPrefix: '/MAAS/api/2.0/machines/' })).toBe(1);
  });
});
