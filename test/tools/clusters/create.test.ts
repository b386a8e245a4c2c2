/**
 * cluster_create against the simulator: a 1 + 2 and a 3 + 5 cluster end with every machine Deployed, marked on
 * MAAS (owner data, tag, provider id) and deployed with its own role's user data; the preview lists every machine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterOutcome } from '../../../src/core/clusters/follow.ts';
import type { ClusterView } from '../../../src/core/clusters/view.ts';
import { call, drive } from '../../helpers.ts';
import { posts, runCleanups } from '../write-helpers.ts';
import { type ClusterEnv, clusterSetup, finish, gpuPool, heldFor, readyMachines, SVC } from './rig.ts';

let env: ClusterEnv | undefined;
afterEach(async () => {
  env?.stop();
  await runCleanups();
});

describe('cluster_create', () => {
  it('creates a 1 + 2 cluster: three Deployed machines carrying its owner data and tag, the first control plane’s address as the endpoint', async () => {
    env = await clusterSetup();
    const r = await drive(
      env.clock,
      call<ClusterOutcome>(env.client, 'cluster_create', { name: 'dev', workers: 2, ...SVC }),
    );
    expect(r.isError, r.text).toBeFalsy();
    const c = await finish(env, 'dev');
    expect(c.shape).toBe('1 + 2');
    expect(c.machines.map((m) => m.phase)).toEqual(['deployed', 'deployed', 'deployed']);
    const sims = heldFor(env, 'dev').map((h) => env?.sim.control.machine(h));
    expect(sims).toHaveLength(3);
    for (const m of c.machines) {
      const s = env.sim.control.machine(m.hostname);
      expect(s.status).toBe(6);
      expect(m.provider_id).toBe(`maas:///${m.zone}/${m.system_id}`);
      expect(s.ownerData).toMatchObject({
        'maas-mcp-cluster': 'dev',
        'maas-mcp-cluster-uid': c.uid,
        'maas-mcp-role': m.role,
      });
      expect(s.tags).toContain('cluster-dev');
      const ud = env.sim.control.userData(m.hostname)?.served ?? '';
      expect(ud.startsWith('#cloud-config\n')).toBe(true);
      expect(ud).toContain(
        m.role === 'control-plane' ? 'kind: "InitConfiguration"' : 'kind: "JoinConfiguration"',
      );
    }
    const cp = c.machines.find((m) => m.role === 'control-plane');
    expect(c.endpoint).toBe(`https://${cp?.ip_addresses[0]}:6443`);
    expect(c.endpoint_kind).toBe('ip');
    expect(c.state).toBe('ready');
  });

  it('creates a 3 + 5 cluster on the gpu pool: eight Deployed gpu machines and a MAAS DNS name for the three control planes', async () => {
    env = await clusterSetup();
    const gpu = readyMachines(env).slice(0, 10);
    await gpuPool(env, gpu);
    const r = await drive(
      env.clock,
      call<ClusterOutcome>(env.client, 'cluster_create', {
        name: 'prod',
        control_planes: 3,
        workers: 5,
        ...SVC,
        constraints: { control_plane: { pool: 'gpu' }, worker: { pool: 'gpu' } },
      }),
    );
    expect(r.isError, r.text).toBeFalsy();
    const c = await finish(env, 'prod');
    expect(c.shape).toBe('3 + 5');
    expect(c.machines.every((m) => m.phase === 'deployed' && m.pool === 'gpu')).toBe(true);
    for (const m of c.machines) expect(env.sim.control.machine(m.hostname).status).toBe(6);
    expect(c.endpoint_kind).toBe('dns');
    const dns = (await env.deps.maas.http.call({ method: 'GET', path: 'dnsresources/' })) as {
      fqdn: string;
      ip_addresses: { ip: string }[];
    }[];
    const api = dns.find((d) => c.endpoint === `https://${d.fqdn}:6443`);
    const cpIps = c.machines.filter((m) => m.role === 'control-plane').map((m) => m.ip_addresses[0]);
    expect(api?.ip_addresses.map((a) => a.ip).sort()).toEqual([...cpIps].sort());
    // The first control plane inits with --upload-certs; the two others join with the certificate key.
    const first = c.machines.find((m) => m.role === 'control-plane');
    expect(env.sim.control.userData(first?.hostname ?? '')?.served).toContain('--upload-certs');
    const joins = c.machines.filter((m) => m.role === 'control-plane').slice(1);
    for (const j of joins) expect(env.sim.control.userData(j.hostname)?.served).toContain('certificateKey:');
  });

  it('previews every machine it will take and writes nothing until confirmed', async () => {
    env = await clusterSetup({ env: { MAAS_MCP_CONFIRM: 'token', MAAS_MCP_TOOLSETS: 'all' } });
    const before = posts(env.sim).length;
    const args = { name: 'dev', workers: 2, ...SVC };
    const r = await call<
      ClusterOutcome & { preview: { hostname: string; effect: string }[]; confirm_token: string }
    >(env.client, 'cluster_create', args);
    expect(r.data.status).toBe('confirmation_required');
    expect(r.data.preview).toHaveLength(3);
    expect(r.data.preview.map((p) => p.effect.split(':')[0])).toEqual([
      'control plane 1 of 1',
      'worker 1 of 2',
      'worker 2 of 2',
    ]);
    expect(posts(env.sim).length).toBe(before);
    expect(await env.deps.store.getCluster('dev')).toBeUndefined();
    const done = await drive(
      env.clock,
      call<ClusterOutcome>(env.client, 'cluster_create', { ...args, confirm_token: r.data.confirm_token }),
    );
    expect(done.isError, done.text).toBeFalsy();
    expect((done.data.cluster as ClusterView).machines.map((m) => m.hostname).sort()).toEqual(
      r.data.preview.map((p) => p.hostname).sort(),
    );
  });

  it('takes each role’s machines of the architecture asked for', async () => {
    env = await clusterSetup({ env: { MAAS_MCP_CONFIRM: 'token', MAAS_MCP_TOOLSETS: 'all' } });
    const r = await call<ClusterOutcome & { preview: { hostname: string; effect: string }[] }>(
      env.client,
      'cluster_create',
      {
        name: 'mixed',
        workers: 1,
        constraints: { control_plane: { architecture: 'amd64' }, worker: { architecture: 'arm64' } },
        ...SVC,
      },
    );
    expect(r.isError, r.text).toBeFalsy();
    const arches = new Map(
      (await env.deps.maas.listMachines({ status: ['ready'] })).map((m) => [m.hostname, m.architecture]),
    );
    const [cp, worker] = r.data.preview;
    expect(arches.get(cp?.hostname ?? '')).toBe('amd64/generic');
    expect(arches.get(worker?.hostname ?? '')).toBe('arm64/generic');
    const wrong = await call(env.client, 'cluster_create', {
      name: 'mixed',
      constraints: { worker: { architecture: 'sparc' } },
      ...SVC,
    });
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toContain('constraints.worker: MAAS refused');
    expect(wrong.text).toContain('arch=sparc');
    expect(wrong.text).toContain('Architecture not recognised');
  });

  it('refuses what MAAS cannot supply, naming the shortfall, and takes nothing', async () => {
    env = await clusterSetup();
    const before = posts(env.sim).length;
    const r = await call(env.client, 'cluster_create', { name: 'big', workers: 90, ...SVC });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(
      /90 worker machines needed, but only \d+ Ready machines match .*Nothing was taken/,
    );
    expect(posts(env.sim).length).toBe(before);
  });

  it('refuses a service network that overlaps a MAAS subnet, and 2 control planes', async () => {
    env = await clusterSetup();
    const r = await call(env.client, 'cluster_create', { name: 'dev' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('service_cidr 10.96.0.0/12 overlaps MAAS subnet 10.100.0.0/24');
    const two = await call(env.client, 'cluster_create', { name: 'dev', control_planes: 2, ...SVC });
    expect(two.isError).toBe(true);
    expect(two.text).toContain('2 control planes cannot keep a majority');
    const bad = await call(env.client, 'cluster_create', {
      name: 'dev',
      ...SVC,
      constraints: { worker: { network: { bonds: [{ name: 'bond0', mode: 'nope' }] } } },
    });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('constraints.worker.network.bonds.0');
  });
});
