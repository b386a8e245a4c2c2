/** A machine's storage: reading it as a tree, and laying it out (MAAS presets, the SDK's efi_lvm, or a custom tree). */
import * as z from 'zod/v4';
import { type Applied, defineConfigAction } from '../core/config-action.ts';
import { configRefusal } from '../core/config-gates.ts';
import { applyStoragePlan } from '../core/storage-apply.ts';
import { planStorage, type StoragePlan, storageRequestProblems } from '../core/storage-layouts.ts';
import { storageHost } from '../core/storage-plan.ts';
import { LayoutParams, STORAGE_LAYOUTS, StorageSpec } from '../core/storage-spec.ts';
import { layoutLine, renderStorageTree, StorageTree, storageTreeFromMaas } from '../core/storage-tree.ts';
import { resolveMachine } from '../core/targets.ts';
import { defineTool } from '../core/tool.ts';
import { getMachineConfig } from '../maas/machine-config.ts';
import { storageGroups } from '../maas/storage.ts';
import { machineRef, machinesRef, READ_ONLY } from './common.ts';

export const machineStorage = defineTool({
  name: 'machine_storage',
  title: 'Machine storage',
  description:
    'A machine’s storage tree: disks → partitions → filesystems, volume groups → logical volumes, RAIDs, bcaches.',
  toolset: 'config',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'storage',
  slack: { positional: 'machine' },
  input: z.object({ machine: machineRef }),
  output: z.object({
    hostname: z.string(),
    system_id: z.string(),
    status: z.string(),
    boot_disk: z.string().nullable().describe('The disk MAAS boots it from'),
    layout: StorageTree,
  }),
  async run(args, ctx) {
    const m = await resolveMachine(ctx.deps.maas, args.machine, ctx.signal);
    const o = { signal: ctx.signal };
    const [full, groups] = await Promise.all([
      getMachineConfig(ctx.deps.maas.http, m.system_id, o),
      storageGroups(ctx.deps.maas.http, m.system_id, o),
    ]);
    return {
      hostname: full.hostname,
      system_id: full.system_id,
      status: full.status_name,
      boot_disk: full.boot_disk?.name ?? null,
      layout: storageTreeFromMaas(full, groups),
    };
  },
  render: (o) =>
    [
      `${o.hostname} (${o.system_id}), ${o.status} — storage:`,
      ...renderStorageTree(o.layout).map((l) => `  ${l}`),
    ].join('\n'),
});

const layoutInput = z.object({
  machines: machinesRef,
  layout: z
    .enum(STORAGE_LAYOUTS)
    .describe(
      'MAAS presets flat, lvm, bcache, blank; efi_lvm (FAT32 /boot/efi, XFS /boot, LVM with XFS root, home, var, var/log, tmp); custom (spec)',
    ),
  params: LayoutParams.optional().describe('Sizes and names, per layout (efi_lvm: the SDK’s storage.params)'),
  spec: StorageSpec.optional(),
});

export const machineStorageLayout = defineConfigAction({
  name: 'machine_storage_layout',
  title: 'Lay out machine storage',
  description:
    'Replace Ready machines’ storage layout: a MAAS preset, efi_lvm or a custom tree, checked against each one’s disks first; the preview shows each result. A part-way failure leaves it blank: call again. Needs a MAAS admin’s key.',
  verb: 'configure-storage',
  idempotent: true,
  input: layoutInput,
  requestProblems: (args) => storageRequestProblems(args),
  shared: async () => undefined,
  judge(m, args) {
    const refused = configRefusal(m, 'storage layout');
    if (refused) return { verdict: 'refuse', effect: refused };
    const plan = planStorage(storageHost(m), args);
    if (plan.problems.length)
      return { verdict: 'refuse', effect: `cannot lay out ${m.hostname}: ${plan.problems.join('; ')}` };
    const calls = `${plan.steps.length} MAAS call${plan.steps.length === 1 ? '' : 's'}`;
    return {
      verdict: 'run',
      effect:
        args.layout === 'blank'
          ? `clear all of ${m.hostname}'s storage: partitions, filesystems, volume groups, RAIDs and bcaches (${calls})`
          : `lay out ${args.layout} on ${m.hostname}, replacing all its storage: ${layoutLine(plan.tree)} (${calls})`,
      plan,
      warnings: plan.warnings,
      extra: { layout: plan.tree },
    };
  },
  async apply(m, plan: StoragePlan, _args, ctx): Promise<Applied> {
    const r = await applyStoragePlan(ctx.deps.maas.http, m.system_id, storageHost(m), plan.steps, {
      signal: ctx.signal,
    });
    if (!r.failed) return { applied: r.applied };
    let recovery: string | undefined;
    if (r.reset === 'blank')
      recovery =
        'it was put back to a blank layout (the first call had already cleared its previous one): fix the cause and make the same call again';
    else if (r.reset === 'failed')
      recovery = `putting it back to a blank layout failed too (${r.resetError}), so it holds part of the layout: make the same call again (it starts by clearing), or lay it out blank`;
    else recovery = 'MAAS changed nothing on it';
    return { applied: r.applied, failed: r.failed, recovery };
  },
});

export const storageTools = [machineStorage, machineStorageLayout];
