import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import {
  MaasAuthError,
  MaasBadRequestError,
  MaasConflictError,
  MaasEndpointError,
  MaasForbiddenError,
  MaasNetworkError,
  MaasNotFoundError,
  MaasUnavailableError,
} from '../../src/maas/errors.ts';
import { MaasHttp } from '../../src/maas/http.ts';
import { createSimulator, type Simulator } from '../../src/sim/index.ts';
import { maasConflict, maasUnavailable } from '../helpers.ts';

let sim: Simulator;
afterEach(() => sim?.close());

function client(opts: { key?: string; retries?: number } = {}) {
  const clock = new ManualClock(Date.now());
  sim = createSimulator({ clock, timeScale: 1000 });
  const c = new MaasHttp({
    url: sim.baseUrl,
    apiKey: opts.key ?? sim.users.admin.apiKey,
    fetch: sim.fetch,
    clock,
    retries: opts.retries ?? 0,
    random: () => 0.5,
  });
  return { c, clock };
}

/** Runs a request while moving the clock, so retry backoffs elapse. */
async function settle<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  const g = p.finally(() => {
    done = true;
  });
  g.catch(() => undefined);
  for (let i = 0; i < 100 && !done; i++) await clock.advance(1000);
  return g;
}

describe('the MAAS client against the simulator', () => {
  it('is accepted by its OAuth checks, request after request (fresh nonces)', async () => {
    const { c } = client();
    for (let i = 0; i < 3; i++)
      expect(Array.isArray(await c.call({ method: 'GET', path: 'machines/' }))).toBe(true);
    const auth = sim.requests.entries.map((e) => e.authorization ?? '');
    expect(new Set(auth).size).toBe(3);
    expect(auth[0]).toMatch(
      /^OAuth realm="OAuth", oauth_consumer_key="[^"]+", oauth_nonce="[0-9a-f]{32}", oauth_signature="%26/,
    );
  });

  it('turns a wrong token secret into MaasAuthError with MAAS’s own text', async () => {
    const probe = createSimulator();
    const [ck, tk] = probe.users.admin.apiKey.split(':');
    probe.close();
    const { c } = client({ key: `${ck}:${tk}:wrongsecretwrongsecretwrongsecr` });
    const err = await c.call({ method: 'GET', path: 'machines/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasAuthError);
    expect((err as MaasAuthError).body).toMatch(/^Authorization Error: '/);
  });

  it('maps each MAAS refusal to its error class', async () => {
    const { c } = client();
    const ops = await c.call({ method: 'GET', path: 'machines/', query: { hostname: 'web-03' } });
    const locked = (ops as { system_id: string }[])[0]?.system_id as string;
    const cases: [Promise<unknown>, unknown][] = [
      [c.call({ method: 'GET', path: 'machines/', query: { bogus: 'x' } }), MaasBadRequestError],
      [c.call({ method: 'GET', path: 'machines/zzzzzz/' }), MaasNotFoundError],
      [c.call({ method: 'POST', path: `machines/${locked}/`, op: 'deploy' }), MaasForbiddenError],
      [
        c.call({ method: 'POST', path: 'machines/', op: 'allocate', form: { name: 'nope-x' } }),
        MaasConflictError,
      ],
    ];
    for (const [p, cls] of cases) expect(await p.catch((e: unknown) => e)).toBeInstanceOf(cls);
  });

  it('calls a wrong URL our bug, not the user’s', async () => {
    const { c } = client();
    const err = await c.call({ method: 'GET', path: 'no-such-thing/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasEndpointError);
    expect((err as Error).message).toContain('this is a bug in maas-mcp');
  });

  it('retries a GET through 503s with Retry-After', async () => {
    const { c, clock } = client({ retries: 3 });
    maasUnavailable(sim, 2, 1);
    const out = await settle(clock, c.call({ method: 'GET', path: 'machines/' }));
    expect(Array.isArray(out)).toBe(true);
    expect(sim.requests.entries.map((e) => e.status)).toEqual([503, 503, 200]);
  });

  it('re-sends a POST that MAAS answered 409 with Retry-After (it did not happen), and it then happens once', async () => {
    const { c, clock } = client({ retries: 3 });
    maasConflict(sim, 1, 1);
    const m = await settle(
      clock,
      c.call({ method: 'POST', path: 'machines/', op: 'allocate', form: { name: 'web-01' } }),
    );
    expect((m as { status: number }).status).toBe(10);
    expect(sim.requests.entries.filter((e) => e.method === 'POST').map((e) => e.status)).toEqual([409, 200]);
  });

  it('gives up with MaasUnavailableError when the 503s outlast the retries', async () => {
    const { c, clock } = client({ retries: 1 });
    maasUnavailable(sim, 5, 1);
    const err = await settle(clock, c.call({ method: 'GET', path: 'machines/' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasUnavailableError);
    expect((err as MaasUnavailableError).retryAfterSeconds).toBe(1);
  });

  it('reports an unreachable MAAS as MaasNetworkError', async () => {
    const { c } = client();
    sim.control.setNetwork({ down: true });
    expect(await c.call({ method: 'GET', path: 'machines/' }).catch((e: unknown) => e)).toBeInstanceOf(
      MaasNetworkError,
    );
  });

  it('times out on the injected clock when MAAS is slower than the deadline', async () => {
    const clock = new ManualClock(Date.now());
    sim = createSimulator({ clock, timeScale: 1000 });
    const c = new MaasHttp({
      url: sim.baseUrl,
      apiKey: sim.users.admin.apiKey,
      fetch: sim.fetch,
      clock,
      retries: 0,
      timeoutMs: 5_000,
    });
    sim.control.setNetwork({ latencyMs: 60_000 });
    const p = c.call({ method: 'GET', path: 'machines/' }).catch((e: unknown) => e);
    await clock.advance(5_001);
    expect(((await p) as Error).message).toBe('MAAS did not answer GET machines/ within 5 s');
  });
});
