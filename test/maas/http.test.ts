import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import {
  MaasAuthError,
  MaasBadRequestError,
  MaasConflictError,
  MaasEndpointError,
  MaasForbiddenError,
  MaasGatewayTimeoutError,
  MaasNetworkError,
  MaasNotFoundError,
  MaasRequestTooLargeError,
  MaasServerError,
  MaasTimeoutError,
  MaasUnavailableError,
  MaasUrlError,
} from '../../src/maas/errors.ts';
import { apiRoot, MaasHttp, parseApiKey } from '../../src/maas/http.ts';

const KEY = 'ck0123456789abcdef:tk0123456789abcdef:ts0123456789abcdef0123456789abcd';

interface Seen {
  url: URL;
  method: string;
  headers: Headers;
  body: string;
}

/** A fetch double that records requests and answers from a script. */
function scripted(answers: Array<Response | Error | (() => Promise<Response>)>) {
  const seen: Seen[] = [];
  const fetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    seen.push({
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : '',
    });
    const next = answers.shift();
    if (!next) throw new Error('no more scripted answers');
    if (next instanceof Error) throw next;
    if (typeof next === 'function') return next();
    return next;
  };
  return { fetch, seen };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
const text = (body: string, status: number, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });

function client(
  answers: Parameters<typeof scripted>[0],
  opts: Partial<ConstructorParameters<typeof MaasHttp>[0]> = {},
) {
  const clock = new ManualClock();
  const s = scripted(answers);
  const c = new MaasHttp({
    url: 'http://maas.test:5240/MAAS',
    apiKey: KEY,
    fetch: s.fetch,
    clock,
    random: () => 0.5,
    ...opts,
  });
  return { c, clock, seen: s.seen };
}

/** The rejection of `p` (fails the test if it resolves), typed for the fields these tests read. */
function failure(p: Promise<unknown>) {
  return p.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e as Error & Partial<MaasBadRequestError> & Partial<MaasNetworkError>,
  );
}

/** Runs a request while moving the manual clock so backoff sleeps elapse. */
async function settle<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  const guarded = p.finally(() => {
    done = true;
  });
  // The caller awaits `guarded` only after the loop; mark it handled so a rejection is not reported early.
  guarded.catch(() => undefined);
  for (let i = 0; i < 200 && !done; i++) await clock.advance(1000);
  return guarded;
}

function oauthParams(header: string | null): Record<string, string> {
  expect(header).toMatch(/^OAuth /);
  const out: Record<string, string> = {};
  for (const part of (header as string).slice(6).split(', ')) {
    const m = /^([a-z_]+)="(.*)"$/.exec(part);
    if (m) out[m[1] as string] = decodeURIComponent(m[2] as string);
  }
  return out;
}

describe('MaasHttp', () => {
  it('signs every request with OAuth PLAINTEXT: empty consumer secret, "&" + token secret', async () => {
    const { c, seen, clock } = client([json([])]);
    await c.call({ method: 'GET', path: 'machines/' });
    const p = oauthParams(seen[0]?.headers.get('authorization') ?? null);
    expect(p.oauth_signature_method).toBe('PLAINTEXT');
    expect(p.oauth_consumer_key).toBe('ck0123456789abcdef');
    expect(p.oauth_token).toBe('tk0123456789abcdef');
    expect(p.oauth_signature).toBe('&ts0123456789abcdef0123456789abcd');
    expect(p.oauth_version).toBe('1.0');
    expect(Number(p.oauth_timestamp)).toBe(Math.floor(clock.now() / 1000));
    expect(p.oauth_nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(seen[0]?.headers.get('authorization')).toContain(
      'oauth_signature="%26ts0123456789abcdef0123456789abcd"',
    );
  });

  it('uses a fresh nonce on every attempt, retries included', async () => {
    const { c, seen, clock } = client([text('busy', 503, { 'retry-after': '1' }), json([])]);
    await settle(clock, c.call({ method: 'GET', path: 'machines/' }));
    const nonces = seen.map((s) => oauthParams(s.headers.get('authorization')).oauth_nonce);
    expect(nonces).toHaveLength(2);
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it('builds URLs with the API root, a trailing slash, op in the query string and repeated list keys', async () => {
    const { c, seen } = client([json([]), json({})]);
    await c.call({ method: 'GET', path: 'machines/', query: { id: ['a1', 'b2'], status: 'ready' } });
    await c.call({
      method: 'POST',
      path: 'machines/a1/',
      op: 'deploy',
      form: { distro_series: 'jammy', tags: ['x', 'y'], enable: true },
    });
    expect(seen[0]?.url.pathname).toBe('/MAAS/api/2.0/machines/');
    expect(seen[0]?.url.search).toBe('?id=a1&id=b2&status=ready');
    expect(seen[1]?.url.search).toBe('?op=deploy');
    expect(seen[1]?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(seen[1]?.body).toBe('distro_series=jammy&tags=x&tags=y&enable=true');
  });

  it('refuses a path without its trailing slash before sending anything', async () => {
    const { c, seen } = client([]);
    await expect(c.call({ method: 'GET', path: 'machines' })).rejects.toThrow(/end in "\/"/);
    expect(seen).toHaveLength(0);
  });

  it('normalises MAAS_URL forms to the API 2.0 root', () => {
    expect(apiRoot('http://maas:5240/MAAS')).toBe('http://maas:5240/MAAS/api/2.0/');
    expect(apiRoot('http://maas:5240/MAAS/')).toBe('http://maas:5240/MAAS/api/2.0/');
    expect(apiRoot('https://maas.example/MAAS/api/2.0/')).toBe('https://maas.example/MAAS/api/2.0/');
    expect(() => apiRoot('maas:5240')).toThrow(/MAAS_URL/);
  });

  it('rejects a malformed API key without echoing it', () => {
    expect(() => parseApiKey('only:two')).toThrow(/three parts/);
    let message: string | undefined;
    try {
      parseApiKey('s3cretpart:x');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/three parts/);
    expect(message).not.toContain('s3cretpart');
  });

  it.each([
    [text('', 400), MaasBadRequestError],
    [json({ distro_series: ["'x' is not a valid distro_series."] }, 400), MaasBadRequestError],
    [text("Authorization Error: 'Invalid access token: tk'", 401), MaasAuthError],
    [text('', 403), MaasForbiddenError],
    [text('No Machine matches the given query.', 404), MaasNotFoundError],
    [text('Unknown API endpoint: /MAAS/api/2.0/machines.', 404), MaasEndpointError],
    [text("Can't deploy a machine that is in the 'Deployed' state", 409), MaasConflictError],
    [text('Unable to connect to any rack controller', 503), MaasUnavailableError],
    [text('Timed out', 504), MaasGatewayTimeoutError],
    [text('boom', 500), MaasServerError],
  ])('maps a %s answer to its error class', async (res, cls) => {
    const { c } = client([res]);
    await expect(c.call({ method: 'POST', path: 'machines/abc/', op: 'deploy' })).rejects.toBeInstanceOf(cls);
  });

  it('keeps 400 field errors by field and writes a readable message', async () => {
    const { c } = client([
      json({ distro_series: ["'x' is not a valid distro_series."], __all__: ['Nope.'] }, 400),
    ]);
    const err = await failure(c.call({ method: 'POST', path: 'machines/abc/', op: 'deploy' }));
    expect(err).toBeInstanceOf(MaasBadRequestError);
    expect(err.fields?.distro_series).toEqual(["'x' is not a valid distro_series."]);
    expect(err.message).toBe("distro_series: 'x' is not a valid distro_series.; Nope.");
  });

  it('explains an empty 403 instead of showing nothing', async () => {
    const { c } = client([text('', 403)]);
    const err = await failure(c.call({ method: 'GET', path: 'machines/abc/' }));
    expect(err.message).toMatch(/locked, owned by another user, or the operation needs a MAAS admin/);
  });

  it('retries a GET on 503 and 504 with backoff, then succeeds', async () => {
    const { c, seen, clock } = client([text('x', 503), text('y', 504), json([{ ok: 1 }])]);
    const out = await settle(clock, c.call({ method: 'GET', path: 'machines/' }));
    expect(out).toEqual([{ ok: 1 }]);
    expect(seen).toHaveLength(3);
  });

  it('retries a GET after a network failure', async () => {
    const { c, seen, clock } = client([new TypeError('fetch failed'), json([])]);
    await settle(clock, c.call({ method: 'GET', path: 'machines/' }));
    expect(seen).toHaveLength(2);
  });

  it('gives up on a GET after the configured retries', async () => {
    const { c, seen, clock } = client([text('x', 503), text('x', 503), text('x', 503)], { retries: 2 });
    await expect(settle(clock, c.call({ method: 'GET', path: 'machines/' }))).rejects.toBeInstanceOf(
      MaasUnavailableError,
    );
    expect(seen).toHaveLength(3);
  });

  it('never re-sends a POST that got no answer', async () => {
    const { c, seen, clock } = client([new TypeError('fetch failed: socket hang up'), json({})]);
    const err = await failure(settle(clock, c.call({ method: 'POST', path: 'machines/abc/', op: 'deploy' })));
    expect(err).toBeInstanceOf(MaasNetworkError);
    expect(err.mayHaveReachedMaas).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('says a refused connection cannot have carried the write', async () => {
    const refused = new TypeError('fetch failed', {
      cause: new Error('connect ECONNREFUSED 127.0.0.1:5240'),
    });
    const { c } = client([refused]);
    const err = await failure(c.call({ method: 'POST', path: 'machines/abc/', op: 'deploy' }));
    expect(err.mayHaveReachedMaas).toBe(false);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('never re-sends a POST on a 503 or 409 without Retry-After', async () => {
    for (const res of [text('no rack', 503), text("Can't deploy", 409)]) {
      const { c, seen, clock } = client([res, json({})]);
      await expect(
        settle(clock, c.call({ method: 'POST', path: 'machines/abc/', op: 'deploy' })),
      ).rejects.toThrow();
      expect(seen).toHaveLength(1);
    }
  });

  it('re-sends a POST when MAAS answered 503 or 409 with Retry-After, after that many seconds', async () => {
    for (const status of [503, 409]) {
      const { c, seen, clock } = client([text('later', status, { 'retry-after': '5' }), json({ ok: true })]);
      const started = clock.now();
      const out = await settle(clock, c.call({ method: 'POST', path: 'machines/abc/', op: 'deploy' }));
      expect(out).toEqual({ ok: true });
      expect(seen).toHaveLength(2);
      expect(clock.now() - started).toBeGreaterThanOrEqual(5000);
    }
  });

  it('does not wait for a Retry-After longer than the configured maximum', async () => {
    const { c, seen } = client([text('later', 503, { 'retry-after': '3600' })]);
    await expect(c.call({ method: 'POST', path: 'machines/abc/', op: 'deploy' })).rejects.toBeInstanceOf(
      MaasUnavailableError,
    );
    expect(seen).toHaveLength(1);
  });

  it('does not retry a 4xx answer about the request itself, even for a GET', async () => {
    const { c, seen } = client([text('No Machine matches the given query.', 404), json({})]);
    await expect(c.call({ method: 'GET', path: 'machines/zzz/' })).rejects.toBeInstanceOf(MaasNotFoundError);
    expect(seen).toHaveLength(1);
  });

  it('times out a request that MAAS never answers, on the injected clock', async () => {
    const never = () => new Promise<Response>(() => {});
    const { c, clock } = client([never], { timeoutMs: 10_000, retries: 0 });
    const p = failure(c.call({ method: 'GET', path: 'machines/' }));
    await clock.advance(10_001);
    const err = await p;
    expect(err).toBeInstanceOf(MaasTimeoutError);
    expect(err.message).toBe('MAAS did not answer GET machines/ within 10 s');
  });

  it('stops at once when the caller aborts', async () => {
    const never = () => new Promise<Response>(() => {});
    const { c } = client([never]);
    const ac = new AbortController();
    const p = failure(c.call({ method: 'GET', path: 'machines/', signal: ac.signal }));
    ac.abort();
    expect(await p).toBeInstanceOf(MaasNetworkError);
  });

  it('reads 204 and a JSON null as null, and text/plain as text', async () => {
    const { c } = client([new Response(null, { status: 204 }), json(null), text('yaml: 1', 200)]);
    expect(await c.call({ method: 'DELETE', path: 'machines/abc/' })).toBeNull();
    expect(await c.call({ method: 'POST', path: 'machines/abc/', op: 'power_off' })).toBeNull();
    expect(await c.call({ method: 'GET', path: 'machines/abc/', op: 'get_curtin_config' })).toBe('yaml: 1');
  });
});

describe('MaasHttp on a misconfigured or too-small server', () => {
  it('refuses to send a URL longer than MAAS takes, naming the parameter and the limit', async () => {
    const { c, seen } = client([]);
    const err = await failure(
      c.call({ method: 'GET', path: 'machines/', query: { hostname: 'x'.repeat(1024 * 1024), zone: 'a' } }),
    );
    expect(err).toBeInstanceOf(MaasRequestTooLargeError);
    expect(err.message).toBe(
      'the hostname value is too long for one MAAS request: 1,048,576 characters, and a MAAS request URL holds about 8,000 — shorten it or split it into several requests',
    );
    expect(seen).toHaveLength(0);
  });

  it('names the largest parameter when a web server answers 431, 414 or 413 with no text', async () => {
    const cases: [number, 'GET' | 'POST', string, string][] = [
      [431, 'GET', 'hostname', 'the hostname value is 5,000 characters'],
      [414, 'GET', 'hostname', 'the hostname value is 5,000 characters'],
      [413, 'POST', 'user_data', 'the user_data value is 5,000 characters'],
    ];
    for (const [status, method, key, says] of cases) {
      const { c, seen } = client([text('', status)]);
      const params = { [key]: 'x'.repeat(5000), other: 'y' };
      const err = await failure(
        c.call({ method, path: 'machines/', ...(method === 'GET' ? { query: params } : { form: params }) }),
      );
      expect(err, String(status)).toBeInstanceOf(MaasRequestTooLargeError);
      expect(err.message).toBe(
        `MAAS's web server refused the request as too large (HTTP ${status}): ${says} — shorten it or split it into several requests`,
      );
      expect(seen).toHaveLength(1);
    }
  });

  it('says MAAS_URL should end in /MAAS when a URL without it answers 404', async () => {
    const { c } = client([text('Not Found', 404)], { url: 'http://maas.test:5240' });
    const err = await failure(c.call({ method: 'GET', path: 'machines/' }));
    expect(err).toBeInstanceOf(MaasUrlError);
    expect(err.message).toBe(
      'MAAS_URL should end in /MAAS: http://maas.test:5240/api/2.0/machines/ answered 404 Not Found, so http://maas.test:5240 is not where MAAS serves its API — try MAAS_URL=http://maas.test:5240/MAAS',
    );
    const html = client([new Response('<html><body>404</body></html>', { status: 404 })], {
      url: 'https://maas.test/maas/',
    });
    const again = await failure(html.c.call({ method: 'GET', path: 'users/', op: 'whoami' }));
    expect(again.message).toMatch(
      /^MAAS_URL should end in \/MAAS: .* try MAAS_URL=https:\/\/maas\.test\/maas\/MAAS$/,
    );
  });

  it("keeps MAAS's own 404s as they are, also from a MAAS behind a proxy at another path", async () => {
    const { c } = client([text('No Machine matches the given query.', 404)]);
    expect(await failure(c.call({ method: 'GET', path: 'machines/abc/' }))).toBeInstanceOf(MaasNotFoundError);
    const proxied = client([text('No Machine matches the given query.', 404)], { url: 'https://maas.test/' });
    expect(await failure(proxied.c.call({ method: 'GET', path: 'machines/abc/' }))).toBeInstanceOf(
      MaasNotFoundError,
    );
  });

  it('says to use https:// when an http:// URL reaches an HTTPS port', async () => {
    const nginx = new Response(
      '<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head></html>',
      { status: 400, headers: { 'content-type': 'text/html' } },
    );
    const { c } = client([nginx]);
    const err = await failure(c.call({ method: 'GET', path: 'machines/' }));
    expect(err).toBeInstanceOf(MaasUrlError);
    expect(err.message).toContain('use https:// in MAAS_URL');
  });
});
