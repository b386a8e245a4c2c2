import { describe, expect, it } from 'vitest';
import { SimStatus as S } from '../../src/sim/index.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, force, json, op, sid } from './helpers.ts';

describe('machine permissions', () => {
  const sim = createSimulator();
  const { admin, operator: alice, other: bob } = sim.users;

  it("answers 403 with an empty body for another user's machine, 404 for an unknown one", async () => {
    const res = await call(sim, alice, 'GET', `machines/${sid(sim, 'k8s-01')}/`);
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('');
    expect((await call(sim, bob, 'GET', `machines/${sid(sim, 'k8s-01')}/`)).status).toBe(200);
    const missing = await call(sim, alice, 'GET', 'machines/nosuch/');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('No Machine matches the given query.');
  });

  it('answers 404 for a device or controller id under /machines/', async () => {
    const idOf = (kind: string) => {
      const n = [...sim.state.nodes.values()].find((x) => x.kind === kind);
      if (!n) throw new Error(`the seed has no ${kind}`);
      return n.systemId;
    };
    expect((await call(sim, admin, 'GET', `machines/${idOf('device')}/`)).status).toBe(404);
    expect((await call(sim, admin, 'GET', `machines/${idOf('rack')}/`)).status).toBe(404);
  });

  it('refuses edit and admin ops on a locked machine with 403, but lets view and unlock through', async () => {
    const id = sid(sim, 'web-03');
    for (const name of [
      'release',
      'deploy',
      'mark_broken',
      'power_off',
      'abort',
      'rescue_mode',
      'commission',
    ]) {
      const res = await call(sim, admin, 'POST', `machines/${id}/?op=${name}`);
      expect(res.status, name).toBe(403);
      expect(await res.text()).toBe('');
    }
    expect((await call(sim, admin, 'PUT', `machines/${id}/`, { form: { description: 'x' } })).status).toBe(
      403,
    );
    expect((await call(sim, admin, 'DELETE', `machines/${id}/`)).status).toBe(403);
    expect((await call(sim, admin, 'GET', `machines/${id}/`)).status).toBe(200);
    const again = await op(sim, admin, 'web-03', 'lock');
    expect([again.status, await again.text()]).toEqual([409, 'Machine is already locked']);
    expect(await json(await op(sim, admin, 'web-03', 'unlock'))).toMatchObject({ locked: false });
    const notLocked = await op(sim, admin, 'web-03', 'unlock');
    expect([notLocked.status, await notLocked.text()]).toEqual([409, 'Machine is not locked']);
    expect(await json(await op(sim, admin, 'web-03', 'lock'))).toMatchObject({ locked: true });
  });

  it('reserves admin ops for admins', async () => {
    for (const name of [
      'commission',
      'test',
      'mark_fixed',
      'rescue_mode',
      'exit_rescue_mode',
      'set_storage_layout',
      'override_failed_testing',
      'restore_default_configuration',
      'clear_default_gateways',
    ]) {
      const res = await op(sim, alice, 'web-06', name);
      expect(res.status, name).toBe(403);
    }
    expect(
      (await call(sim, alice, 'PUT', `machines/${sid(sim, 'web-06')}/`, { form: { description: 'x' } }))
        .status,
    ).toBe(403);
    expect((await call(sim, alice, 'DELETE', `machines/${sid(sim, 'web-06')}/`)).status).toBe(403);
    const pp = await op(sim, alice, 'web-06', 'power_parameters', {}, 'GET');
    expect([pp.status, await pp.text()]).toEqual([403, '']);
    const all = await call(sim, alice, 'GET', 'machines/?op=power_parameters');
    expect([all.status, await all.text()]).toEqual([403, 'This method is reserved for admin users.']);
  });

  it('returns power parameters (with passwords) only to admins, as MAAS does', async () => {
    const params = await json<Record<string, string>>(
      await op(sim, admin, 'web-01', 'power_parameters', {}, 'GET'),
    );
    expect(params.power_pass).toMatch(/^[A-Za-z0-9]{20}$/);
    const all = await json<Record<string, Record<string, string>>>(
      await call(sim, admin, 'GET', `machines/?op=power_parameters&id=${sid(sim, 'web-01')}`),
    );
    expect(Object.keys(all)).toEqual([sid(sim, 'web-01')]);
  });

  it('lets only the owner (or an admin) mark a machine broken', async () => {
    force(sim, 'k8s-03', S.COMMISSIONING, null);
    const res = await op(sim, alice, 'k8s-03', 'mark_broken');
    expect([res.status, await res.text()]).toEqual([403, '']);
    force(sim, 'k8s-03', S.ALLOCATED, 'alice');
    const mine = await op(sim, alice, 'k8s-03', 'mark_broken', { comment: 'fans failing' });
    expect(await json(mine)).toMatchObject({
      status_name: 'Broken',
      owner: null,
      error_description: 'fans failing',
    });
    const fixed = await op(sim, admin, 'k8s-03', 'mark_fixed');
    expect(await json(fixed)).toMatchObject({ status_name: 'Ready', error_description: '' });
  });

  it('lets a user deploy an unowned Ready machine and then owns it', async () => {
    const res = await op(sim, alice, 'gpu-01', 'deploy');
    expect(await json(res)).toMatchObject({ status_name: 'Deploying', owner: 'alice' });
    expect((await call(sim, bob, 'GET', `machines/${sid(sim, 'gpu-01')}/`)).status).toBe(403);
    sim.close();
  });

  it('sets workload annotations only for the owner; an empty value deletes a key', async () => {
    const res = await op(sim, alice, 'web-02', 'set_workload_annotations', { a: '1' });
    expect([res.status, await res.text()]).toEqual([
      409,
      "Cannot set workload annotation: it hasn't been acquired.",
    ]);
    await op(sim, admin, 'db-01', 'set_owner_data', { team: 'data', env: 'prod' });
    const m = await json(await op(sim, admin, 'db-01', 'set_workload_annotations', { env: '' }));
    expect(m).toMatchObject({ owner_data: { team: 'data' }, workload_annotations: { team: 'data' } });
  });
});
