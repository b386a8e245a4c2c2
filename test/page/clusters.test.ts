/**
 * The status page's clusters section (README "Status page"): each cluster with its machines by role and a progress
 * bar per machine while it deploys, leaked machines flagged with their fix, and no cluster secret on the page or in
 * its events — through the Hono app, against the simulator on a manual clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterOutcome } from '../../src/core/clusters/follow.ts';
import { openSecrets } from '../../src/core/clusters/secrets.ts';
import { createApp } from '../../src/server.ts';
import { call, drive } from '../helpers.ts';
import { type ClusterEnv, clusterSetup, finish, readyMachines, SVC } from '../tools/clusters/rig.ts';
import { runCleanups } from '../tools/write-helpers.ts';
import { pageRequest, readEvents } from './helpers.ts';

let env: ClusterEnv | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  env?.stop();
  env = undefined;
  await runCleanups();
});

async function rig(toolsets = 'all'): Promise<{ e: ClusterEnv; page: () => Promise<string> }> {
  const e = await clusterSetup({ env: { MAAS_MCP_TOOLSETS: toolsets } });
  env = e;
  const http = createApp(e.deps, { localPrincipal: { id: 'local:me', role: 'admin', via: 'mcp' } });
  closers.push(() => http.close());
  return { e, page: async () => (await pageRequest(http.app, '/')).text() };
}

/** The clusters section's body. */
function section(html: string): string {
  const m = /<section[^>]*aria-labelledby="h-clusters"[\s\S]*?<\/section>/.exec(html);
  if (!m) throw new Error('no clusters section on the page');
  return m[0];
}

describe('the status page’s clusters section', () => {
  it('shows each cluster with its machines by role and a progress bar each, from deploying to deployed', async () => {
    const { e, page } = await rig();
    expect(section(await page())).toContain('No cluster.');
    const r = await drive(
      e.clock,
      call<ClusterOutcome>(e.client, 'cluster_create', { name: 'dev', workers: 2, ...SVC }),
    );
    expect(r.isError, r.text).toBeFalsy();
    const machines = r.data.cluster?.machines ?? [];
    expect(machines).toHaveLength(3);
    const during = section(await page());
    expect(during).toContain('cluster dev · deploying · 1 + 2');
    expect(during).toMatch(/<h4 class="sub">Control plane \(1\)<\/h4>/);
    expect(during).toMatch(/<h4 class="sub">Workers \(2\)<\/h4>/);
    for (const m of machines) {
      expect(during).toContain(`data-id="${m.system_id}"`);
      expect(during).toContain(`aria-label="${m.hostname} progress"`);
    }
    expect(during).toContain('deploying (Deploying)');
    // The Operations section counts the cluster's operation as the deploy it is.
    const ops = /<li class="op s-running" id="op-[^"]+">[\s\S]*?<\/li>/.exec(await page())?.[0] ?? '';
    expect(ops).toContain('0 of 3 Deployed');
    // Control plane first, then the workers.
    const cp = machines.find((m) => m.role === 'control-plane');
    const w = machines.find((m) => m.role === 'worker');
    expect(during.indexOf(`data-id="${cp?.system_id}"`)).toBeLessThan(
      during.indexOf(`data-id="${w?.system_id}"`),
    );

    await finish(e, 'dev');
    const after = section(await page());
    expect(after).toContain('cluster dev · ready · 1 + 2');
    expect(after.match(/<progress max="100" value="100"/g)).toHaveLength(3);
    expect(after).toContain('deployed (Deployed)');
  });

  it('flags a leaked machine (held for the cluster, not in its record) with the one-step fix', async () => {
    const { e, page } = await rig();
    await drive(e.clock, call(e.client, 'cluster_create', { name: 'dev', workers: 1, ...SVC }));
    const c = await finish(e, 'dev');
    const spare = readyMachines(e)[0] ?? '';
    await call(e.client, 'machine_allocate', { hostname: spare });
    await call(e.client, 'machine_owner_data', {
      machine: spare,
      set: { 'maas-mcp-cluster': 'dev', 'maas-mcp-cluster-uid': c.uid, 'maas-mcp-role': 'worker' },
    });
    await finish(e, 'dev');
    const html = section(await page());
    expect(html).toContain('cluster dev · degraded');
    expect(html).toContain('Leaked: held for this cluster, not in its record (1)');
    expect(html).toContain(`<strong>${spare}</strong>`);
    expect(html).toContain(`machine_release {&quot;machines&quot;: [&quot;${spare}&quot;]}`);
  });

  it('is not on the page when the clusters toolset is off', async () => {
    const { page } = await rig('machines');
    expect(await page()).not.toContain('h-clusters');
  });
});

describe('cluster secrets and the status page', () => {
  it('never shows the CA key, the bootstrap token, the certificate key, a kubeconfig or user_data, on the page or in its events', async () => {
    const { e } = await rig();
    const http = createApp(e.deps, { localPrincipal: { id: 'local:me', role: 'admin', via: 'mcp' } });
    closers.push(() => http.close());
    const r = await drive(
      e.clock,
      call<ClusterOutcome>(e.client, 'cluster_create', { name: 'ha', control_planes: 3, workers: 1, ...SVC }),
    );
    expect(r.isError, r.text).toBeFalsy();
    const kube = await call<{ kubeconfig: string }>(e.client, 'cluster_kubeconfig', { name: 'ha' });
    expect(kube.isError, kube.text).toBeFalsy();
    const record = await e.deps.store.getCluster('ha');
    if (!record) throw new Error('no record');
    const s = await openSecrets(e.deps.vault, record, 'test');
    const pem = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('-----'));
    const b64 = (k: string) => /client-key-data: "([^"]+)"/.exec(kube.data.kubeconfig)?.[1] ?? k;
    const userData = record.machines
      .map((m) => e.sim.control.userData(m.system_id))
      .filter((u) => u !== null);
    expect(userData.length).toBe(4);
    const secrets: Record<string, string> = {
      token: s.token,
      'token secret part': s.token.split('.')[1] as string,
      'certificate key': s.certificate_key,
      'kubeconfig client key (base64)': b64(''),
      ...Object.fromEntries(pem(s.ca_key_pem).map((l, i) => [`CA key line ${i}`, l])),
      ...Object.fromEntries(
        pem(Buffer.from(b64(''), 'base64').toString()).map((l, i) => [`kubeconfig client key line ${i}`, l]),
      ),
      'user_data (as stored)': userData[0]?.stored.slice(0, 40) as string,
      'user_data (served)': '#cloud-config',
      'user_data (kubeadm)': 'kubeadm join',
      'sealed secrets': record.sealed as string,
    };
    for (const v of Object.values(secrets)) expect(v.length).toBeGreaterThan(8);
    const html = await (await pageRequest(http.app, '/')).text();
    expect(html).toContain('cluster ha');
    const res = await pageRequest(http.app, '/events');
    const events = await readEvents(res, (evs) => evs.some((ev) => ev.event === 'cells'), { ms: 5_000 });
    const raw = events.map((ev) => ev.raw).join('\n');
    expect(raw).toContain('cluster ha');
    for (const [what, value] of Object.entries(secrets)) {
      expect(html.includes(value), `${what} on the page`).toBe(false);
      expect(raw.includes(value), `${what} in the events`).toBe(false);
    }
  });
});
