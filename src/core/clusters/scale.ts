/**
 * Adding and removing workers (README "Kubernetes clusters"). Adding takes machines as a create does — allocate,
 * record, mark, then deploy with a worker's user data — and a failure before the deploys gives back only the new
 * machines. Removing is held for confirmation: the preview names the workers that go — those that failed first,
 * then those not yet deployed, then the newest — or the ones `remove` names; MAAS releases them and they leave the
 * record once released.
 */
import type { MachineSummary } from '../../maas/schemas.ts';
import type { ClusterMachine, ClusterRecord } from '../../store/clusters.ts';
import type { RunContext, ToolContext } from '../deps.ts';
import { InputError, ToolError } from '../errors.ts';
import { machineSnapshot, type PreviewRow, previewRow } from '../plan.ts';
import { type Failure, giveBack, type Taken, takeMachines, userDataFor } from './create.ts';
import { type ClusterOutcome, deployingEntry, followOperation, followRelease } from './follow.ts';
import { deployEach, readMachines, releaseUntag } from './machines.ts';
import type { TakePlan } from './picks.ts';
import { planTake } from './picks.ts';
import { STALE_CREATE_MS } from './reconcile.ts';
import { requireCluster, saveCluster, shape } from './record.ts';
import { type ClusterSecrets, openSecrets, sealSecrets, TOKEN_PATTERN } from './secrets.ts';
import { readSpec, roleSpec } from './spec.ts';
import { clusterView } from './view.ts';

export interface ScaleArgs {
  name: string;
  workers: number;
  remove?: string[] | undefined;
  erase?: boolean | undefined;
  join_token?: string | undefined;
  wait?: boolean;
  wait_timeout_s?: number;
}

/** A scale's plan: the machines to take (up) or to give back (down). */
export interface ScalePlan extends TakePlan {
  direction: 'up' | 'down' | 'none';
  /** Down: the workers that go, as MAAS has them now. */
  removing: MachineSummary[];
}

/** A join token must outlive the deploy of the new workers. */
const TOKEN_MARGIN_MS = 45 * 60_000;

/** The workers the record counts (those being released are leaving). */
const workersOf = (c: ClusterRecord) =>
  c.machines.filter((m) => m.role === 'worker' && m.phase !== 'releasing');

/**
 * Refuses a cluster that is being deleted, or whose create is still taking machines. A cluster whose machines are
 * still deploying can be scaled: its machines are all in the record, and each operation follows its own machines.
 */
export function refuseBusy(c: ClusterRecord, ctx: ToolContext, what: string): void {
  if (c.action === 'delete')
    throw new ToolError(`cannot ${what}: it is being deleted (cluster_delete finishes it)`);
  if (takingMachines(c, ctx.deps.clock.now())) {
    throw new ToolError(`cannot ${what}: it is still taking its machines; try again in a minute`);
  }
}

/** A create or scale-up still allocating and marking machines (no operation yet), and not given up on. */
export function takingMachines(c: ClusterRecord, now: number): boolean {
  return (
    (c.action === 'create' || c.action === 'scale_up') &&
    c.operation_id === null &&
    now - c.updated_at < STALE_CREATE_MS
  );
}

/** Which workers go when the cluster shrinks by `n`: failed ones first, then those not deployed, then the newest. */
export function chooseRemovals(workers: readonly ClusterMachine[], n: number): ClusterMachine[] {
  const rank = (m: ClusterMachine) => (m.phase === 'failed' ? 0 : m.phase === 'deployed' ? 2 : 1);
  return [...workers]
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        b.added_at - a.added_at ||
        b.index - a.index ||
        b.hostname.localeCompare(a.hostname),
    )
    .slice(0, n);
}

export async function planScale(args: ScaleArgs, ctx: ToolContext): Promise<ScalePlan> {
  const c = await requireCluster(ctx.deps, args.name);
  const what = `scale cluster ${c.name}`;
  refuseBusy(c, ctx, what);
  const workers = workersOf(c);
  const none = {
    direction: 'none' as const,
    removing: [],
    picks: [],
    rows: [],
    missing: [],
    confirm: false,
    snapshot: [],
  };
  if (args.workers > workers.length) {
    if (args.remove?.length) throw new InputError('remove: lower workers by as many');
    await secretsForJoin(c, args, ctx, what);
    const spec = readSpec(c.spec);
    const next = Math.max(-1, ...workers.map((w) => w.index)) + 1;
    const plan = await planTake(
      [
        {
          role: 'worker',
          spec: roleSpec(spec, 'worker'),
          count: args.workers - workers.length,
          firstIndex: next,
          effect: () => `add as a worker of ${c.name}: allocate, deploy, kubeadm join`,
        },
      ],
      ctx,
      what,
    );
    return { ...plan, direction: 'up', removing: [] };
  }
  const n = workers.length - args.workers;
  if (n === 0) {
    if (args.remove?.length) throw new InputError('remove: lower workers by as many');
    return none;
  }
  let going: ClusterMachine[];
  if (args.remove?.length) {
    going = args.remove.map((ref) => {
      const w = workers.find((m) => m.hostname === ref || m.system_id === ref);
      if (!w) {
        throw new InputError(
          `remove: ${ref} is not a worker of ${c.name} (its workers: ${workers.map((m) => m.hostname).join(', ') || 'none'})`,
        );
      }
      return w;
    });
    if (new Set(going.map((g) => g.system_id)).size !== going.length)
      throw new InputError('remove: a worker is named twice');
    if (going.length !== n) {
      throw new InputError(
        `remove: ${going.length} named, but ${workers.length} → ${args.workers} workers removes ${n}`,
      );
    }
  } else going = chooseRemovals(workers, n);
  const now = await readMachines(going, ctx);
  const erase = args.erase ? ', erasing its disks' : '';
  const rows: PreviewRow[] = going.map((g) => {
    const m = now.find((x) => x.system_id === g.system_id);
    const why =
      g.phase === 'failed'
        ? 'it failed'
        : g.phase === 'deployed'
          ? 'the newest deployed worker'
          : `it is ${g.phase}`;
    const effect = `remove from ${c.name} (${why}): release it${erase}; kubectl drain it first`;
    return m
      ? previewRow(m, 'run', effect)
      : {
          hostname: g.hostname,
          system_id: g.system_id,
          status: 'gone',
          power: 'unknown',
          owner: null,
          locked: false,
          verdict: 'skip' as const,
          effect: 'no longer in MAAS: it only leaves the record',
        };
  });
  const snapshot = now.map((m) =>
    machineSnapshot(m, rows.find((r) => r.system_id === m.system_id) as PreviewRow),
  );
  return { direction: 'down', removing: now, picks: [], rows, missing: [], confirm: true, snapshot };
}

/** The secrets a new worker needs, with the join token it will use; refuses what cannot join. */
async function secretsForJoin(
  c: ClusterRecord,
  args: ScaleArgs,
  ctx: ToolContext,
  what: string,
): Promise<ClusterSecrets> {
  if (!c.ca_cert_hash || !c.endpoint) {
    throw new ToolError(
      `cannot ${what}: its ${c.endpoint ? 'CA' : 'API endpoint'} is not known, so no worker could join`,
    );
  }
  const secrets = await openSecrets(ctx.deps.vault, c, `add workers to ${c.name}`);
  if (args.join_token !== undefined) {
    if (!TOKEN_PATTERN.test(args.join_token)) {
      throw new InputError('join_token: expected a kubeadm token like abcdef.0123456789abcdef');
    }
    return { ...secrets, token: args.join_token };
  }
  const now = ctx.deps.clock.now();
  if (c.token_expires_at !== null && c.token_expires_at - TOKEN_MARGIN_MS < now) {
    throw new ToolError(
      `cannot ${what}: its join token expire${c.token_expires_at < now ? 'd' : 's'} at ${new Date(c.token_expires_at).toISOString()}; pass a fresh one (kubeadm token create on a control plane) as join_token`,
    );
  }
  return secrets;
}

export async function runScale(args: ScaleArgs, plan: ScalePlan, ctx: RunContext): Promise<ClusterOutcome> {
  const { deps } = ctx;
  const c = await requireCluster(deps, args.name);
  if (plan.direction === 'none') {
    ctx.audit.nothingWritten = true;
    return {
      status: 'done',
      action: 'cluster scale',
      summary: `cluster ${c.name} already has ${args.workers} worker${args.workers === 1 ? '' : 's'}: nothing to do`,
      cluster: clusterView(c, false),
      failed: [],
    };
  }
  return plan.direction === 'up' ? scaleUp(c, args, plan, ctx) : scaleDown(c, args, plan, ctx);
}

async function scaleUp(
  c: ClusterRecord,
  args: ScaleArgs,
  plan: ScalePlan,
  ctx: RunContext,
): Promise<ClusterOutcome> {
  const { deps } = ctx;
  const what = `add workers to cluster ${c.name}`;
  const secrets = await secretsForJoin(c, args, ctx, what);
  const spec = readSpec(c.spec);
  const me = (await deps.maas.me({ signal: ctx.signal })).username;
  // The new count is the cluster's once nothing above refused.
  await saveCluster(deps, c.name, (r) => ({
    ...r,
    action: 'scale_up',
    spec: { ...r.spec, workers: args.workers },
  }));
  ctx.audit.targets = [];
  const taken: Taken[] = [];
  const failure: Failure | undefined = await takeMachines(
    { name: c.name, uid: c.uid, me, version: spec.kubernetes_version, spec },
    plan.picks,
    taken,
    ctx,
  );
  if (failure) {
    await saveCluster(deps, c.name, (r) => ({
      ...r,
      action: null,
      spec: { ...r.spec, workers: workersOf(c).length },
    }));
    return giveBack(
      c.name,
      taken.map((t) => t.machine),
      failure,
      ctx,
      { whole: false, what },
    );
  }
  if (args.join_token !== undefined) {
    // The token the caller made: kept sealed for the next workers, as kubeadm's default lifetime allows.
    const vault = deps.vault;
    if (vault) {
      const sealed = await sealSecrets(vault, secrets);
      await saveCluster(deps, c.name, (r) => ({
        ...r,
        ...sealed,
        token_expires_at: deps.clock.now() + 23 * 3_600_000,
      }));
    }
  }
  const endpoint = c.endpoint ? `${c.endpoint.host}:${c.endpoint.port}` : undefined;
  const outcomes = await deployEach(
    taken.map((t) => ({ machine: t.machine, userData: userDataFor(c, spec, secrets, t, false, endpoint) })),
    spec.distro_series,
    `maas-mcp: cluster ${c.name}`,
    ctx,
  );
  const counts = workersOf(c).length;
  return followOperation(
    {
      name: c.name,
      action: 'scale_up',
      summary: `scale cluster ${c.name} from ${shape(c.machines.filter((m) => m.role === 'control-plane').length, counts)} to ${args.workers} workers`,
      judgeAs: 'deploy',
      machines: taken.map((t) => t.machine),
      outcomes,
      before: () => 'Allocated',
      entryFor: deployingEntry,
      wait: args.wait === true,
      waitTimeoutS: args.wait_timeout_s,
    },
    ctx,
  );
}

async function scaleDown(
  c: ClusterRecord,
  args: ScaleArgs,
  plan: ScalePlan,
  ctx: RunContext,
): Promise<ClusterOutcome> {
  const { deps } = ctx;
  const going = plan.removing;
  const ids = new Set(going.map((m) => m.system_id));
  // Workers MAAS no longer has only leave the record.
  const vanished = plan.rows.filter((r) => r.verdict === 'skip').map((r) => r.system_id);
  await saveCluster(deps, c.name, (r) => ({
    ...r,
    action: 'scale_down',
    spec: { ...r.spec, workers: args.workers },
    machines: r.machines
      .filter((m) => !vanished.includes(m.system_id))
      .map((m) => (ids.has(m.system_id) ? { ...m, phase: 'releasing' as const } : m)),
  }));
  const { outcomes } = await releaseUntag(
    c.name,
    going,
    args.erase === true,
    `maas-mcp: removed from ${c.name}`,
    ctx,
  );
  return followRelease(
    {
      name: c.name,
      action: 'scale_down',
      summary: `scale cluster ${c.name} down to ${args.workers} worker${args.workers === 1 ? '' : 's'}`,
      machines: going,
      outcomes,
    },
    args,
    ctx,
  );
}
