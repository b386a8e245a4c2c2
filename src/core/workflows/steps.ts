/**
 * What each action does to one host (README "Workflows"). Every step is idempotent: it reads the machine first,
 * skips what is already as asked (and says so), picks up what MAAS is already doing for it, and after a restart
 * decides from MAAS — never from a guess — whether its write happened. Writes go through the tools, by the one path
 * (roles, policy, audit; the confirmation is the plan's); long actions are waited on through their operations,
 * which the poller reads in batches.
 */
import type { MachineSummary } from '../../maas/schemas.ts';
import { NodeStatus as S } from '../../maas/status.ts';
import type { Operation, OperationKind, WorkflowStep } from '../../store/types.ts';
import type { Action } from './format.ts';
import type { HostPlan } from './plan.ts';
import { DEFAULT_TIMEOUT_S } from './record.ts';

/** A step that did not get done: `transient` when MAAS was unreachable or busy (retried, after a fresh look). */
export class StepError extends Error {
  override name = 'StepError';
  constructor(
    message: string,
    readonly transient = false,
    /** The step ran out of time (its operation's deadline), rather than failing. */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

export type StepResult = { state: 'done' | 'skipped' | 'unsupported'; note: string };

/** What a step may use: the host, its step record, and the run's ways to call tools, wait and remember. */
export interface StepEnv {
  host: HostPlan;
  /** This step's record as stored (attempts, what was written, the operation it follows). */
  record: Readonly<WorkflowStep>;
  /** The machine now, by its system_id once known, else looked up (hostname, MAC, BMC address). */
  machine(): Promise<MachineSummary | undefined>;
  /** Looks the machine up by hostname, MAC addresses and BMC address (never by a remembered system_id). */
  find(): Promise<MachineSummary | undefined>;
  /** Calls a tool through the one path, as the run's requester, under the run's confirmation. */
  call(tool: string, args: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<unknown>;
  /** Stores changes to this step's record before going on (what a restart needs to know). */
  save(patch: Partial<Pick<WorkflowStep, 'before' | 'operation_id'>>): Promise<void>;
  /** Follows an operation until it ends (the poller reads it), reporting MAAS's status messages. */
  follow(operationId: string): Promise<Operation>;
  /** Starts following what MAAS is already doing to the machine (no write): an operation of `kind`. */
  track(kind: OperationKind, m: MachineSummary, timeoutMs: number): Promise<string>;
  /** The machine's BMC settings as MAAS has them (admin; compared, never shown). */
  powerParameters(systemId: string): Promise<Record<string, string>>;
  /** Whether the host's plan has `action` after this step. */
  later(action: Action): boolean;
}

export interface StepDef {
  action: Action;
  /** The tool it calls to write, if any (whether it is destructive comes from the tool). */
  tool?: string;
  /** What it would do to this host, given the machine as read now (undefined: not in MAAS). */
  describe(host: HostPlan, m: MachineSummary | undefined): string;
  run(env: StepEnv): Promise<StepResult>;
}

const done = (note: string): StepResult => ({ state: 'done', note });
const skipped = (note: string): StepResult => ({ state: 'skipped', note });
const unsupported = (note: string): StepResult => ({ state: 'unsupported', note });

async function needMachine(env: StepEnv): Promise<MachineSummary> {
  const m = await env.machine();
  if (!m) {
    throw new StepError(
      `${env.host.hostname} is not in MAAS (looked up by ${lookedUpBy(env.host)}) — add create_machine to the actions to create it`,
    );
  }
  return m;
}

/** How a host is looked up, for messages: "hostname node01, MAC aa:…, BMC 10.0.0.5". */
export function lookedUpBy(h: HostPlan): string {
  const ways = [`hostname ${h.hostname}`];
  for (const mac of [h.spec.pxe_mac, ...(h.spec.mac_addresses ?? [])]) if (mac) ways.push(`MAC ${mac}`);
  const bmc = h.spec.power_parameters?.power_address;
  if (bmc !== undefined) ways.push(`BMC ${String(bmc)}`);
  return ways.join(', ');
}

/** What a machine action's answer (ActionResult) says about the one machine a step gave it. */
function outcomeOf(out: unknown): { ok: true; note?: string; operation?: string } | { skipped: string } {
  const r = out as {
    status?: string;
    succeeded?: { after?: string; note?: string }[];
    skipped?: { reason: string }[];
    failed?: { error: string; transient?: boolean }[];
    not_found?: string[];
    summary?: string;
    operation_id?: string;
  };
  if (r?.status && r.status !== 'done') {
    // Held by the gate although the plan was confirmed: say so rather than pretend.
    throw new StepError(`not done: ${r.summary ?? r.status}`);
  }
  const failed = r?.failed?.[0];
  if (failed) throw new StepError(failed.error, failed.transient === true);
  if (r?.not_found?.length) throw new StepError(`${r.not_found.join(', ')} is no longer in MAAS`, true);
  const skip = r?.skipped?.[0];
  if (skip && !r.succeeded?.length) return { skipped: skip.reason };
  const ok = r?.succeeded?.[0];
  return {
    ok: true,
    ...(ok?.note ? { note: ok.note } : {}),
    ...(r?.operation_id ? { operation: r.operation_id } : {}),
  };
}

/** How an operation the step followed ended, as the step's result (or its failure). */
function ended(op: Operation, what: string, success: string): StepResult {
  const t = op.targets[0];
  const status = t ? `${t.status}${t.status_message ? ` (${t.status_message})` : ''}` : op.state;
  switch (t?.result ?? op.state) {
    case 'succeeded':
      return done(`${what}: ${t?.status ?? success}`);
    case 'timed_out':
      throw new StepError(`${what} did not finish in time: ${t?.error ?? `still ${status}`}`, false, true);
    case 'cancelled':
      throw new StepError(`${what}: no longer followed (its operation ${op.id} was cancelled)`);
    default: {
      const events = (t?.events ?? [])
        .slice(0, 3)
        .map((e) => `${e.type}${e.description ? `: ${e.description}` : ''}`)
        .join('; ');
      throw new StepError(
        `${what} failed: ${t?.error ?? status}${events ? ` (latest events: ${events})` : ''}`,
      );
    }
  }
}

/** How a long step waits: what it is called, the status it ends in, and the file's "wait" flag. */
interface Waiting {
  what: string;
  success: string;
  wait: boolean | undefined;
  /** The file's name for that flag (wait_commissioning …). */
  flag: string;
}

/** Waits for a long action a step asked for (or found going), unless the file says not to wait. */
async function awaitAction(env: StepEnv, opId: string, w: Waiting): Promise<StepResult> {
  if (w.wait === false) return done(`${w.what} started; not waiting for it (${w.flag}: false)`);
  return ended(await env.follow(opId), w.what, w.success);
}

/** A step that follows an operation it recorded before a restart: how it stands now. */
async function resumed(env: StepEnv, w: Waiting): Promise<StepResult | undefined> {
  const id = env.record.operation_id;
  return id ? awaitAction(env, id, w) : undefined;
}

/** Follows what MAAS is already doing to the machine (no write), and remembers it for a restart. */
async function adopt(
  env: StepEnv,
  kind: OperationKind,
  m: MachineSummary,
  limit: number,
  w: Waiting,
): Promise<StepResult> {
  const id = await env.track(kind, m, limit);
  await env.save({ operation_id: id });
  return awaitAction(env, id, w);
}

/** Follows the operation a tool call started, remembered first for a restart. */
async function started(env: StepEnv, id: string | undefined, w: Waiting): Promise<StepResult> {
  if (!id) return done(`${w.what} started`);
  await env.save({ operation_id: id });
  return awaitAction(env, id, w);
}

const timeoutMs = (s: number | undefined, dflt: number) => (s ?? dflt) * 1000;

/** find_machine and create_machine: the SDK's find-or-create, by hostname, MAC or BMC address. */
function findOrCreate(action: 'create_machine' | 'find_machine'): StepDef {
  return {
    action,
    tool: 'machine_create',
    describe: (h, m) =>
      m
        ? `found as ${m.hostname} (${m.system_id}), ${m.status_name}`
        : h.spec.pxe_mac
          ? `create it (MAC ${h.spec.pxe_mac}${h.spec.power_type ? `, power ${h.spec.power_type}` : ''})`
          : 'not in MAAS, and the file gives no pxe_mac to create it with',
    async run(env) {
      const found = await env.find();
      if (found) {
        const named = found.hostname === env.host.hostname ? '' : ` (MAAS calls it ${found.hostname})`;
        return skipped(`already in MAAS: ${found.system_id}, ${found.status_name}${named}`);
      }
      const s = env.host.spec;
      if (!s.pxe_mac) {
        throw new StepError(
          `${env.host.hostname} is not in MAAS (looked up by ${lookedUpBy(env.host)}), and ${env.host.path}.pxe_mac is not given, so it cannot be created`,
        );
      }
      // MAAS commissions a machine an admin adds unless told not to: the plan's own commission step does it instead.
      const commission = !env.later('commission');
      const out = (await env.call('machine_create', {
        hostname: env.host.hostname,
        mac_addresses: [s.pxe_mac, ...(s.mac_addresses ?? [])],
        architecture: s.architecture ?? 'amd64/generic',
        ...(s.power_type ? { power_type: s.power_type } : {}),
        ...(s.power_parameters ? { power_parameters: s.power_parameters } : {}),
        commission,
      })) as { machine: { system_id: string; status: string } };
      return done(`created ${out.machine.system_id}, ${out.machine.status}`);
    },
  };
}

const setPower: StepDef = {
  action: 'set_power',
  tool: 'machine_update',
  describe: (h) => `set power ${h.spec.power_type}${bmc(h)}`,
  async run(env) {
    const m = await needMachine(env);
    const s = env.host.spec;
    const wanted = Object.entries(s.power_parameters ?? {});
    const current = await env.powerParameters(m.system_id);
    if (m.power_type === s.power_type && wanted.every(([k, v]) => current[k] === String(v))) {
      return skipped(`power already ${s.power_type}${bmc(env.host)} with the same settings`);
    }
    await env.call('machine_update', {
      machine: m.system_id,
      power_type: s.power_type,
      ...(wanted.length ? { power_parameters: s.power_parameters } : {}),
    });
    return done(`power ${s.power_type}${bmc(env.host)}`);
  },
};

function bmc(h: HostPlan): string {
  const address = h.spec.power_parameters?.power_address;
  return address === undefined ? '' : `, BMC ${String(address)}`;
}

const setBios: StepDef = {
  action: 'set_bios',
  describe: () => 'not done: MAAS has no API for BIOS settings',
  async run(env) {
    const keys = Object.keys(env.host.spec.bios ?? {});
    const what = keys.length ? ` (${keys.join(', ')} not applied)` : '';
    return unsupported(
      `MAAS has no API for BIOS or firmware settings, so nothing was changed${what}: set them on the BMC, or with a custom commissioning script`,
    );
  },
};

const BOOT_ORDER_NOTE =
  'MAAS cannot set a firmware boot order: it network-boots the machine itself through the BMC at every power-on, then the machine boots its installed OS; boot_order was not applied';

const setBootOrder: StepDef = {
  action: 'set_boot_order',
  tool: 'machine_boot_disk',
  describe: (h) =>
    h.spec.boot_disk
      ? `boot from disk ${h.spec.boot_disk}${h.spec.boot_order ? '; boot_order cannot be set by MAAS' : ''}`
      : 'not done: MAAS sets no firmware boot order (give boot_disk to choose the disk it boots from)',
  async run(env) {
    const s = env.host.spec;
    if (!s.boot_disk) {
      if (s.boot_order) return unsupported(BOOT_ORDER_NOTE);
      return unsupported(
        `nothing to set: ${env.host.path} gives no boot_disk (the one boot setting MAAS has) and MAAS cannot set a firmware boot order`,
      );
    }
    const m = await needMachine(env);
    const out = outcomeOf(await env.call('machine_boot_disk', { machines: m.system_id, disk: s.boot_disk }));
    const extra = s.boot_order ? `; ${BOOT_ORDER_NOTE}` : '';
    if ('skipped' in out) return skipped(`${out.skipped}${extra}`);
    return done(`boots from ${s.boot_disk}${extra}`);
  },
};

const configureStorage: StepDef = {
  action: 'configure_storage',
  tool: 'machine_storage_layout',
  describe: (h) => {
    const st = h.spec.storage;
    return `lay out its disk as ${st?.layout ?? 'efi_lvm'}${st?.device ? ` on ${st.device}` : ''} (replaces the disk's partitions)`;
  },
  async run(env) {
    const m = await needMachine(env);
    const out = outcomeOf(await env.call('machine_storage_layout', storageArgs(env.host, m.system_id)));
    const layout = env.host.spec.storage?.layout ?? 'efi_lvm';
    if ('skipped' in out) return skipped(out.skipped);
    return done(`${layout} layout applied${out.note ? ` (${out.note})` : ''}`);
  },
};

/** machine_storage_layout's arguments for a host: the file's layout (efi_lvm by default), disk and sizes. */
export function storageArgs(h: HostPlan, machine: string): Record<string, unknown> {
  const st = h.spec.storage;
  const params = { ...(st?.params ?? {}), ...(st?.device ? { device: st.device } : {}) };
  return {
    machines: machine,
    layout: st?.layout ?? 'efi_lvm',
    ...(Object.keys(params).length ? { params } : {}),
    ...(st?.spec ? { spec: st.spec } : {}),
  };
}

const configureNetwork: StepDef = {
  action: 'configure_network',
  tool: 'machine_network_configure',
  describe: (h) => {
    const n = h.spec.network;
    const parts = [
      ...(n?.bonds ?? []).map((b) => `bond ${b.name} (${b.interfaces.join('+')})`),
      ...(n?.vlans ?? []).map((v) => `VLAN ${v.vid} on ${v.parent}`),
      ...(n?.interfaces ?? []).map(
        (i) => `${i.name} ${i.ip_mode ?? 'auto'}${i.ip_address ? ` ${i.ip_address}` : ''}`,
      ),
    ];
    return `configure the network: ${parts.join(', ') || 'as given'}`;
  },
  async run(env) {
    const m = await needMachine(env);
    const n = env.host.spec.network ?? {};
    const out = outcomeOf(await env.call('machine_network_configure', { machines: m.system_id, ...n }));
    if ('skipped' in out) return skipped(out.skipped);
    return done(`network configured${out.note ? ` (${out.note})` : ''}`);
  },
};

const commission: StepDef = {
  action: 'commission',
  tool: 'machine_commission',
  describe: (h, m) =>
    m?.status === S.DEPLOYED && h.steps.indexOf('deploy') > h.steps.indexOf('commission') && !releasedFirst(h)
      ? 'skip: already Deployed'
      : `commission it${h.spec.wait_commissioning === false ? '' : `, waiting up to ${(h.spec.commission_timeout ?? DEFAULT_TIMEOUT_S.commission) / 60} min`}`,
  async run(env) {
    const s = env.host.spec;
    const what = 'commissioning';
    const w: Waiting = { what, success: 'Ready', wait: s.wait_commissioning, flag: 'wait_commissioning' };
    const again = await resumed(env, w);
    if (again) return again;
    const m = await needMachine(env);
    const limit = timeoutMs(s.commission_timeout, DEFAULT_TIMEOUT_S.commission);
    if (m.status === S.COMMISSIONING || (m.status === S.TESTING && env.record.before)) {
      return adopt(env, 'commission', m, limit, w);
    }
    // A commissioning asked for before a restart, already over: MAAS started a new result for it.
    const before = env.record.before?.commissioning_result_id;
    if (env.record.before && before !== m.current_commissioning_result_id) {
      if (m.status === S.READY) return done(`${what}: Ready (it finished while no one was watching)`);
      throw new StepError(`${what} failed: ${m.error_description || m.status_message || m.status_name}`);
    }
    if (m.status === S.DEPLOYED && env.later('deploy')) {
      return skipped('already Deployed: commissioning it would need a release first');
    }
    await env.save({
      before: { status: m.status, commissioning_result_id: m.current_commissioning_result_id },
    });
    const out = outcomeOf(
      await env.call(
        'machine_commission',
        {
          machines: m.system_id,
          ...(s.commissioning_scripts ? { commissioning_scripts: s.commissioning_scripts } : {}),
          ...(s.testing_scripts ? { testing_scripts: s.testing_scripts } : {}),
        },
        { timeoutMs: limit },
      ),
    );
    if ('skipped' in out) {
      return adopt(env, 'commission', m, limit, w);
    }
    return started(env, out.operation, w);
  },
};

/** Whether the host is released before it is deployed again (re-provisioning): then "already Deployed" skips nothing. */
function releasedFirst(h: HostPlan): boolean {
  const r = h.steps.indexOf('release');
  return r >= 0 && r < h.steps.indexOf('deploy');
}

const deploy: StepDef = {
  action: 'deploy',
  tool: 'machine_deploy',
  describe: (h, m) =>
    m?.status === S.DEPLOYED && !releasedFirst(h) && sameOs(m, h.spec.distro_series)
      ? `skip: already Deployed (${m.distro_series})`
      : `deploy ${h.spec.distro_series ?? 'the default OS'} over its disks${h.spec.wait_deployment === false ? '' : `, waiting up to ${(h.spec.deploy_timeout ?? DEFAULT_TIMEOUT_S.deploy) / 60} min`}`,
  async run(env) {
    const s = env.host.spec;
    const what = 'deployment';
    const w: Waiting = { what, success: 'Deployed', wait: s.wait_deployment, flag: 'wait_deployment' };
    const again = await resumed(env, w);
    if (again) return again;
    const m = await needMachine(env);
    const limit = timeoutMs(s.deploy_timeout, DEFAULT_TIMEOUT_S.deploy);
    if (m.status === S.DEPLOYED && sameOs(m, s.distro_series)) {
      // Asked for before a restart and over since: this step's own deployment.
      if (env.record.before) return done(`${what}: Deployed (it finished while no one was watching)`);
      return skipped(`already Deployed (${m.osystem}/${m.distro_series})`);
    }
    if (m.status === S.DEPLOYING) {
      return adopt(env, 'deploy', m, limit, w);
    }
    await env.save({ before: { status: m.status } });
    const out = outcomeOf(
      await env.call(
        'machine_deploy',
        {
          machines: m.system_id,
          ...(s.distro_series ? { distro_series: s.distro_series } : {}),
          ...(s.hwe_kernel ? { hwe_kernel: s.hwe_kernel } : {}),
          ...(s.user_data !== undefined ? { user_data: s.user_data } : {}),
        },
        { timeoutMs: limit },
      ),
    );
    if ('skipped' in out) {
      return adopt(env, 'deploy', m, limit, w);
    }
    return started(env, out.operation, w);
  },
};

/** Whether a Deployed machine runs the series asked for (any, when none was asked). */
function sameOs(m: MachineSummary, series: string | undefined): boolean {
  if (!series) return true;
  const asked = series.includes('/') ? series.split('/')[1] : series;
  return m.distro_series === asked || `${m.osystem}/${m.distro_series}` === series;
}

const release: StepDef = {
  action: 'release',
  tool: 'machine_release',
  describe: (h, m) =>
    !m
      ? 'skip: not in MAAS'
      : m.status === S.READY || m.status === S.NEW
        ? `skip: already ${m.status_name}`
        : `release it${(h.spec.release?.wipe_disks ?? true) ? ', erasing its disks' : ''}`,
  async run(env) {
    const r = env.host.spec.release ?? {};
    const limit = timeoutMs(r.release_timeout ?? env.host.spec.release_timeout, DEFAULT_TIMEOUT_S.release);
    const what = 'release';
    const w: Waiting = { what, success: 'Ready', wait: r.wait_release, flag: 'wait_release' };
    const again = await resumed(env, w);
    if (again) return again;
    const m = await env.machine();
    if (!m) return skipped('not in MAAS: nothing to release');
    if (m.status === S.READY || m.status === S.NEW) {
      if (env.record.before) return done(`${what}: ${m.status_name} (it finished while no one was watching)`);
      return skipped(`already ${m.status_name}`);
    }
    if (m.status === S.RELEASING || m.status === S.DISK_ERASING) {
      return adopt(env, m.status === S.DISK_ERASING ? 'erase' : 'release', m, limit, w);
    }
    await env.save({ before: { status: m.status } });
    const erase = r.wipe_disks ?? true;
    const out = outcomeOf(
      await env.call('machine_release', { machines: m.system_id, erase }, { timeoutMs: limit }),
    );
    if ('skipped' in out) return skipped(out.skipped);
    if (!out.operation) return done(`released${erase ? ', disks erased' : ''}`);
    return started(env, out.operation, w);
  },
};

const remove: StepDef = {
  action: 'delete',
  tool: 'machine_delete',
  describe: (_h, m) => (m ? 'delete it from MAAS' : 'skip: not in MAAS'),
  async run(env) {
    const m = await env.machine();
    if (!m) return skipped('not in MAAS: nothing to delete');
    const out = outcomeOf(await env.call('machine_delete', { machines: m.system_id }));
    if ('skipped' in out) return skipped(out.skipped);
    return done(`deleted ${m.system_id} from MAAS`);
  },
};

const STEPS: readonly StepDef[] = [
  findOrCreate('create_machine'),
  findOrCreate('find_machine'),
  setPower,
  setBios,
  setBootOrder,
  configureStorage,
  commission,
  configureNetwork,
  deploy,
  release,
  remove,
];

/** The step of an action (every action but `list`, which is not a host step). */
export function stepOf(action: Action): StepDef {
  const step = STEPS.find((s) => s.action === action);
  if (!step) throw new Error(`internal: no workflow step for ${action}`);
  return step;
}
