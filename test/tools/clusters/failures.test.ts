/**
 * The seed's failure analysis, each path with a fault injected through the simulator's control surface: whatever
 * fails, no machine is left held that nobody knows about.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterOutcome } from '../../../src/core/clusters/follow.ts';
import type { ClusterRecord } from '../../../src/store/clusters.ts';
import type { MemoryStore } from '../../../src/store/memory.ts';
import { call, drive } from '../../helpers.ts';
import { runCleanups } from '../write-helpers.ts';
import { type ClusterEnv, clusterSetup, finish, heldFor, owned, SVC } from './rig.ts';

let env: ClusterEnv | undefined;
afterEach(async () => {
  env?.stop();
  await runCleanups();
});

const CREATE = { name: 'dev', workers: 2, ...SVC };

/** What MAAS holds that it did not hold before the test's call. */
function newlyHeld(e: ClusterEnv, before: Set<string>): string[] {
  return [...owned(e)].filter((h) => !before.has(h));
}

describe('no machine is left held', () => {
  it('gives back what was taken when allocation fails part-way', async () => {
    env = await clusterSetup();
    const before = owned(env);
    // Two allocations go through; the third is refused as MAAS refuses a machine that went meanwhile.
    const armed = { left: 2 };
    const allocate = env.deps.maas.allocate.bind(env.deps.maas);
    env.deps.maas.allocate = async (c, o) => {
      if (armed.left-- === 0) {
        env?.sim.control.failRequests({
          method: 'POST',
          path: 'machines/',
          op: 'allocate',
          status: 409,
          body: 'No machine with system ID x available.',
        });
      }
      return allocate(c, o);
    };
    const r = await drive(env.clock, call(env.client, 'cluster_create', CREATE));
    expect(r.isError).toBe(true);
    expect(r.text).toContain('allocate');
    expect(r.text).toMatch(/Gave back the 2 machines it had taken .*nothing is held/);
    await env.sim.control.settle();
    expect(newlyHeld(env, before)).toEqual([]);
    expect(heldFor(env, 'dev')).toEqual([]);
    expect(await env.deps.store.getCluster('dev')).toBeUndefined();
  });

  it('releases a machine whose mapping cannot be recorded', async () => {
    env = await clusterSetup();
    const before = owned(env);
    const store = env.deps.store as MemoryStore;
    const update = store.updateCluster.bind(store);
    let calls = 0;
    store.updateCluster = async (c: ClusterRecord) => {
      // The second machine's entry cannot be written (the store is down for it).
      if (c.machines.length === 2 && calls++ < 10) throw new Error('store unavailable');
      return update(c);
    };
    const r = await drive(env.clock, call(env.client, 'cluster_create', CREATE));
    store.updateCluster = update;
    expect(r.isError).toBe(true);
    expect(r.text).toContain('record');
    expect(r.text).toContain('nothing is held');
    await env.sim.control.settle();
    expect(newlyHeld(env, before)).toEqual([]);
  });

  it('gives everything back when marking a machine (owner data) fails', async () => {
    env = await clusterSetup();
    const before = owned(env);
    env.sim.control.failRequests({
      method: 'POST',
      path: /^machines\/[^/]+\/$/,
      op: 'set_workload_annotations',
      status: 503,
      body: 'Unable to connect to the database.',
      times: 5,
    });
    const r = await drive(env.clock, call(env.client, 'cluster_create', CREATE));
    expect(r.isError).toBe(true);
    expect(r.text).toContain('owner data');
    await env.sim.control.settle();
    expect(newlyHeld(env, before)).toEqual([]);
    expect(await env.deps.store.getCluster('dev')).toBeUndefined();
  });

  it('gives back a machine whose allocation answer was lost, found again by its agent name', async () => {
    env = await clusterSetup();
    const before = owned(env);
    // The second allocation reaches MAAS and commits, but its answer is lost; then the owner data fails.
    env.sim.control.failRequests({
      method: 'POST',
      path: 'machines/',
      op: 'allocate',
      status: 502,
      when: 'after',
      times: 1,
    });
    env.sim.control.failRequests({
      method: 'POST',
      path: /^machines\/[^/]+\/$/,
      op: 'set_workload_annotations',
      status: 500,
      body: 'boom',
      times: 5,
    });
    const r = await drive(env.clock, call(env.client, 'cluster_create', CREATE));
    expect(r.isError).toBe(true);
    await env.sim.control.settle();
    expect(newlyHeld(env, before)).toEqual([]);
  });

  it('gives back what was taken when an allocation is not answered and cannot be read back either', async () => {
    env = await clusterSetup();
    const before = owned(env);
    // The first allocation goes through; the second gets no answer (it did not commit), and the read-back of the
    // machines held under the cluster's agent name fails too.
    const armed = { left: 1 };
    const allocate = env.deps.maas.allocate.bind(env.deps.maas);
    env.deps.maas.allocate = async (c, o) => {
      if (armed.left-- === 0) {
        env?.sim.control.failRequests({ method: 'POST', path: 'machines/', op: 'allocate', status: 502 });
        env?.sim.control.failRequests({ method: 'GET', path: 'machines/', status: 400, body: 'boom' });
      }
      return allocate(c, o);
    };
    const r = await drive(env.clock, call(env.client, 'cluster_create', CREATE));
    expect(r.isError).toBe(true);
    expect(r.text).toContain('could not be read back');
    expect(r.text).toMatch(/Gave back the 1 machine/);
    await env.sim.control.settle();
    expect(newlyHeld(env, before)).toEqual([]);
    expect(await env.deps.store.getCluster('dev')).toBeUndefined();
  });

  it('keeps a worker whose deploy fails in the cluster, failed with MAAS’s reason and what to do', async () => {
    env = await clusterSetup();
    const r = await drive(env.clock, call<ClusterOutcome>(env.client, 'cluster_create', CREATE));
    expect(r.isError, r.text).toBeFalsy();
    const worker = r.data.cluster?.machines.find((m) => m.role === 'worker');
    env.sim.control.setMachine(worker?.hostname ?? '', {
      status: 11,
      errorDescription: 'Installation failed: curtin exited 3',
    });
    const c = await finish(env, 'dev');
    const w = c.machines.find((m) => m.hostname === worker?.hostname);
    expect(w?.phase).toBe('failed');
    expect(w?.note).toContain('Installation failed: curtin exited 3');
    expect(w?.note).toContain(
      `cluster_scale {"name": "dev", "workers": 1, "remove": ["${worker?.hostname}"]}`,
    );
    expect(c.state).toBe('degraded');
    // Still held, and known: it is in the record and carries the cluster's owner data.
    expect(heldFor(env, 'dev')).toContain(worker?.hostname);
    expect(c.leaks).toEqual([]);
  });

  it('gives everything back when MAAS refuses to deploy the first control plane', async () => {
    env = await clusterSetup();
    const before = owned(env);
    env.sim.control.failRequests({
      method: 'POST',
      path: /^machines\/[^/]+\/$/,
      op: 'deploy',
      status: 503,
      body: 'Unable to allocate static IP due to address exhaustion.',
      times: 1,
    });
    const r = await drive(env.clock, call(env.client, 'cluster_create', CREATE));
    expect(r.isError).toBe(true);
    expect(r.text).toContain('deploy the first control plane');
    await env.sim.control.settle();
    expect(newlyHeld(env, before)).toEqual([]);
  });

  it('retries a delete that failed part-way and releases the rest', async () => {
    env = await clusterSetup();
    const before = owned(env);
    const r = await drive(env.clock, call<ClusterOutcome>(env.client, 'cluster_create', CREATE));
    expect(r.isError, r.text).toBeFalsy();
    await finish(env, 'dev');
    env.sim.control.failRequests({
      method: 'POST',
      path: /^machines\/[^/]+\/$/,
      op: 'release',
      status: 503,
      body: 'Unable to connect to the rack controller.',
      times: 1,
    });
    const d = await drive(env.clock, call<ClusterOutcome>(env.client, 'cluster_delete', { name: 'dev' }));
    expect(d.data.failed).toHaveLength(1);
    const left = await finish(env, 'dev');
    expect(left.state).toBe('delete_failed');
    expect(left.machines).toHaveLength(1);
    const again = await drive(env.clock, call<ClusterOutcome>(env.client, 'cluster_delete', { name: 'dev' }));
    expect(again.isError, again.text).toBeFalsy();
    await env.sim.control.settle();
    for (let i = 0; i < 20; i++) await env.clock.advance(5_000);
    await call(env.client, 'clusters_list', {});
    expect(newlyHeld(env, before)).toEqual([]);
    expect(await env.deps.store.getCluster('dev')).toBeUndefined();
  });
});
