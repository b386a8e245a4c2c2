import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/sim/index.ts';
import { call, sid } from './helpers.ts';

describe('simulator URLs and dispatch', () => {
  const sim = createSimulator();
  const admin = sim.users.admin;

  it('answers a path without its trailing slash with the catch-all 404', async () => {
    const res = await call(sim, admin, 'GET', 'machines');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('Unknown API endpoint: /MAAS/api/2.0/machines.');
    const other = await call(sim, admin, 'GET', 'no-such-thing/');
    expect(await other.text()).toBe('Unknown API endpoint: /MAAS/api/2.0/no-such-thing/.');
  });

  it('rejects an unknown op, or a known op on the wrong method, with the signature text', async () => {
    const res = await call(sim, admin, 'POST', 'machines/?op=foo');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('Unrecognised signature: method=POST op=foo');
    const wrongMethod = await call(sim, admin, 'GET', `machines/${sid(sim, 'web-01')}/?op=deploy`);
    expect(await wrongMethod.text()).toBe('Unrecognised signature: method=GET op=deploy');
    const noOp = await call(sim, admin, 'POST', `machines/${sid(sim, 'web-01')}/`);
    expect(await noOp.text()).toBe('Unrecognised signature: method=POST op=None');
    const listOp = await call(sim, admin, 'GET', 'machines/?op=list');
    expect(await listOp.text()).toBe('Unrecognised signature: method=GET op=list');
  });

  it('dispatches before looking the object up: a bad op on an unknown id is a 400, a good one a 404', async () => {
    const bad = await call(sim, admin, 'POST', 'machines/zzzzzz/?op=frobnicate');
    expect(bad.status).toBe(400);
    const good = await call(sim, admin, 'POST', 'machines/zzzzzz/?op=deploy');
    expect(good.status).toBe(404);
    expect(await good.text()).toBe('No Machine matches the given query.');
  });

  it('answers 405 for a method the handler does not allow', async () => {
    const res = await call(sim, admin, 'PUT', 'machines/');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('GET');
  });

  it('reads op from the form body as well as the query string, from urlencoded and multipart bodies', async () => {
    const a = await call(sim, admin, 'POST', 'machines/', {
      form: { op: 'allocate', name: 'web-06', dry_run: 'true' },
    });
    expect(a.status).toBe(200);
    const b = await call(sim, admin, 'POST', 'machines/?op=allocate', {
      form: { name: 'web-06', dry_run: '1' },
      multipart: true,
    });
    expect(b.status).toBe(200);
    expect(((await b.json()) as { hostname: string }).hostname).toBe('web-06');
  });

  it('treats repeated keys as lists', async () => {
    const res = await call(sim, admin, 'GET', `machines/?hostname=web-01&hostname=web-02`);
    const list = (await res.json()) as { hostname: string }[];
    expect(list.map((m) => m.hostname)).toEqual(['web-01', 'web-02']);
  });

  it('renders JSON with a 4-space indent, the JSON content type and the API hash header', async () => {
    const res = await call(sim, admin, 'GET', 'zones/');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-maas-api-hash')).toMatch(/^[0-9a-f]{40}$/);
    const text = await res.text();
    expect(text.startsWith('[\n    {\n        "name": "default"')).toBe(true);
    expect(text).toBe(JSON.stringify(JSON.parse(text), null, 4));
  });

  it('renders validation errors as a compact JSON dict and single messages as text', async () => {
    const res = await call(sim, admin, 'GET', 'machines/?bogus=1');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{"bogus": ["No such constraint."]}');
  });

  it('answers a missing mandatory parameter with "No provided <key>!"', async () => {
    const res = await call(sim, admin, 'GET', 'machines/?op=is_registered');
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('No provided mac_address!');
  });

  it('serves interfaces and block devices under /nodes/, not /machines/', async () => {
    const id = sid(sim, 'web-01');
    expect((await call(sim, admin, 'GET', `nodes/${id}/interfaces/`)).status).toBe(200);
    expect((await call(sim, admin, 'GET', `nodes/${id}/blockdevices/`)).status).toBe(200);
    expect((await call(sim, admin, 'GET', `machines/${id}/interfaces/`)).status).toBe(404);
  });

  it('uses the singular resourcepool/ URL for one pool', async () => {
    expect((await call(sim, admin, 'GET', 'resourcepool/0/')).status).toBe(200);
    expect((await call(sim, admin, 'GET', 'resourcepool/production/')).status).toBe(200);
    expect((await call(sim, admin, 'GET', 'resourcepools/0/')).status).toBe(404);
  });

  it('answers DELETE with 204 and an empty body', async () => {
    const res = await call(sim, admin, 'DELETE', `machines/${sid(sim, 'edge-02')}/`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });
});
