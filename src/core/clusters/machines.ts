/**
 * What a cluster does to its machines on MAAS: allocate one by system_id under the role's constraints, mark it
 * (owner data and tag), deploy it with its user data, release it. Deploys and releases run 8 at a time, and a write
 * MAAS did not answer is judged on one batched re-read, never sent again blindly (core/perform.ts).
 */
import { base64Text } from '../../base/der.ts';
import { markedMachines } from '../../maas/clusters.ts';
import { MaasBadRequestError, MaasConflictError, MaasNetworkError } from '../../maas/errors.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import { NodeStatus as S } from '../../maas/status.ts';
import type { ClusterMachine } from '../../store/clusters.ts';
import type { ToolContext } from '../deps.ts';
import { describeError, ToolError } from '../errors.ts';
import { type Outcome, performAll } from '../perform.ts';
import { agentName, clusterTag } from './spec.ts';

/** Deploys each machine with its own user data. */
export function deployEach(
  items: readonly { machine: MachineSummary; userData: string }[],
  distro: string,
  comment: string,
  ctx: ToolContext,
): Promise<Outcome[]> {
  const data = new Map(items.map((i) => [i.machine.system_id, i.userData]));
  return performAll(
    {
      phrase: 'deploy',
      perform: (m) =>
        ctx.deps.maas.machineOp(
          m.system_id,
          'deploy',
          { distro_series: distro, user_data: base64Text(data.get(m.system_id) ?? ''), comment },
          { signal: ctx.signal },
        ),
      tookEffect: (_b, now) => now?.status === S.DEPLOYING || now?.status === S.DEPLOYED,
    },
    items.map((i) => i.machine),
    {},
    ctx,
  );
}

/** Releases each machine (erasing its disks when asked); MAAS clears its owner data when it is released. */
export function releaseEach(
  machines: readonly MachineSummary[],
  erase: boolean,
  comment: string,
  ctx: ToolContext,
): Promise<Outcome[]> {
  return performAll(
    {
      phrase: 'release',
      perform: (m) =>
        m.status === S.READY || m.status === S.RELEASING || m.status === S.DISK_ERASING
          ? Promise.resolve(m)
          : ctx.deps.maas.machineOp(
              m.system_id,
              'release',
              { ...(erase ? { erase: 'true' } : {}), comment },
              { signal: ctx.signal },
            ),
      tookEffect: (_b, now) =>
        now === undefined || ([S.RELEASING, S.DISK_ERASING, S.READY, S.NEW] as number[]).includes(now.status),
    },
    machines,
    {},
    ctx,
  );
}

/** Releases each machine and takes cluster `name`'s tag off those MAAS released (a failure there is only logged). */
export async function releaseUntag(
  name: string,
  machines: readonly MachineSummary[],
  erase: boolean,
  comment: string,
  ctx: ToolContext,
): Promise<{ outcomes: Outcome[]; released: string[] }> {
  const outcomes = await releaseEach(machines, erase, comment, ctx);
  const released = outcomes.filter((o) => o.ok).map((o) => o.row.system_id);
  if (released.length) {
    await ctx.deps.maas
      .updateTagNodes(clusterTag(name), { remove: released }, { signal: ctx.signal })
      .catch((err) => ctx.deps.log.warn('could not untag released machines', { cluster: name, error: err }));
  }
  return { outcomes, released };
}

/**
 * Allocates machine `systemId` under `constraints`, with the cluster's agent name. When MAAS did not answer, the
 * machines allocated under that agent name are read back: a machine MAAS did allocate is never left unknown.
 */
export async function allocateOne(
  systemId: string,
  constraints: Record<string, string | number | string[]>,
  c: { name: string; uid: string; me: string },
  ctx: ToolContext,
): Promise<{ machine?: MachineSummary; error?: unknown; alsoHeld: MachineSummary[] }> {
  try {
    const machine = await ctx.deps.maas.allocate(
      {
        ...constraints,
        system_id: systemId,
        agent_name: agentName(c.uid),
        comment: `maas-mcp: cluster ${c.name}`,
      },
      { signal: ctx.signal },
    );
    return { machine, alsoHeld: [] };
  } catch (error) {
    // A refusal MAAS answered (4xx) rolled the whole request back; anything else may have allocated it.
    if (error instanceof MaasConflictError || error instanceof MaasBadRequestError)
      return { error, alsoHeld: [] };
    if (error instanceof MaasNetworkError && !error.mayHaveReachedMaas) return { error, alsoHeld: [] };
    const held = await markedMachines(
      ctx.deps.maas.http,
      { agent_name: [agentName(c.uid)], owner: [c.me] },
      { signal: ctx.signal },
    ).catch(() => undefined);
    if (held === undefined) {
      // An allocation failure like any other, so that the caller gives back what it took before this one.
      const why = `MAAS did not answer the allocation of ${systemId} for cluster ${c.name}, and could not be read back: check machines_list owner=${c.me} for machines allocated under agent name ${agentName(c.uid)}`;
      return { error: new ToolError(why), alsoHeld: [] };
    }
    const got = held.find((m) => m.system_id === systemId);
    return got ? { machine: got, alsoHeld: [] } : { error, alsoHeld: held };
  }
}

/** Why an allocation fell short, in MAAS's words when it gave some. */
export function allocationError(hostname: string, err: unknown, ctx: ToolContext): string {
  if (err instanceof MaasConflictError) {
    return `MAAS could not allocate ${hostname}: ${err.body.trim() ? ctx.deps.secrets.scrub(err.message) : 'it is no longer available'}`;
  }
  return `could not allocate ${hostname}: ${describeError(err, ctx.deps.secrets, ctx.deps.log)}`;
}

/** Creates the cluster's tag if MAAS does not have it (MAAS admins only). */
export async function ensureTag(name: string, ctx: ToolContext): Promise<void> {
  const tag = clusterTag(name);
  const tags = await ctx.deps.maas.tags({ signal: ctx.signal });
  if (tags.some((t) => t.name === tag)) return;
  await ctx.deps.maas.createTag(tag, `maas-mcp: the machines of Kubernetes cluster ${name}`, {
    signal: ctx.signal,
  });
}

/** The machines of `entries` as MAAS has them now (one request), in the order of `entries`. */
export async function readMachines(
  entries: readonly Pick<ClusterMachine, 'system_id'>[],
  ctx: ToolContext,
): Promise<MachineSummary[]> {
  if (entries.length === 0) return [];
  const rows = await ctx.deps.maas.listMachines(
    { id: entries.map((e) => e.system_id) },
    { signal: ctx.signal },
  );
  const byId = new Map(rows.map((m) => [m.system_id, m]));
  return entries.flatMap((e) => {
    const m = byId.get(e.system_id);
    return m ? [m] : [];
  });
}
