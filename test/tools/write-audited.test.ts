/**
 * MAAS's refusals of a machine action never carry a secret (failureMessage), failed writes are audited with
 * the error as the caller reads it (core/audit.ts audited), and controllers_list asks who the user is only when
 * it needs to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/actions.ts';
import { call } from '../helpers.ts';
import { API, requestOf, runCleanups, setup } from './write-helpers.ts';

afterEach(runCleanups);

describe('MAAS refusing a machine action', () => {
  for (const status of [400, 403, 409]) {
    it(`renders its ${status} text without a secret it echoes`, async () => {
      let secret = '';
      const { sim, client } = await setup({
        fetch: (s) => async (input, init) => {
          const { method, url } = requestOf(input, init);
          if (method === 'POST' && url.searchParams.get('op') === 'lock') {
            return new Response(`refused for token ${secret}`, {
              status,
              headers: { 'Content-Type': 'text/plain' },
            });
          }
          return s.fetch(input, init);
        },
      });
      secret = sim.users.admin.apiKey.split(':')[2] as string;
      const res = await call<ActionResult>(client, 'machine_lock', { machines: 'web-04' });
      const error = res.data.failed[0]?.error ?? '';
      expect(error).toMatch(/^cannot lock web-04: refused for token \S+$/);
      expect(error).not.toContain(secret);
      expect(res.text).not.toContain(secret);
    });
  }
});

describe('audited writes', () => {
  it('records a failed write with the error as the caller reads it', async () => {
    const { client, deps } = await setup();
    const res = await call(client, 'machine_update', { machine: 'web-01', zone: 'zone-z' });
    expect(res.isError).toBe(true);
    const [audit] = await deps.store.listAudit({});
    expect(audit).toMatchObject({ tool: 'machine_update', result: 'failed', detail: res.text });
    expect(audit?.detail).toMatch(/^MAAS rejected the request: zone: /);
    expect(audit?.targets).toEqual([expect.objectContaining({ hostname: 'web-01', before: 'Ready' })]);
  });

  it('records a tag change that failed half-way as partial, naming what was done', async () => {
    const { client, deps } = await setup({
      fetch: (s) => async (input, init) => {
        const { method, url } = requestOf(input, init);
        if (method === 'POST' && url.pathname === `${API}tags/gpu/`) {
          return new Response('Unable to connect to any rack controller', { status: 503 });
        }
        return s.fetch(input, init);
      },
    });
    const res = await call(client, 'machine_tag', {
      machines: 'web-01',
      add: ['rack-a', 'gpu'],
      create_missing: true,
    });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('Already done before it failed: created tag rack-a; +rack-a on web-01');
    const audits = await deps.store.listAudit({});
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ tool: 'machine_tag', result: 'partial', detail: res.text });
  });

  it('records a successful change with the machine before and after', async () => {
    const { client, deps } = await setup();
    const res = await call(client, 'machine_update', { machine: 'web-01', description: 'rack 4' });
    expect(res.isError).toBe(false);
    const [audit] = await deps.store.listAudit({});
    expect(audit).toMatchObject({ tool: 'machine_update', result: 'ok' });
    expect(audit?.targets).toEqual([
      expect.objectContaining({ hostname: 'web-01', before: 'Ready', after: 'Ready' }),
    ]);
  });
});

describe('controllers_list', () => {
  it('does not ask who the user is when MAAS lists controllers', async () => {
    const { sim, client } = await setup();
    const res = await call<{ controllers: unknown[] }>(client, 'controllers_list');
    expect(res.data.controllers.length).toBeGreaterThan(0);
    expect(sim.requests.count({ method: 'GET', pathPrefix: `${API}users/` })).toBe(0);
  });
});
