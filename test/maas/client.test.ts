/** MaasClient over a fetch double: the shared whoami answer, lists and writes. */
import { describe, expect, it } from 'vitest';
import { MaasClient } from '../../src/maas/client.ts';
import { MaasNetworkError, MaasProtocolError } from '../../src/maas/errors.ts';
import { MaasHttp } from '../../src/maas/http.ts';

const KEY = 'ck0123456789abcdef:tk0123456789abcdef:ts0123456789abcdef0123456789abcd';
const ME = { username: 'admin', is_superuser: true, email: 'admin@example.com' };

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });

/** A MaasClient whose every request waits for the test to answer it (`answer`), recorded in `seen`. */
function api() {
  const seen: { url: URL; method: string; body: string; signal: AbortSignal | undefined }[] = [];
  const pending: ((res: Response) => void)[] = [];
  const fetch = (input: Request | string | URL, init?: RequestInit) => {
    seen.push({
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      body: typeof init?.body === 'string' ? init.body : '',
      signal: init?.signal ?? undefined,
    });
    return new Promise<Response>((resolve) => pending.push(resolve));
  };
  const maas = new MaasClient(
    new MaasHttp({ url: 'http://maas.test:5240/MAAS', apiKey: KEY, fetch, retries: 0 }),
  );
  /** Answers the oldest request still waiting. */
  const answer = async (res: Response) => {
    for (let i = 0; i < 50 && pending.length === 0; i++) await new Promise((r) => setTimeout(r, 0));
    const next = pending.shift();
    if (!next) throw new Error('no request is waiting');
    next(res);
  };
  return { maas, seen, answer };
}

describe('MaasClient.me', () => {
  it('asks MAAS once for every caller', async () => {
    const { maas, seen, answer } = api();
    const first = maas.me();
    const second = maas.me();
    await answer(json(ME));
    expect(await first).toEqual(ME);
    expect(await second).toEqual(ME);
    expect(await maas.me()).toEqual(ME);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url.searchParams.get('op')).toBe('whoami');
  });

  it('lets a caller give up without failing the others, or the shared request', async () => {
    const { maas, seen, answer } = api();
    const quitter = new AbortController();
    const first = maas.me({ signal: quitter.signal });
    const second = maas.me({ signal: new AbortController().signal });
    quitter.abort();
    const err = await first.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasNetworkError);
    expect((err as MaasNetworkError).mayHaveReachedMaas).toBe(false);
    // The shared request never carried the first caller's signal.
    expect(seen[0]?.signal?.aborted).toBe(false);
    await answer(json(ME));
    expect(await second).toEqual(ME);
    expect(seen).toHaveLength(1);
  });

  it('refuses at once when the signal is already aborted', async () => {
    const { maas, answer } = api();
    const shared = maas.me();
    await expect(maas.me({ signal: AbortSignal.abort() })).rejects.toThrow(/cancelled/);
    await answer(json(ME));
    expect(await shared).toEqual(ME);
  });

  it('does not keep a failure: the next caller asks again', async () => {
    const { maas, seen, answer } = api();
    const first = maas.me();
    await answer(json({ unexpected: true }));
    await expect(first).rejects.toThrow(MaasProtocolError);
    const again = maas.me();
    await answer(json(ME));
    expect(await again).toEqual(ME);
    expect(seen).toHaveLength(2);
  });
});

describe('MaasClient lists and writes', () => {
  it('refuses a machine list that is not a JSON array', async () => {
    const { maas, answer } = api();
    const list = maas.listMachinesFull({ hostname: ['web-01'] });
    await answer(json({ not: 'a list' }));
    await expect(list).rejects.toThrow('MAAS sent a machine list that is not a JSON array');
  });

  it('sends a write with its op and form, and reads MAAS’s null as null', async () => {
    const { maas, seen, answer } = api();
    const off = maas.machineOp('abc123', 'power_off', { stop_mode: 'hard' });
    await answer(json(null));
    expect(await off).toBeNull();
    expect(seen[0]).toMatchObject({ method: 'POST', body: 'stop_mode=hard' });
    expect(seen[0]?.url.pathname).toBe('/MAAS/api/2.0/machines/abc123/');
    expect(seen[0]?.url.searchParams.get('op')).toBe('power_off');

    const update = maas.updateMachine('abc123', { hostname: 'web-09' });
    await answer(json({ not: 'a machine' }));
    await expect(update).rejects.toThrow(/MAAS sent a machine maas-mcp cannot read/);
    expect(seen[1]).toMatchObject({ method: 'PUT', body: 'hostname=web-09' });
    expect(seen[1]?.url.search).toBe('');
  });
});
