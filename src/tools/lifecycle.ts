/**
 * Life-cycle tools: commission, test, deploy, release, abort, rescue (MAAS `maasserver/api/machines.py`,
 * `maasserver/node_status.py`).
 */
import * as z from 'zod/v4';
import { base64Text } from '../base/der.ts';
import { defineMachineAction, refuse, type Verdict } from '../core/actions.ts';
import { waitFields } from '../core/wait.ts';
import {
  ABORTABLE_STATUSES,
  COMMISSIONABLE_STATUSES,
  canTransition,
  EXITABLE_RESCUE_STATUSES,
  isNodeStatus,
  RELEASABLE_STATUSES,
  NodeStatus as S,
  statusIn,
  TESTABLE_STATUSES,
} from '../maas/status.ts';
import { eventComment, machinesRef } from './common.ts';

const scripts = (what: string) =>
  z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .optional()
    .describe(`${what} script names or tags (default MAAS’s)`);

const joinScripts = (v: string | string[] | undefined) =>
  v === undefined ? undefined : [v].flat().join(',');
const flag = (v: boolean | undefined) => (v === undefined ? undefined : v ? '1' : '0');

/** What to do next from a status an action cannot start from. */
export function hintFor(status: number): string | undefined {
  switch (status) {
    case S.NEW:
      return 'commission it first';
    case S.FAILED_COMMISSIONING:
      return 'commission it again';
    case S.BROKEN:
      return 'mark it fixed first';
    case S.RESCUE_MODE:
    case S.ENTERING_RESCUE_MODE:
      return 'exit rescue mode first';
    case S.DEPLOYED:
    case S.FAILED_DEPLOYMENT:
    case S.ALLOCATED:
      return 'release it first';
    default:
      return S.COMMISSIONING === status || S.DEPLOYING === status || S.TESTING === status
        ? 'wait for it to finish, or abort it'
        : S.RELEASING === status || S.DISK_ERASING === status
          ? 'wait for the release to finish'
          : undefined;
  }
}

export const machineCommission = defineMachineAction({
  name: 'machine_commission',
  title: 'Commission machines',
  description:
    'Commission machines: MAAS boots them ephemerally, inventories CPU, memory, disks and NICs, runs tests; they end Ready. From New, Ready, Broken or Failed commissioning.',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: false,
  idempotent: false,
  verb: 'commission',
  maasAdmin: true,
  input: z.object({
    machines: machinesRef,
    commissioning_scripts: scripts('Extra commissioning'),
    testing_scripts: scripts('Testing').describe('Testing script names or tags; "none" skips testing'),
    enable_ssh: z.boolean().optional().describe('Keep it running with SSH open after (debugging)'),
    skip_networking: z.boolean().optional().describe('Keep the network configuration'),
    skip_storage: z.boolean().optional().describe('Keep the storage configuration'),
    ...waitFields,
  }),
  operation: () => 'commission',
  check(m) {
    if (m.status === S.COMMISSIONING) return { skip: 'already commissioning' };
    if (!statusIn(COMMISSIONABLE_STATUSES, m.status)) return refuse('commission', m, hintFor(m.status));
    if (!m.power_type) {
      return {
        refuse: `cannot commission ${m.hostname}: it has no power type — set one with machine_update first`,
      };
    }
    return { run: 'power on, inventory the hardware and run tests; ends Ready (owner cleared)' };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(
      m.system_id,
      'commission',
      {
        commissioning_scripts: joinScripts(a.commissioning_scripts),
        testing_scripts: joinScripts(a.testing_scripts),
        enable_ssh: flag(a.enable_ssh),
        skip_networking: flag(a.skip_networking),
        skip_storage: flag(a.skip_storage),
      },
      { signal },
    ),
  tookEffect: (_b, now) => now?.status === S.COMMISSIONING,
  continues: () => 'MAAS continues commissioning in the background (typically 5–15 minutes per machine).',
});

export const machineTest = defineMachineAction({
  name: 'machine_test',
  title: 'Run hardware tests',
  description: 'Run hardware tests on machines; Deployed ones run non-destructive tests only.',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: false,
  idempotent: false,
  verb: 'test',
  maasAdmin: true,
  input: z.object({
    machines: machinesRef,
    testing_scripts: scripts('Testing'),
    enable_ssh: z.boolean().optional().describe('Keep it running with SSH open after'),
    ...waitFields,
  }),
  operation: () => 'test',
  check(m) {
    if (m.status === S.TESTING) return { skip: 'already testing' };
    if (!statusIn(TESTABLE_STATUSES, m.status)) return refuse('test', m, hintFor(m.status));
    return { run: 'boot the test environment and run the tests; returns to its current status afterwards' };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(
      m.system_id,
      'test',
      { testing_scripts: joinScripts(a.testing_scripts), enable_ssh: flag(a.enable_ssh) },
      { signal },
    ),
  tookEffect: (_b, now) => now?.status === S.TESTING,
  continues: () => 'MAAS runs the tests in the background; results show in machine_get (hardware section).',
});

const MAX_USER_DATA = 1024 * 1024;

export const machineDeploy = defineMachineAction({
  name: 'machine_deploy',
  title: 'Deploy machines',
  description:
    'Deploy an OS on machines (Ready ones are allocated to you first): MAAS installs it over their disks and powers them on.',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: true,
  idempotent: false,
  verb: 'deploy',
  input: z.object({
    machines: machinesRef,
    distro_series: z
      .string()
      .min(1)
      .optional()
      .describe('e.g. "noble", "ubuntu/jammy" or "22.04" (default MAAS’s)'),
    hwe_kernel: z.string().min(1).optional().describe('Kernel to install, e.g. "hwe-22.04" or "ga-22.04"'),
    user_data: z
      .string()
      .max(MAX_USER_DATA)
      .optional()
      .describe('cloud-init user data, plain text (#cloud-config …). Never shown back.'),
    comment: eventComment,
    ...waitFields,
  }),
  operation: () => 'deploy',
  check(m, a, env) {
    const os = a.distro_series ? ` ${a.distro_series}` : ' the default OS';
    if (m.status === S.DEPLOYING)
      return { skip: 'already deploying (abort it first to deploy something else)' };
    if (m.status === S.READY)
      return { run: `allocate to ${env.me}, then install${os} over its disks and power it on` };
    if (m.status === S.ALLOCATED) {
      if (m.owner && m.owner !== env.me && !env.isAdmin) {
        return { refuse: `cannot deploy ${m.hostname}: it is allocated to ${m.owner}` };
      }
      return { run: `install${os} over its disks and power it on` };
    }
    return refuse('deploy', m, hintFor(m.status));
  },
  // One request: MAAS allocates a Ready machine inside the deploy (MAAS `maasserver/api/machines.py` deploy), and a refused deploy rolls
  // that allocation back with the rest (MAAS `ATOMIC_REQUESTS`, `maasserver/utils/views.py`), so a failure leaves the machine as it was.
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(
      m.system_id,
      'deploy',
      {
        distro_series: a.distro_series,
        hwe_kernel: a.hwe_kernel,
        user_data: a.user_data === undefined ? undefined : base64Text(a.user_data),
        comment: a.comment,
      },
      { signal },
    ),
  tookEffect: (_b, now) => now?.status === S.DEPLOYING || now?.status === S.DEPLOYED,
  continues: () =>
    'MAAS continues deploying in the background (typically 5–20 minutes): PXE boot, install, reboot. Follow it with machine_get.',
});

export const machineRelease = defineMachineAction({
  name: 'machine_release',
  title: 'Release machines',
  description:
    'Release machines: MAAS powers them off, forgets the OS, clears owner and owner data, optionally erases disks.',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: true,
  idempotent: true,
  verb: 'release',
  input: z.object({
    machines: machinesRef,
    erase: z.boolean().optional().describe('Erase the disks'),
    secure_erase: z.boolean().optional().describe("Use the drives' secure-erase feature (implies erase)"),
    quick_erase: z
      .boolean()
      .optional()
      .describe(
        'Wipe only each disk’s start and end (implies erase; not secure); with secure_erase, the fallback',
      ),
    comment: eventComment,
    ...waitFields,
  }),
  operation: (a) => (a.erase || a.secure_erase || a.quick_erase ? 'erase' : 'release'),
  check(m, a) {
    if (m.status === S.READY) return { skip: 'already Ready' };
    if (m.status === S.RELEASING || m.status === S.DISK_ERASING) return { skip: 'already releasing' };
    if (m.status === S.NEW) return { skip: 'never allocated (it is New)' };
    if (!statusIn(RELEASABLE_STATUSES, m.status)) return refuse('release', m, hintFor(m.status));
    const erase = a.secure_erase
      ? `, then securely erase its disks${a.quick_erase ? ' (quick erase where the drive cannot)' : ''}`
      : a.quick_erase
        ? ', then quick-erase its disks'
        : a.erase
          ? ', then erase its disks'
          : '';
    const what = m.status === S.DEPLOYING ? 'stop the deployment, ' : '';
    return {
      run: `${what}power off, forget its OS and owner${m.owner ? ` (${m.owner})` : ''}${erase}; ends Ready`,
    };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(
      m.system_id,
      'release',
      {
        erase: a.erase || a.secure_erase || a.quick_erase ? 'true' : undefined,
        secure_erase: a.secure_erase ? 'true' : undefined,
        quick_erase: a.quick_erase ? 'true' : undefined,
        comment: a.comment,
      },
      { signal },
    ),
  tookEffect: (_b, now) =>
    now !== undefined && ([S.RELEASING, S.DISK_ERASING, S.READY, S.NEW] as number[]).includes(now.status),
  continues: (a) =>
    a.erase || a.secure_erase || a.quick_erase
      ? 'MAAS erases the disks in the background (minutes for a quick erase, hours for a full erase of large disks).'
      : 'MAAS finishes releasing in the background (usually under a few minutes).',
});

const ABORT_EFFECT: Partial<Record<number, string>> = {
  [S.DEPLOYING]: 'stop the deployment; it goes back to Allocated',
  [S.COMMISSIONING]: 'stop commissioning; it goes back to New',
  [S.TESTING]: 'stop the tests; it goes back to its previous status',
  [S.DISK_ERASING]: 'stop erasing; it becomes Failed disk erasing with its disks partly erased',
};

export const machineAbort = defineMachineAction({
  name: 'machine_abort',
  title: 'Abort what machines are doing',
  description: 'Abort a deployment, commissioning, test run or disk erase in progress.',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: true,
  idempotent: false,
  verb: 'abort',
  input: z.object({
    machines: machinesRef,
    comment: eventComment,
  }),
  operation: () => 'abort',
  check(m) {
    if (!statusIn(ABORTABLE_STATUSES, m.status)) return { skip: `nothing to abort (it is ${m.status_name})` };
    return { run: ABORT_EFFECT[m.status] ?? 'abort' };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(m.system_id, 'abort', { comment: a.comment }, { signal }),
  tookEffect: (before, now) => now !== undefined && now.status !== before.status,
});

export const machineRescue = defineMachineAction({
  name: 'machine_rescue',
  title: 'Enter or leave rescue mode',
  description:
    'Boot machines into rescue mode (an ephemeral system for repairs; the OS untouched) or back out. Confirms before rebooting a Deployed machine.',
  toolset: 'lifecycle',
  minRole: 'operator',
  destructive: false,
  idempotent: true,
  verb: 'rescue',
  maasAdmin: true,
  input: z.object({
    machines: machinesRef,
    action: z.enum(['enter', 'exit']).default('enter').describe('enter (default) or exit rescue mode'),
    ...waitFields,
  }),
  confirms:
    'Entering rescue mode from Deployed stops the running OS, so it asks for confirmation: the token from that answer',
  operation: (a) => (a.action === 'enter' ? 'rescue_enter' : 'rescue_exit'),
  check(m, a): Verdict {
    if (a.action === 'exit') {
      if (!statusIn(EXITABLE_RESCUE_STATUSES, m.status)) return { skip: 'not in rescue mode' };
      return { run: 'reboot out of rescue mode, back to its previous status' };
    }
    if (m.status === S.RESCUE_MODE || m.status === S.ENTERING_RESCUE_MODE)
      return { skip: 'already in rescue mode' };
    if (!(isNodeStatus(m.status) && canTransition(m.status, S.ENTERING_RESCUE_MODE))) {
      return refuse('rescue', m, hintFor(m.status));
    }
    // It reboots the machine: on a Deployed one its running OS and workload stop, as with a power cycle.
    if (m.status === S.DEPLOYED) {
      return {
        run: 'reboot it into the rescue environment: its running OS and workload stop until it exits rescue mode',
        confirm: true,
      };
    }
    return { run: 'reboot into the rescue environment; its own OS does not run until it exits' };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(
      m.system_id,
      a.action === 'enter' ? 'rescue_mode' : 'exit_rescue_mode',
      {},
      { signal },
    ),
  tookEffect: (before, now) => now !== undefined && now.status !== before.status,
  continues: (a) =>
    a.action === 'enter'
      ? 'MAAS boots the rescue environment in the background (a few minutes); SSH in as usual once it is in Rescue mode.'
      : 'MAAS reboots it back in the background.',
});

export const lifecycleTools = [
  machineCommission,
  machineTest,
  machineDeploy,
  machineRelease,
  machineAbort,
  machineRescue,
];
