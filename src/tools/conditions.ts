/** Tools that change what a machine may be used for: broken/fixed, locked/unlocked, restored configuration. */
import * as z from 'zod/v4';
import { defineMachineAction, refuse } from '../core/actions.ts';
import {
  LOCKABLE_STATUSES,
  RELEASABLE_STATUSES,
  RESTORABLE_STATUSES,
  NodeStatus as S,
  statusIn,
} from '../maas/status.ts';
import { eventComment, machinesRef } from './common.ts';

export const machineMarkBroken = defineMachineAction({
  name: 'machine_mark_broken',
  title: 'Mark machines broken',
  description:
    'Mark machines Broken so nobody allocates them; deployed or allocated ones are released first.',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: true,
  idempotent: true,
  verb: 'mark-broken',
  input: z.object({
    machines: machinesRef,
    comment: eventComment.describe('What is wrong (its error description)'),
  }),
  check(m, _a, env) {
    if (m.status === S.BROKEN) return { skip: 'already Broken' };
    if (!env.isAdmin && m.owner !== env.me) {
      return {
        refuse: `cannot mark ${m.hostname} broken: MAAS lets only its owner or a MAAS admin do that, and ${m.owner ? `it belongs to ${m.owner}` : 'it is not allocated to you'}`,
      };
    }
    return {
      run: statusIn(RELEASABLE_STATUSES, m.status)
        ? 'release it (power off, OS and owner forgotten), then mark it Broken'
        : 'mark it Broken',
    };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(m.system_id, 'mark_broken', { comment: a.comment }, { signal }),
  tookEffect: (_b, now) => now?.status === S.BROKEN,
});

export const machineMarkFixed = defineMachineAction({
  name: 'machine_mark_fixed',
  title: 'Mark machines fixed',
  description: 'Mark Broken machines fixed: back to Ready (or Deployed, if they were).',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: false,
  idempotent: true,
  verb: 'mark-fixed',
  maasAdmin: true,
  input: z.object({ machines: machinesRef, comment: eventComment }),
  check(m) {
    if (m.status !== S.BROKEN) return { skip: `not broken (it is ${m.status_name})` };
    return { run: 'back to Ready (or Deployed if it was deployed)' };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(m.system_id, 'mark_fixed', { comment: a.comment }, { signal }),
  tookEffect: (_b, now) => now !== undefined && now.status !== S.BROKEN,
});

export const machineLock = defineMachineAction({
  name: 'machine_lock',
  title: 'Lock machines',
  description:
    'Lock deployed machines: nobody (agents included) can release, redeploy, power off or change them until unlocked.',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: false,
  idempotent: true,
  verb: 'lock',
  ignoresLock: true,
  input: z.object({ machines: machinesRef, comment: eventComment }),
  check(m) {
    if (m.locked) return { skip: 'already locked' };
    if (!statusIn(LOCKABLE_STATUSES, m.status))
      return refuse('lock', m, 'only Deployed or Deploying machines can be locked');
    return { run: 'lock: no changes until unlocked' };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(m.system_id, 'lock', { comment: a.comment }, { signal }),
  tookEffect: (_b, now) => now?.locked === true,
});

export const machineUnlock = defineMachineAction({
  name: 'machine_unlock',
  title: 'Unlock machines',
  description: 'Unlock machines so they can be changed again.',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: false,
  idempotent: true,
  verb: 'unlock',
  ignoresLock: true,
  input: z.object({ machines: machinesRef, comment: eventComment }),
  check(m) {
    if (!m.locked) return { skip: 'not locked' };
    return { run: 'unlock' };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(m.system_id, 'unlock', { comment: a.comment }, { signal }),
  tookEffect: (_b, now) => now?.locked === false,
});

const RESTORE_OP = {
  default: 'restore_default_configuration',
  networking: 'restore_networking_configuration',
  storage: 'restore_storage_configuration',
} as const;

const RESTORE_EFFECT = {
  default:
    'reset networking and storage to what commissioning found (custom bonds, VLANs, partitions are lost)',
  networking:
    'reset networking to what commissioning found (custom bonds, bridges, VLANs and links are lost)',
  storage: 'reset storage to what commissioning found (custom partitions, RAID, LVM layouts are lost)',
} as const;

export const machineRestoreConfig = defineMachineAction({
  name: 'machine_restore_config',
  title: 'Restore machine configuration',
  description:
    'Drop custom network and/or storage configuration for what commissioning found. Ready or Failed testing machines.',
  toolset: 'lifecycle',
  minRole: 'admin',
  destructive: true,
  idempotent: true,
  verb: 'restore-config',
  maasAdmin: true,
  input: z.object({
    machines: machinesRef,
    scope: z
      .enum(['default', 'networking', 'storage'])
      .default('default')
      .describe('default (networking and storage), networking, or storage'),
  }),
  check(m, a) {
    if (!statusIn(RESTORABLE_STATUSES, m.status)) {
      return refuse(
        'restore the configuration of',
        m,
        'only Ready or Failed testing machines can be restored',
      );
    }
    return { run: RESTORE_EFFECT[a.scope] };
  },
  perform: (m, a, { deps, signal }) => deps.maas.machineOp(m.system_id, RESTORE_OP[a.scope], {}, { signal }),
});

export const conditionTools = [
  machineMarkBroken,
  machineMarkFixed,
  machineLock,
  machineUnlock,
  machineRestoreConfig,
];
