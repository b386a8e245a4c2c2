/**
 * Creating a cluster (README "Kubernetes clusters"), in the order the Cluster API MAAS design gives, so that no
 * failure leaves a machine held that nobody knows about:
 *
 * 1. the record is written first (no machines yet), with the new CA and join token sealed in it;
 * 2. each picked machine is allocated (by system_id, under its role's constraints and the cluster's agent name)
 *    and added to the record — a machine the record cannot take is released at once;
 * 3. each is marked on MAAS: the tag `cluster-<name>` and owner data (cluster, uid, role, place); its network is
 *    configured; for several control planes the endpoint's DNS name is made;
 * 4. any failure in 1–3 gives back every machine taken (the record tracks the release until MAAS has released
 *    them all, then goes);
 * 5. the control planes deploy first (the first runs `kubeadm init`; a single one's address becomes the endpoint),
 *    then the workers; a deploy MAAS refuses leaves that machine in the cluster, failed, with MAAS's reason and what
 *    to do — except the first control plane's, which gives everything back (nothing could join);
 * 6. an operation (kind `cluster`) follows the deployments to the end.
 */
import { randomHex } from '../../base/ids.ts';
import { createDnsResource, deleteDnsResource, domains, setDnsResourceIps } from '../../maas/clusters.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import type { ClusterRecord } from '../../store/clusters.ts';
import type { RunContext, ToolContext } from '../deps.ts';
import { describeError, ToolError } from '../errors.ts';
import { cidrsOverlap, parseCidr } from '../ip.ts';
import { applyNetworkPlan } from '../network-apply.ts';
import { applyStoragePlan } from '../storage-apply.ts';
import { renderUserData } from './cloud-init.ts';
import { type ClusterOutcome, deployingEntry, followOperation } from './follow.ts';
import {
  allocateOne,
  allocationError,
  deployEach,
  ensureTag,
  releaseEach,
  releaseUntag,
} from './machines.ts';
import { marksOf, ownerPairs } from './mapping.ts';
import { type Chosen, planTake, type TakePlan } from './picks.ts';
import { heldMachines } from './reconcile.ts';
import { machineEntry, saveCluster, shape } from './record.ts';
import { type ClusterSecrets, newClusterSecrets, sealSecrets } from './secrets.ts';
import {
  API_PORT,
  allocationConstraints,
  type ClusterSpec,
  clusterTag,
  endpointLabel,
  roleSpec,
} from './spec.ts';

export type CreateArgs = ClusterSpec & { wait?: boolean; wait_timeout_s?: number };

/** What the preview shows: every machine the cluster will take, and what will be done to it. */
export async function planCreate(args: CreateArgs, ctx: ToolContext): Promise<TakePlan> {
  const { deps } = ctx;
  const what = `create cluster ${args.name}`;
  if (!deps.vault)
    throw new ToolError(`cannot ${what}: maas-mcp has no key to seal the cluster's secrets with`);
  const existing = await deps.store.getCluster(args.name);
  if (existing) {
    throw new ToolError(`cannot ${what}: it exists; pick another name, or cluster_delete it first`);
  }
  await checkNetworks(args, ctx, what);
  const held = await heldMachines(deps, ctx.signal);
  const marked = held.filter((m) => marksOf(m)?.cluster === args.name);
  if (marked.length) {
    throw new ToolError(
      `cannot ${what}: ${marked.map((m) => m.hostname).join(', ')} still hold its owner data; cluster_get rebuilds that cluster, cluster_delete gives them back`,
    );
  }
  const cp = args.control_planes;
  const base = `deploy ${args.distro_series}, Kubernetes ${args.kubernetes_version}`;
  const endpoint = cp > 1 ? `API at ${endpointLabel(args.name)}` : 'API at its address';
  return planTake(
    [
      {
        role: 'control-plane',
        spec: roleSpec(args, 'control-plane'),
        count: cp,
        firstIndex: 0,
        effect: (i) =>
          i === 0
            ? `control plane 1 of ${cp}: allocate, ${base}, run kubeadm init (${endpoint})`
            : `control plane ${i + 1} of ${cp}: allocate, ${base}, kubeadm join --control-plane`,
      },
      {
        role: 'worker',
        spec: roleSpec(args, 'worker'),
        count: args.workers,
        firstIndex: 0,
        effect: (i) => `worker ${i + 1} of ${args.workers}: allocate, ${base}, kubeadm join`,
      },
    ],
    ctx,
    what,
  );
}

/** The pod and service networks must not overlap each other, nor a network MAAS manages. */
async function checkNetworks(args: CreateArgs, ctx: ToolContext, what: string): Promise<void> {
  const pods = parseCidr(args.pod_cidr);
  const services = parseCidr(args.service_cidr);
  if (!pods || !services) throw new ToolError(`cannot ${what}: pod_cidr and service_cidr must be IPv4 CIDRs`);
  if (cidrsOverlap(pods, services)) {
    throw new ToolError(
      `cannot ${what}: pod_cidr ${args.pod_cidr} overlaps service_cidr ${args.service_cidr}`,
    );
  }
  for (const s of await ctx.deps.maas.subnets({ signal: ctx.signal })) {
    const net = parseCidr(s.cidr);
    if (!net) continue;
    for (const [field, mine] of [
      ['pod_cidr', pods],
      ['service_cidr', services],
    ] as const) {
      if (cidrsOverlap(net, mine)) {
        throw new ToolError(
          `cannot ${what}: ${field} ${args[field]} overlaps MAAS subnet ${s.cidr}${s.name && s.name !== s.cidr ? ` (${s.name})` : ''}: pick a range the machines' networks do not use`,
        );
      }
    }
  }
}

export interface Failure {
  step: string;
  error: string;
}

/** Carries out a confirmed plan. */
export async function runCreate(args: CreateArgs, plan: TakePlan, ctx: RunContext): Promise<ClusterOutcome> {
  const { deps } = ctx;
  const vault = deps.vault;
  if (!vault) throw new Error('internal: no vault');
  const me = (await deps.maas.me({ signal: ctx.signal })).username;
  const now = deps.clock.now();
  const made = await newClusterSecrets(now);
  const uid = randomHex(6);
  const record: ClusterRecord = {
    name: args.name,
    uid,
    created_at: now,
    updated_at: now,
    created_by: ctx.principal.id,
    spec: specOf(args),
    endpoint: null,
    ca_cert_pem: made.caCertPem,
    ca_cert_hash: made.caCertHash,
    ...(await sealSecrets(vault, made.secrets)),
    token_expires_at: args.join_token_ttl_h === 0 ? null : now + args.join_token_ttl_h * 3_600_000,
    machines: [],
    action: 'create',
    operation_id: null,
    recovered: false,
    problems: [],
    leaks: [],
    reconciled_at: null,
    version: 0,
  };
  try {
    await deps.store.createCluster(record);
  } catch {
    throw new ToolError(`cannot create cluster ${args.name}: it was created meanwhile`);
  }
  ctx.audit.targets = [];
  const taken: Taken[] = [];
  const who = { name: args.name, uid, me, version: args.kubernetes_version, spec: args };
  const failure = await takeMachines(who, plan.picks, taken, ctx);
  if (failure)
    return giveBack(
      args.name,
      taken.map((t) => t.machine),
      failure,
      ctx,
    );

  const endpoint = await makeEndpoint(args, ctx);
  if (endpoint && 'step' in endpoint)
    return giveBack(
      args.name,
      taken.map((t) => t.machine),
      endpoint,
      ctx,
    );
  return deploy(args, record, made.secrets, taken, endpoint, ctx);
}

/** The spec as the record keeps it (plain JSON). */
function specOf(args: CreateArgs): Record<string, unknown> {
  const { wait: _w, wait_timeout_s: _t, ...spec } = args as CreateArgs & { confirm_token?: string };
  delete (spec as { confirm_token?: string }).confirm_token;
  return JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
}

/** A machine a call took for a cluster, and why. */
export interface Taken {
  pick: Chosen;
  machine: MachineSummary;
}

/** Whose machines are being taken. */
export interface Taker {
  name: string;
  uid: string;
  /** The MAAS user of the API key. */
  me: string;
  version: string;
  spec: Pick<ClusterSpec, 'constraints'>;
}

/**
 * Steps 2–3: lay out, allocate, record, mark and configure each pick; the first failure stops it. `taken` ends up
 * holding every machine MAAS allocated, recorded or not, for the caller to give back.
 */
export async function takeMachines(
  c: Taker,
  picks: readonly Chosen[],
  taken: Taken[],
  ctx: RunContext,
): Promise<Failure | undefined> {
  const { deps } = ctx;
  const now = deps.clock.now();
  const mine = taken.length;
  for (const pick of picks) {
    const host = pick.machine.hostname;
    if (pick.storage) {
      const r = await applyStoragePlan(
        deps.maas.http,
        pick.machine.system_id,
        pick.storage.host,
        pick.storage.plan.steps,
        {
          signal: ctx.signal,
        },
      );
      if (r.failed) return { step: `lay out ${host}'s storage (${r.failed.step})`, error: r.failed.error };
    }
    const constraints = allocationConstraints(roleSpec(c.spec, pick.role), pick.role);
    const got = await allocateOne(pick.machine.system_id, constraints, c, ctx);
    // A machine MAAS allocated without saying so is given back with the rest.
    for (const extra of got.alsoHeld) {
      if (!taken.some((t) => t.machine.system_id === extra.system_id)) taken.push({ pick, machine: extra });
    }
    if (!got.machine) return { step: `allocate ${host}`, error: allocationError(host, got.error, ctx) };
    const entry = machineEntry(got.machine, pick.role, pick.index, 'allocated', now);
    try {
      await saveCluster(deps, c.name, (r) => ({ ...r, machines: [...r.machines, entry] }));
    } catch (err) {
      // The record cannot hold it: give it back at once, before anything else (the seed's "release on error").
      await releaseEach([got.machine], false, `maas-mcp: cluster ${c.name} could not record it`, ctx);
      return {
        step: `record ${host} in cluster ${c.name}'s record`,
        error: describeError(err, deps.secrets, deps.log),
      };
    }
    taken.push({ pick, machine: got.machine });
    ctx.audit.targets?.push({
      system_id: entry.system_id,
      hostname: host,
      before: 'Ready',
      after: 'Allocated',
    });
  }
  const tag = clusterTag(c.name);
  const fresh = taken.slice(mine);
  try {
    await ensureTag(c.name, ctx);
    await deps.maas.updateTagNodes(
      tag,
      { add: fresh.map((t) => t.machine.system_id) },
      { signal: ctx.signal },
    );
  } catch (err) {
    return { step: `tag the machines ${tag}`, error: describeError(err, deps.secrets, deps.log) };
  }
  for (const t of fresh) {
    try {
      await deps.maas.setWorkloadAnnotations(
        t.machine.system_id,
        ownerPairs({ name: c.name, uid: c.uid, version: c.version }, t.pick),
        { signal: ctx.signal },
      );
    } catch (err) {
      return {
        step: `set ${t.machine.hostname}'s owner data`,
        error: describeError(err, deps.secrets, deps.log),
      };
    }
  }
  for (const t of fresh) {
    const net = t.pick.network;
    if (!net) continue;
    const r = await applyNetworkPlan(deps.maas.http, t.machine.system_id, net.interfaces, net.plan.steps, {
      signal: ctx.signal,
    });
    if (r.failed)
      return { step: `configure ${t.machine.hostname}'s network (${r.failed.step})`, error: r.failed.error };
  }
  return undefined;
}

type Endpoint = ClusterRecord['endpoint'] & object;

/** Several control planes: their DNS name, made now without addresses (they come when the control planes deploy). */
async function makeEndpoint(
  args: CreateArgs,
  ctx: RunContext,
): Promise<Endpoint | { step: string; error: string } | null> {
  if (args.control_planes === 1) return null;
  const { deps } = ctx;
  try {
    const domain =
      (await domains(deps.maas.http, { signal: ctx.signal })).find((d) => d.is_default)?.name ?? 'maas';
    const r = await createDnsResource(
      deps.maas.http,
      { name: endpointLabel(args.name), domain, ips: [] },
      { signal: ctx.signal },
    );
    const endpoint: Endpoint = { host: r.fqdn, port: API_PORT, kind: 'dns', dns_resource_id: r.id };
    await saveCluster(deps, args.name, (c) => ({ ...c, endpoint }));
    return endpoint;
  } catch (err) {
    return {
      step: `make the DNS name ${endpointLabel(args.name)} for the API`,
      error: describeError(err, deps.secrets, deps.log),
    };
  }
}

/**
 * Step 4: gives back the machines a call took and says so. The record lists them as releasing; those MAAS has
 * released leave it, and for a create (`whole`) the record goes with the last of them (or, if MAAS is slow to
 * release, the reconciler removes it once it has). A machine MAAS would not release stays listed, failed, with what
 * to do. Always throws: what was asked was not done.
 */
export async function giveBack(
  name: string,
  machines: readonly MachineSummary[],
  failure: Failure,
  ctx: RunContext,
  opts: { whole: boolean; what: string } = { whole: true, what: `create cluster ${name}` },
): Promise<never> {
  const { deps } = ctx;
  const what = `cannot ${opts.what}: ${failure.step} failed: ${failure.error}`;
  const ids = new Set(machines.map((m) => m.system_id));
  await saveCluster(deps, name, (c) => ({
    ...c,
    ...(opts.whole ? { action: 'delete' as const } : {}),
    machines: c.machines.map((m) => (ids.has(m.system_id) ? { ...m, phase: 'releasing' as const } : m)),
  })).catch(() => undefined);
  const { outcomes, released } = await releaseUntag(
    name,
    machines,
    false,
    `maas-mcp: ${opts.what} failed`,
    ctx,
  );
  const kept = outcomes.flatMap((o) => (o.ok ? [] : [o.row]));
  const rec = await deps.store.getCluster(name).catch(() => undefined);
  if (opts.whole && rec?.endpoint?.dns_resource_id != null) {
    await deleteDnsResource(deps.maas.http, rec.endpoint.dns_resource_id, { signal: ctx.signal }).catch(
      () => undefined,
    );
  }
  const after = released.length
    ? await deps.maas.listMachines({ id: released }, { signal: ctx.signal }).catch(() => [])
    : [];
  const done = new Set(after.filter((m) => !m.owner).map((m) => m.system_id));
  await saveCluster(deps, name, (c) => {
    const machines = c.machines
      .filter((m) => !done.has(m.system_id))
      .map((m) => {
        const refused = kept.find((k) => k.system_id === m.system_id);
        return refused ? { ...m, phase: 'failed' as const, error: refused.error } : m;
      });
    // Everything is back: a cluster that was being created goes. Otherwise it keeps what MAAS still holds.
    if (opts.whole) return machines.length === 0 ? null : { ...c, machines, endpoint: null };
    return { ...c, machines };
  }).catch(() => undefined);
  const names = machines.map((m) => m.hostname);
  const targets = machines.map((m) => ({
    system_id: m.system_id,
    hostname: m.hostname,
    before: 'Ready',
    outcome: released.includes(m.system_id) ? 'given back' : 'not given back',
  }));
  const asWas = opts.whole ? '' : ` Cluster ${name} is as it was.`;
  if (kept.length === 0) {
    throw new ToolError(
      `${what}. ${names.length ? `Gave back the ${names.length} machine${names.length === 1 ? '' : 's'} it had taken (${names.join(', ')}): nothing is held.` : 'Nothing had been taken.'}${asWas}`,
      { result: 'failed', targets },
    );
  }
  throw new ToolError(
    `${what}. Could not give back ${kept.map((k) => `${k.hostname} (${k.error})`).join('; ')}: ${kept.length === 1 ? 'it stays' : 'they stay'} listed in cluster ${name}, so nothing is lost — give ${kept.length === 1 ? 'it' : 'them'} back with ${opts.whole ? `cluster_delete {"name": "${name}"}` : `cluster_scale {"name": "${name}", "remove": [${kept.map((k) => `"${k.hostname}"`).join(', ')}], …}`} once the cause is fixed.`,
    { result: 'partial', targets },
  );
}

/** The user data of machine `t` of cluster `c`: its role, its place, and the secrets it needs (no more). */
export function userDataFor(
  c: Pick<ClusterRecord, 'name' | 'uid' | 'ca_cert_pem' | 'ca_cert_hash'>,
  spec: ClusterSpec,
  secrets: ClusterSecrets,
  t: Taken,
  first: boolean,
  endpoint: string | undefined,
): string {
  return renderUserData({
    cluster: c.name,
    uid: c.uid,
    role: t.pick.role,
    first,
    index: t.pick.index,
    kubernetesVersion: spec.kubernetes_version,
    endpoint,
    certSans: t.machine.fqdn ? [t.machine.fqdn] : [],
    podCidr: spec.pod_cidr,
    serviceCidr: spec.service_cidr,
    caCertPem: c.ca_cert_pem ?? '',
    caCertHash: c.ca_cert_hash ?? '',
    tokenTtlH: spec.join_token_ttl_h,
    ha: spec.control_planes > 1,
    secrets,
  });
}

/** Steps 5–6: deploy the control planes, then the workers, and follow them. */
async function deploy(
  args: CreateArgs,
  record: ClusterRecord,
  secrets: ClusterSecrets,
  taken: readonly Taken[],
  dns: Endpoint | null,
  ctx: RunContext,
): Promise<ClusterOutcome> {
  const { deps } = ctx;
  const cps = taken
    .filter((t) => t.pick.role === 'control-plane')
    .sort((a, b) => a.pick.index - b.pick.index);
  const workers = taken.filter((t) => t.pick.role === 'worker');
  const first = cps[0];
  if (!first) throw new Error('internal: a cluster without a control plane');
  const node = (t: Taken, endpoint: string | undefined) =>
    userDataFor(record, args, secrets, t, t === first, endpoint);
  const comment = `maas-mcp: cluster ${args.name}`;
  const dnsEndpoint = dns ? `${dns.host}:${dns.port}` : undefined;
  const [firstOutcome] = await deployEach(
    [{ machine: first.machine, userData: node(first, dnsEndpoint) }],
    args.distro_series,
    comment,
    ctx,
  );
  if (!firstOutcome?.ok) {
    // Nothing could join a cluster whose first control plane does not deploy: give everything back.
    return giveBack(
      args.name,
      taken.map((t) => t.machine),
      {
        step: `deploy the first control plane ${first.machine.hostname}`,
        error: firstOutcome ? firstOutcome.row.error : 'no answer',
      },
      ctx,
    );
  }
  const firstNow = firstOutcome.after ?? first.machine;
  const endpoint: Endpoint =
    dns ??
    (firstNow.ip_addresses[0]
      ? { host: firstNow.ip_addresses[0], port: API_PORT, kind: 'ip', dns_resource_id: null }
      : { host: firstNow.fqdn || first.machine.fqdn, port: API_PORT, kind: 'fqdn', dns_resource_id: null });
  const at = `${endpoint.host}:${endpoint.port}`;
  const others = await deployEach(
    [...cps.slice(1), ...workers].map((t) => ({ machine: t.machine, userData: node(t, at) })),
    args.distro_series,
    comment,
    ctx,
  );
  const outcomes = [firstOutcome, ...others];
  const problems: string[] = [];
  if (dns?.dns_resource_id != null) {
    const ips = outcomes.flatMap((o, i) =>
      o.ok && i < cps.length ? ((o.after?.ip_addresses ?? []).slice(0, 1) as string[]) : [],
    );
    try {
      await setDnsResourceIps(deps.maas.http, dns.dns_resource_id, ips, { signal: ctx.signal });
    } catch (err) {
      problems.push(
        `DNS name ${dns.host} has no addresses (${describeError(err, deps.secrets, deps.log)}): set ${ips.join(' ')} on MAAS DNS resource ${dns.dns_resource_id}`,
      );
    }
  }
  return followOperation(
    {
      name: args.name,
      action: 'create',
      summary: `create cluster ${args.name} (${shape(cps.length, workers.length)}, Kubernetes ${args.kubernetes_version})`,
      judgeAs: 'deploy',
      machines: [first, ...cps.slice(1), ...workers].map((t) => t.machine),
      outcomes,
      before: () => 'Allocated',
      update: (c): ClusterRecord => ({ ...c, endpoint, problems: [...c.problems, ...problems] }),
      entryFor: deployingEntry,
      wait: args.wait === true,
      waitTimeoutS: args.wait_timeout_s,
    },
    ctx,
  );
}
