/**
 * A cluster's life after create: scale up and down (removal confirmed first), delete (every machine released, the
 * tag and the DNS name gone, the record gone), the reconciler finding a planted leak, a record rebuilt from MAAS
 * alone, and the admin kubeconfig.
 */
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterOutcome } from '../../../src/core/clusters/follow.ts';
import { call, drive, VIEWER } from '../../helpers.ts';
import { OPERATOR, runCleanups } from '../write-helpers.ts';
import { type ClusterEnv, clusterSetup, finish, heldFor, owned, readyMachines, SVC } from './rig.ts';

let env: ClusterEnv | undefined;
afterEach(async () => {
  env?.stop();
  await runCleanups();
});

async function created(e: ClusterEnv, args: Record<string, unknown>) {
  const r = await drive(e.clock, call<ClusterOutcome>(e.client, 'cluster_create', { ...SVC, ...args }));
  if (r.isError) throw new Error(r.text);
  return finish(e, String(args.name));
}

describe('cluster_scale', () => {
  it('keeps the worker count when adding workers fails before any machine is taken', async () => {
    env = await clusterSetup();
    await created(env, { name: 'dev', workers: 1 });
    // The preview goes through (its reconcile asks MAAS who the key's user is); the same question fails once the
    // scale runs, before any machine is taken.
    const me = env.deps.maas.me.bind(env.deps.maas);
    let asked = 0;
    env.deps.maas.me = async (o) => {
      if (++asked > 1) throw new Error('MAAS is away');
      return me(o);
    };
    const up = await call(env.client, 'cluster_scale', { name: 'dev', workers: 3 });
    expect(up.isError).toBe(true);
    expect(asked).toBe(2);
    expect((await env.deps.store.getCluster('dev'))?.spec).toMatchObject({ workers: 1 });
  });

  it('adds workers that deploy to join, then removes workers only after confirmation', async () => {
    env = await clusterSetup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    // Create (confirmed with its token).
    const ask = await call<{ confirm_token: string }>(env.client, 'cluster_create', {
      name: 'dev',
      workers: 1,
      ...SVC,
    });
    await drive(
      env.clock,
      call(env.client, 'cluster_create', {
        name: 'dev',
        workers: 1,
        ...SVC,
        confirm_token: ask.data.confirm_token,
      }),
    );
    await finish(env, 'dev');
    // Scaling up asks nothing: it only takes Ready machines.
    const up = await drive(
      env.clock,
      call<ClusterOutcome>(env.client, 'cluster_scale', { name: 'dev', workers: 3 }),
    );
    expect(up.isError, up.text).toBeFalsy();
    expect(up.data.status).toBe('done');
    let c = await finish(env, 'dev');
    expect(c.shape).toBe('1 + 3');
    expect(c.machines.every((m) => m.phase === 'deployed')).toBe(true);
    const added = c.machines.filter((m) => m.role === 'worker').slice(1);
    for (const m of added) {
      const ud = env.sim.control.userData(m.hostname)?.served ?? '';
      expect(ud).toContain('kind: "JoinConfiguration"');
      expect(env.sim.control.machine(m.hostname).ownerData['maas-mcp-role']).toBe('worker');
    }
    // Scaling down is held for confirmation; nothing is released before it.
    const workers = c.machines.filter((m) => m.role === 'worker').map((m) => m.hostname);
    const down = await call<{ status: string; confirm_token: string; preview: { hostname: string }[] }>(
      env.client,
      'cluster_scale',
      { name: 'dev', workers: 1, remove: [workers[0], workers[1]] },
    );
    expect(down.data.status).toBe('confirmation_required');
    expect(down.data.preview.map((p) => p.hostname).sort()).toEqual([workers[0], workers[1]].sort());
    expect(heldFor(env, 'dev')).toHaveLength(4);
    const done = await drive(
      env.clock,
      call<ClusterOutcome>(env.client, 'cluster_scale', {
        name: 'dev',
        workers: 1,
        remove: [workers[0], workers[1]],
        confirm_token: down.data.confirm_token,
      }),
    );
    expect(done.isError, done.text).toBeFalsy();
    c = await finish(env, 'dev');
    expect(c.shape).toBe('1 + 1');
    expect(c.machines.map((m) => m.hostname)).not.toContain(workers[0]);
    expect(env.sim.control.machine(workers[0] ?? '').status).toBe(4);
    expect(env.sim.control.machine(workers[0] ?? '').tags).not.toContain('cluster-dev');
  });

  it('gives back only the new machines when adding workers fails part-way, and leaves the cluster as it was', async () => {
    env = await clusterSetup();
    await created(env, { name: 'dev', workers: 1 });
    const before = owned(env);
    env.sim.control.failRequests({
      method: 'POST',
      path: /^machines\/[^/]+\/$/,
      op: 'set_workload_annotations',
      status: 503,
      body: 'busy',
      times: 5,
    });
    const r = await drive(env.clock, call(env.client, 'cluster_scale', { name: 'dev', workers: 3 }));
    expect(r.isError).toBe(true);
    expect(r.text).toContain('Cluster dev is as it was');
    await env.sim.control.settle();
    expect([...owned(env)].sort()).toEqual([...before].sort());
    expect((await finish(env, 'dev')).shape).toBe('1 + 1');
  });
});

describe('cluster_delete', () => {
  it('releases every machine with erase, then the tag, the DNS name and the record go', async () => {
    env = await clusterSetup();
    const before = owned(env);
    const c = await created(env, { name: 'ha', control_planes: 3, workers: 1 });
    const r = await drive(
      env.clock,
      call<ClusterOutcome>(env.client, 'cluster_delete', { name: 'ha', erase: true }),
    );
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data.operation?.judged_as ?? 'erase').toBe('erase');
    await env.sim.control.settle();
    for (let i = 0; i < 20; i++) await env.clock.advance(5_000);
    // Every machine it had is Ready and nobody's, and nothing else was taken meanwhile.
    for (const m of c.machines)
      expect(env.sim.control.machine(m.hostname)).toMatchObject({ status: 4, owner: null });
    expect([...owned(env)].filter((h) => !before.has(h))).toEqual([]);
    expect(await env.deps.store.getCluster('ha')).toBeUndefined();
    const tags = (await env.deps.maas.tags()).map((t) => t.name);
    expect(tags).not.toContain('cluster-ha');
    const dns = (await env.deps.maas.http.call({ method: 'GET', path: 'dnsresources/' })) as {
      fqdn: string;
    }[];
    expect(dns.map((d) => d.fqdn).filter((f) => f.startsWith('ha-api'))).toEqual([]);
    const list = await call<{ clusters: unknown[] }>(env.client, 'clusters_list', {});
    expect(list.data.clusters).toEqual([]);
  });
});

describe('the reconciler', () => {
  it('finds a planted leak (a held machine carrying the cluster’s owner data, not in its record) and the one-step fix clears it', async () => {
    env = await clusterSetup();
    await created(env, { name: 'dev', workers: 1 });
    const c = await finish(env, 'dev');
    const spare = readyMachines(env)[0] ?? '';
    const alloc = await call(env.client, 'machine_allocate', { hostname: spare });
    expect(alloc.isError, alloc.text).toBeFalsy();
    await call(env.client, 'machine_owner_data', {
      machine: spare,
      set: { 'maas-mcp-cluster': 'dev', 'maas-mcp-cluster-uid': c.uid, 'maas-mcp-role': 'worker' },
    });
    const seen = await finish(env, 'dev');
    expect(seen.leaks.map((l) => l.hostname)).toEqual([spare]);
    expect(seen.leaks[0]?.fix).toBe(
      `machine_release {"machines": ["${spare}"]} (Slack: /maas release ${spare})`,
    );
    expect(seen.state).toBe('degraded');
    const text = await call(env.client, 'cluster_get', { name: 'dev' });
    expect(text.text).toContain('1 leaked machine');
    // The fix, as given.
    const fixed = await drive(env.clock, call(env.client, 'machine_release', { machines: [spare] }));
    expect(fixed.isError, fixed.text).toBeFalsy();
    expect((await finish(env, 'dev')).leaks).toEqual([]);
  });

  it('reports a leak found by the poller when a cluster operation ends, without anyone asking', async () => {
    env = await clusterSetup();
    const r = await drive(
      env.clock,
      call<ClusterOutcome>(env.client, 'cluster_create', { name: 'dev', workers: 1, ...SVC }),
    );
    const spare = readyMachines(env)[0] ?? '';
    await call(env.client, 'machine_allocate', { hostname: spare });
    await call(env.client, 'machine_owner_data', {
      machine: spare,
      set: { 'maas-mcp-cluster': 'dev', 'maas-mcp-cluster-uid': r.data.cluster?.uid ?? '' },
    });
    await env.sim.control.settle();
    for (let i = 0; i < 20; i++) await env.clock.advance(5_000);
    const rec = await env.deps.store.getCluster('dev');
    expect(rec?.leaks.map((l) => l.hostname)).toEqual([spare]);
  });

  it('rebuilds a lost record from MAAS alone: the same machines, roles and provider ids', async () => {
    env = await clusterSetup();
    const c = await created(env, { name: 'dev', workers: 2 });
    const rec = await env.deps.store.getCluster('dev');
    await env.deps.store.deleteCluster('dev', rec?.version ?? 0);
    const again = await call<{ cluster: typeof c }>(env.client, 'cluster_get', { name: 'dev' });
    expect(again.isError, again.text).toBeFalsy();
    const rebuilt = again.data.cluster;
    expect(rebuilt.recovered).toBe(true);
    expect(rebuilt.uid).toBe(c.uid);
    const key = (v: typeof c) => v.machines.map((m) => `${m.role} ${m.provider_id}`).sort();
    expect(key(rebuilt)).toEqual(key(c));
    expect(rebuilt.endpoint).toBe(c.endpoint);
    // And the rebuilt record deletes the cluster as the original would.
    const d = await drive(env.clock, call(env.client, 'cluster_delete', { name: 'dev' }));
    expect(d.isError, d.text).toBeFalsy();
    await env.sim.control.settle();
    expect(heldFor(env, 'dev')).toEqual([]);
  });
});

describe('cluster_kubeconfig', () => {
  it('gives an admin a kubeconfig whose client certificate the cluster CA signed, and refuses anyone else', async () => {
    env = await clusterSetup();
    await created(env, { name: 'dev', workers: 1 });
    const r = await call<{ kubeconfig: string; server: string }>(env.client, 'cluster_kubeconfig', {
      name: 'dev',
    });
    expect(r.isError, r.text).toBeFalsy();
    const rec = await env.deps.store.getCluster('dev');
    const ca = new X509Certificate(rec?.ca_cert_pem ?? '');
    const certB64 = /client-certificate-data: "([^"]+)"/.exec(r.data.kubeconfig)?.[1] ?? '';
    const cert = new X509Certificate(Buffer.from(certB64, 'base64').toString());
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.subject).toContain('O=kubeadm:cluster-admins');
    expect(ca.ca).toBe(true);
    for (const p of [OPERATOR, VIEWER]) {
      const other = await env.connect(p);
      const refused = await call(other, 'cluster_kubeconfig', { name: 'dev' });
      expect(refused.isError).toBe(true);
    }
  });
});
