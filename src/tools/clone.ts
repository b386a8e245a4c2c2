/** Cloning one machine's storage and/or network onto up to 100 others (MAAS `op=clone`). */
import * as z from 'zod/v4';
import { type ClonePeer, checkClone, clonePeer } from '../core/clone-check.ts';
import { type Applied, defineConfigAction } from '../core/config-action.ts';
import { describeError } from '../core/errors.ts';
import { humanSize } from '../core/sizes.ts';
import { resolveMachine } from '../core/targets.ts';
import { MaasNetworkError } from '../maas/errors.ts';
import { getMachineConfig } from '../maas/machine-config.ts';
import { cloneMachine } from '../maas/network.ts';
import { machineRef, machinesRef } from './common.ts';

const cloneInput = z.object({
  source: machineRef.describe('The machine copied (any status)'),
  machines: machinesRef.describe('The Ready destinations (1–100)'),
  storage: z.boolean().default(false).describe('Copy the storage layout (disks at least as large)'),
  network: z
    .boolean()
    .default(false)
    .describe('Copy bonds, VLANs and links (same interface names needed); static addresses get new ones'),
});

function what(args: { storage: boolean; network: boolean }): string {
  return [args.storage ? 'storage' : '', args.network ? 'network' : ''].filter(Boolean).join(' and ');
}

export const machineClone = defineConfigAction({
  name: 'machine_clone',
  title: 'Clone machine configuration',
  description:
    'Copy a machine’s storage layout and/or network onto Ready machines (MAAS clone), each checked first as MAAS would (architecture, boot method, disk sizes, interface names). Needs a MAAS admin’s key.',
  verb: 'clone',
  idempotent: true,
  input: cloneInput,
  requestProblems: (args) =>
    args.storage || args.network ? [] : ['say what to clone: storage=true, network=true, or both'],
  async shared(args, ctx): Promise<ClonePeer> {
    const source = await resolveMachine(ctx.deps.maas, args.source, ctx.signal);
    return clonePeer(await getMachineConfig(ctx.deps.maas.http, source.system_id, { signal: ctx.signal }));
  },
  judge(m, args, source) {
    const check = checkClone(source, clonePeer(m), args);
    if (check.problems.length)
      return { verdict: 'refuse', effect: `cannot clone onto ${m.hostname}: ${check.problems.join('; ')}` };
    const disks = args.storage
      ? `; its storage is replaced (disks ${check.diskMap.map((d) => `${d.source}→${d.destination}`).join(', ')})`
      : '';
    const fresh =
      args.network && source.staticAddresses.length
        ? `; it gets new static addresses in ${[...new Set(source.staticAddresses.map((a) => a.subnet))].join(', ')}`
        : '';
    const size = source.bootDisk ? ` (source boot disk ${humanSize(source.bootDisk.size)})` : '';
    return {
      verdict: 'run',
      effect: `copy ${what(args)} from ${source.hostname}${args.storage ? size : ''}${disks}${fresh}`,
      plan: source,
      extra: args.storage ? { disk_map: check.diskMap } : {},
    };
  },
  async apply(m, source: ClonePeer, args, ctx): Promise<Applied> {
    const step = `clone ${what(args)} from ${source.hostname}`;
    try {
      await cloneMachine(
        ctx.deps.maas.http,
        {
          source: source.systemId,
          destinations: [m.system_id],
          storage: args.storage,
          interfaces: args.network,
        },
        { signal: ctx.signal },
      );
      return { applied: [step] };
    } catch (err) {
      const unknown = err instanceof MaasNetworkError && err.mayHaveReachedMaas;
      return {
        applied: [],
        failed: { step, error: describeError(err) },
        recovery: unknown
          ? `MAAS may or may not have cloned it: check it with machine_storage and machine_network; cloning again is safe (MAAS clears the destination first)`
          : 'MAAS changed nothing on it',
      };
    }
  },
});
