import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { authHeader, call, useClock } from './helpers.ts';

function sim() {
  const clock = new ManualClock();
  return { clock, sim: useClock(createSimulator({ clock }), clock) };
}

const WWW = 'OAuth realm="OAuth"';

describe('simulator auth', () => {
  it('accepts a PLAINTEXT-signed request and says who is calling', async () => {
    const { sim: s } = sim();
    const res = await call(s, s.users.operator, 'GET', 'users/?op=whoami');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      is_superuser: false,
      username: 'alice',
      email: 'alice@example.com',
      is_local: true,
      resource_uri: '/MAAS/api/2.0/users/alice/',
    });
  });

  it('issues keys of the real shape: 18, 18 and 32 alphanumerics', () => {
    const { sim: s } = sim();
    for (const u of Object.values(s.users)) {
      const [ck, tk, secret] = u.apiKey.split(':');
      expect(ck).toMatch(/^[A-Za-z0-9]{18}$/);
      expect(tk).toMatch(/^[A-Za-z0-9]{18}$/);
      expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    }
  });

  it('rejects an unknown consumer key with "Invalid API key."', async () => {
    const { sim: s } = sim();
    const res = await call(s, s.users.admin, 'GET', 'machines/', { consumerKey: 'X'.repeat(18) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(WWW);
    expect(await res.text()).toBe('Authorization Error: Invalid API key.');
  });

  it('rejects an unknown token with the quoted piston message', async () => {
    const { sim: s } = sim();
    const res = await call(s, s.users.admin, 'GET', 'machines/', { tokenKey: 'T'.repeat(18) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(WWW);
    expect(await res.text()).toBe(`Authorization Error: 'Invalid access token: ${'T'.repeat(18)}'`);
  });

  it('rejects a bad signature without echoing the secret', async () => {
    const { sim: s } = sim();
    const res = await call(s, s.users.admin, 'GET', 'machines/', { signature: '%26wrong' });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).toMatch(/^Authorization Error: 'Invalid signature\. .*'$/);
    expect(text).not.toContain(s.users.admin.apiKey.split(':')[2]);
  });

  it('rejects a timestamp more than 300 s old by the injected clock, but not a future one', async () => {
    const { sim: s, clock } = sim();
    const now = Math.floor(clock.now() / 1000);
    const old = await call(s, s.users.admin, 'GET', 'machines/', { timestamp: now - 301 });
    expect(old.status).toBe(401);
    expect(await old.text()).toBe(
      `Authorization Error: 'Expired timestamp: given ${now - 301} and now ${now} has a greater difference than threshold 300'`,
    );
    const whoami = 'users/?op=whoami';
    expect((await call(s, s.users.admin, 'GET', whoami, { timestamp: now - 300 })).status).toBe(200);
    expect((await call(s, s.users.admin, 'GET', whoami, { timestamp: now + 3600 })).status).toBe(200);
  });

  it('rejects a reused nonce, and forgets nonces older than the threshold', async () => {
    const { sim: s, clock } = sim();
    const whoami = 'users/?op=whoami';
    expect((await call(s, s.users.admin, 'GET', whoami, { nonce: 'n-1' })).status).toBe(200);
    const again = await call(s, s.users.admin, 'GET', whoami, { nonce: 'n-1' });
    expect(again.status).toBe(401);
    expect(await again.text()).toBe("Authorization Error: 'Nonce already used: n-1'");
    await clock.advance(301_000);
    expect((await call(s, s.users.admin, 'GET', whoami, { nonce: 'n-2' })).status).toBe(200);
    expect((await call(s, s.users.admin, 'GET', whoami, { nonce: 'n-1' })).status).toBe(200);
  });

  it('treats a header missing a required oauth parameter as anonymous', async () => {
    const { sim: s } = sim();
    const header = authHeader(s.users.admin.apiKey).replace(/, oauth_nonce="[^"]*"/, '');
    const res = await s.fetch(`${s.baseUrl}/api/2.0/users/?op=whoami`, {
      headers: { Authorization: header },
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('Forbidden');
  });

  it('parses realms, quotes and percent-encoding like piston', async () => {
    const { sim: s } = sim();
    const [ck, tk, secret] = s.users.admin.apiKey.split(':');
    const header = `OAuth realm="MAAS API",oauth_consumer_key=${ck}, oauth_token="${tk}",oauth_signature_method="PLAINTEXT", oauth_signature="%26${secret}", oauth_nonce="abc%20def", oauth_timestamp="${Math.floor(Date.UTC(2026, 0, 15, 9) / 1000)}", oauth_version="1.0"`;
    const res = await s.fetch(`${s.baseUrl}/api/2.0/users/?op=whoami`, {
      headers: { Authorization: header },
    });
    expect(res.status).toBe(200);
  });

  it('answers anonymous callers "Forbidden" (401) on ordinary endpoints', async () => {
    const { sim: s } = sim();
    for (const path of [
      'users/?op=whoami',
      'zones/',
      'events/?op=query',
      `machines/${s.state.machineByHostname('web-01')?.systemId}/`,
    ]) {
      const res = await call(s, null, 'GET', path);
      expect(res.status, path).toBe(401);
      expect(await res.text()).toBe('Forbidden');
    }
  });

  it('answers an anonymous machines list with the signature error, as the anonymous handler does', async () => {
    const { sim: s } = sim();
    const res = await call(s, null, 'GET', 'machines/');
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Unrecognised signature: method=GET op=None');
    const reg = await call(
      s,
      null,
      'GET',
      `machines/?op=is_registered&mac_address=${s.state.machineByHostname('web-01')?.interfaces[0]?.mac}`,
    );
    expect(await reg.json()).toBe(true);
    const accept = await call(s, null, 'POST', 'machines/?op=accept');
    expect(accept.status).toBe(401);
    expect(await accept.text()).toBe('You must be logged in to accept machines.');
  });

  it('serves /version/ and /describe/ anonymously', async () => {
    const { sim: s } = sim();
    const v = await call(s, null, 'GET', 'version/');
    expect(v.status).toBe(200);
    const body = (await v.json()) as { version: string; capabilities: string[]; subversion: string };
    expect(body.version).toMatch(/^3\.7\.3/);
    expect(body.capabilities).toContain('authenticate-api');
    expect((await call(s, null, 'GET', '/MAAS/api/version/')).status).toBe(200);
    const d = await call(s, null, 'GET', 'describe/');
    expect(((await d.json()) as { resources: unknown[] }).resources.length).toBeGreaterThan(10);
  });

  it('answers version/ and describe/ whatever the OAuth header says, without using up its nonce (MAAS `maasserver/urls_api.py`)', async () => {
    const { sim: s, clock } = sim();
    const now = Math.floor(clock.now() / 1000);
    const headers: [string, string][] = [
      ['bad signature', authHeader(s.users.admin.apiKey, { signature: '%26wrong' })],
      ['unknown consumer', authHeader(s.users.admin.apiKey, { consumerKey: 'X'.repeat(18) })],
      ['unknown token', authHeader(s.users.admin.apiKey, { tokenKey: 'T'.repeat(18) })],
      ['expired', authHeader(s.users.admin.apiKey, { timestamp: now - 3600 })],
      ['inactive user', authHeader(s.users.inactive.apiKey)],
      ['garbage', 'OAuth garbage'],
      ['nonce n-7', authHeader(s.users.admin.apiKey, { nonce: 'n-7', clock })],
    ];
    for (const [what, authorization] of headers) {
      for (const path of ['version/', 'describe/', '/MAAS/api/version/']) {
        const url = path.startsWith('/') ? `http://maas.sim:5240${path}` : `${s.baseUrl}/api/2.0/${path}`;
        const res = await s.fetch(url, { headers: { Authorization: authorization } });
        expect(res.status, `${path} with ${what}`).toBe(200);
      }
    }
    // The nonce was never looked at, so a real request may still use it.
    expect((await call(s, s.users.admin, 'GET', 'users/?op=whoami', { nonce: 'n-7' })).status).toBe(200);
    const wrong = await call(s, s.users.admin, 'GET', 'users/?op=whoami', { signature: '%26wrong' });
    expect(wrong.status).toBe(401);
  });

  it("answers describe/ as MAAS's plain Django view: sorted compact JSON, absolute URIs, no API hash header", async () => {
    const { sim: s } = sim();
    const res = await s.fetch('http://maas.example:5240/MAAS/api/2.0/describe/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-maas-api-hash')).toBeNull();
    const text = await res.text();
    expect(text.startsWith('{"doc": ')).toBe(true);
    const body = JSON.parse(text) as {
      hash: string;
      resources: { name: string; auth: { uri: string; path: string } }[];
    };
    expect(Object.keys(body)).toEqual(['doc', 'hash', 'resources']);
    expect(body.hash).toMatch(/^[0-9a-f]{40}$/);
    const machines = body.resources.find((r) => r.name === 'MachinesHandler');
    expect(machines?.auth).toMatchObject({
      uri: 'http://maas.example:5240/MAAS/api/2.0/machines/',
      path: '/MAAS/api/2.0/machines/',
    });
    expect(Object.keys(machines?.auth ?? {})).toEqual([...Object.keys(machines?.auth ?? {})].sort());
    const version = await s.fetch('http://maas.example:5240/MAAS/api/2.0/version/');
    expect(version.headers.get('x-maas-api-hash')).toBe(body.hash);
  });

  it('refuses an inactive user with 403', async () => {
    const { sim: s } = sim();
    const res = await call(s, s.users.inactive, 'GET', 'machines/');
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('User is not allowed access to this API.');
  });
});
