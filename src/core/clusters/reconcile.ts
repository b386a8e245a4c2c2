/**
 * The reconciler (README "Kubernetes clusters"): compares each cluster record with what MAAS says — one request,
 * every machine this MAAS user holds with its owner data — and brings the record up to date: each machine's phase
 * and MAAS's reason when it failed, machines released (a delete's, or outside maas-mcp), the end of the operation
 * it was waiting for, and machines carrying the cluster's owner data that the record does not list: leaked, held
 * and nobody's, reported with a one-step fix. A record whose machines are all released after a delete goes; a
 * cluster whose record was lost is rebuilt from its machines. Run by `cluster_get`, `clusters_list` and the
 * poller.
 */
import { domains, findDnsResource, type MarkedMachine, markedMachines } from '../../maas/clusters.ts';
import type { ClusterMachine, ClusterRecord, LeakedMachine } from '../../store/clusters.ts';
import { FINAL_STATES, type Operation } from '../../store/types.ts';
import type { Deps } from '../deps.ts';
import { marksOf, phaseOf, reasonOf, rebuildRecord } from './mapping.ts';
import { saveCluster } from './record.ts';
import { API_PORT, endpointLabel } from './spec.ts';

/** How long a create may go without a word before its record says it was interrupted. */
export const STALE_CREATE_MS = 15 * 60_000;

/** Every machine this MAAS user holds, with its owner data: one request for all clusters. */
export async function heldMachines(deps: Deps, signal?: AbortSignal): Promise<MarkedMachine[]> {
  const me = await deps.maas.me({ signal });
  return markedMachines(deps.maas.http, { owner: [me.username] }, { signal });
}

/** The command that gives leaked machines back, MCP first, then Slack. */
export function releaseFix(hostnames: readonly string[]): string {
  return `machine_release {"machines": ${JSON.stringify(hostnames)}} (Slack: /maas release ${hostnames.join(' ')})`;
}

/** Where an operation stands, read once. */
async function operationOf(deps: Deps, id: string | null): Promise<Operation | undefined> {
  return id ? deps.store.getOperation(id) : undefined;
}

/** Whether the record's operation is still going (running, or held for approval). */
export function isLive(op: Operation | undefined): boolean {
  return op !== undefined && !FINAL_STATES.has(op.state);
}

/**
 * Brings cluster `name`'s record up to date with `held` (from {@link heldMachines}). Answers the record as saved,
 * or undefined when there is none (any more).
 */
export async function reconcileCluster(
  deps: Deps,
  name: string,
  held: readonly MarkedMachine[],
  signal?: AbortSignal,
): Promise<ClusterRecord | undefined> {
  const before = await deps.store.getCluster(name);
  if (!before) return undefined;
  const op = await operationOf(deps, before.operation_id);
  const heldById = new Map(held.map((m) => [m.system_id, m]));
  // Machines of the record MAAS no longer shows this user holding: read once, to say what became of them.
  const gone = before.machines.filter((m) => !heldById.has(m.system_id)).map((m) => m.system_id);
  const elsewhere = gone.length ? await deps.maas.listMachines({ id: gone }, { signal }) : [];
  const now = deps.clock.now();
  return saveCluster(deps, name, (c) => {
    if (c.uid !== before.uid) return c;
    const problems = c.problems.filter((p) => !p.startsWith('left the cluster:'));
    const machines: ClusterMachine[] = [];
    for (const m of c.machines) {
      const h = heldById.get(m.system_id);
      if (h) {
        const phase = phaseOf(h, m.phase);
        const failedEvents = failureOf(op, m.system_id);
        machines.push({
          ...m,
          phase,
          status: h.status_name,
          ip_addresses: h.ip_addresses.length ? [...h.ip_addresses] : m.ip_addresses,
          updated_at: now,
          ...(phase === 'failed' ? { error: failedEvents ?? m.error ?? reasonOf(h) } : { error: undefined }),
        });
        continue;
      }
      // MAAS released it (owner data cleared): it leaves the record.
      if (m.phase === 'releasing') continue;
      if (!gone.includes(m.system_id)) {
        machines.push(m);
        continue;
      }
      const now_ = elsewhere.find((x) => x.system_id === m.system_id);
      problems.push(
        `left the cluster: ${m.hostname} (${m.role}) is ${now_ ? `${now_.status_name}, owner ${now_.owner ?? 'none'}` : 'gone from MAAS'}`,
      );
    }
    const listed = new Set(machines.map((m) => m.system_id));
    const leaks: LeakedMachine[] = held.flatMap((h) => {
      const marks = marksOf(h);
      if (!marks || marks.cluster !== c.name) return [];
      if (marks.uid === c.uid && listed.has(h.system_id)) return [];
      const why =
        marks.uid !== c.uid
          ? `owner data of an earlier ${c.name} (uid ${marks.uid})`
          : `${c.name}'s owner data, not in its record`;
      const found = c.leaks.find((l) => l.system_id === h.system_id)?.found_at ?? now;
      return [{ system_id: h.system_id, hostname: h.hostname, status: h.status_name, why, found_at: found }];
    });
    for (const l of leaks) {
      if (!c.leaks.some((x) => x.system_id === l.system_id)) {
        deps.log.warn('a machine carries a cluster’s owner data that its record does not list', {
          cluster: c.name,
          machine: l.hostname,
          why: l.why,
        });
      }
    }
    let action = c.action;
    const opEnded = c.operation_id !== null && !isLive(op);
    if (opEnded && action !== 'delete') action = null;
    if (action === 'create' && !op && now - c.updated_at > STALE_CREATE_MS && !problems.some(isInterrupted)) {
      problems.push(`${INTERRUPTED}: cluster_delete gives its machines back`);
    }
    // A delete is over once MAAS has released every machine: the record goes with the last of them.
    if (action === 'delete' && machines.length === 0) return null;
    return { ...c, machines, problems, leaks, action, reconciled_at: now };
  });
}

const INTERRUPTED = 'its creation was interrupted';
const isInterrupted = (p: string) => p.startsWith(INTERRUPTED);

/** MAAS's reason and newest events for a machine the operation saw fail. */
function failureOf(op: Operation | undefined, systemId: string): string | undefined {
  const t = op?.targets.find((x) => x.system_id === systemId);
  if (!t || t.result === 'succeeded' || t.result === 'pending') return undefined;
  return t.error ?? `it ended ${t.status}`;
}

/** The endpoint of a cluster rebuilt from MAAS: its DNS name if MAAS has one for it, else its first control plane. */
async function endpointOnMaas(
  deps: Deps,
  name: string,
  machines: readonly MarkedMachine[],
  signal?: AbortSignal,
): Promise<ClusterRecord['endpoint']> {
  const cps = machines
    .filter((m) => marksOf(m)?.cluster === name && marksOf(m)?.role === 'control-plane')
    .sort((a, b) => (marksOf(a)?.index ?? 0) - (marksOf(b)?.index ?? 0));
  if (cps.length > 1) {
    const domain = (await domains(deps.maas.http, { signal })).find((d) => d.is_default)?.name;
    const fqdn = domain ? `${endpointLabel(name)}.${domain}` : undefined;
    const r = fqdn ? await findDnsResource(deps.maas.http, fqdn, { signal }) : undefined;
    if (r && fqdn) return { host: fqdn, port: API_PORT, kind: 'dns', dns_resource_id: r.id };
  }
  const ip = cps[0]?.ip_addresses[0];
  return ip ? { host: ip, port: API_PORT, kind: 'ip', dns_resource_id: null } : null;
}

/**
 * Cluster `name`'s record rebuilt from MAAS and stored, when the store has none but machines carry its owner data;
 * undefined when MAAS has none either.
 */
export async function recoverCluster(
  deps: Deps,
  name: string,
  held: readonly MarkedMachine[],
  signal?: AbortSignal,
): Promise<ClusterRecord | undefined> {
  if (!held.some((m) => marksOf(m)?.cluster === name)) return undefined;
  const endpoint = await endpointOnMaas(deps, name, held, signal);
  const rebuilt = rebuildRecord(name, held, endpoint, deps.clock.now());
  if (!rebuilt) return undefined;
  try {
    await deps.store.createCluster(rebuilt);
    deps.log.warn('rebuilt a cluster record from the owner data on its machines', {
      cluster: name,
      machines: rebuilt.machines.length,
    });
  } catch {
    // Someone made (or rebuilt) it meanwhile: theirs stands.
  }
  return reconcileCluster(deps, name, held, signal);
}

/**
 * Reconciles every cluster with one read of MAAS, and rebuilds the record of any cluster whose machines carry its
 * owner data but that the store does not know (a lost database). Answers the records as they now stand.
 */
export async function reconcileAll(deps: Deps, signal?: AbortSignal): Promise<ClusterRecord[]> {
  const held = await heldMachines(deps, signal);
  const names = new Set((await deps.store.listClusters()).map((c) => c.name));
  for (const m of held) {
    const marks = marksOf(m);
    if (marks) names.add(marks.cluster);
  }
  const out: ClusterRecord[] = [];
  for (const name of [...names].sort()) {
    const known = await deps.store.getCluster(name);
    const rec = known
      ? await reconcileCluster(deps, name, held, signal)
      : await recoverCluster(deps, name, held, signal);
    if (rec) out.push(rec);
  }
  return out;
}
