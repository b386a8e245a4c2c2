/**
 * From a workflow file to a plan per host (README "Workflows"): which hosts (all, or `--hosts`), which actions (the
 * file's, or `-a`), each host's settings (its own storage, network and release, else the file's), and the order
 * its steps run in. Also what of the file may be stored — without credentials and secrets — and its digest: the
 * same file asking the same thing is the same run.
 */
import { isSecretKey, REDACTED } from '../../base/redact.ts';
import { InputError } from '../errors.ts';
import { canonicalJson, sha256 } from '../gate.ts';
import {
  ACTIONS,
  type Action,
  issuesMessage,
  type MachineSpec,
  type NetworkSpec,
  type ReleaseSpec,
  type StorageSpec,
  type WorkflowFile,
} from './format.ts';

/** One host's settings, with the file's top-level storage, network and release filled in where it has none. */
export interface HostSpec extends Omit<MachineSpec, 'storage' | 'network' | 'release'> {
  storage?: StorageSpec;
  network?: NetworkSpec;
  release?: ReleaseSpec;
}

export interface HostPlan {
  hostname: string;
  /** Where it is in the file: `machines[3]`, or `machine`. */
  path: string;
  spec: HostSpec;
  /** Its steps, in the order they run. */
  steps: Action[];
}

export interface WorkflowPlan {
  /** What the run asks, in the file's order (`list` included). */
  actions: Action[];
  /** The steps every host runs (`list` is not one: it shows the fleet once). */
  steps: Action[];
  /** When the fleet is listed: before the hosts start, or after they all end. */
  listAt?: 'before' | 'after';
  /** What the plan changed from the file and why (a step moved). */
  notes: string[];
  hosts: HostPlan[];
}

export interface PlanOptions {
  /** `-a`: this one action instead of the file's. */
  action?: Action | undefined;
  /** `--hosts`: these hostnames only; undefined or ["all"]: every machine of the file. */
  hosts?: readonly string[] | undefined;
}

/** The steps that only read or add: a plan made of them alone needs no confirmation. */
export const HOST_STEPS: readonly Action[] = ACTIONS.filter((a) => a !== 'list');

/**
 * The plan for `file`, or an {@link InputError} naming each problem by its JSON path (with `prefix` before it, e.g.
 * `workflow.` for a tool's argument) or option. Reads nothing and writes nothing.
 */
export function planWorkflow(file: WorkflowFile, opts: PlanOptions = {}, prefix = ''): WorkflowPlan {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const actions: Action[] = opts.action ? [opts.action] : [...(file.actions ?? [])];
  if (actions.length === 0) {
    throw new InputError(
      `${prefix}actions: none given — add "actions" to the workflow (e.g. ["create_machine", "commission", "deploy"])${prefix ? '' : ' or pass -a ACTION'}`,
    );
  }
  const notes: string[] = [];
  const steps = orderSteps(
    actions.filter((a) => a !== 'list'),
    notes,
  );
  const listIndex = actions.indexOf('list');
  const listAt =
    listIndex < 0 ? undefined : actions.slice(listIndex + 1).some((a) => a !== 'list') ? 'before' : 'after';

  const machines: { spec: MachineSpec; path: (string | number)[] }[] = file.machines
    ? file.machines.map((spec, i) => ({ spec, path: ['machines', i] }))
    : file.machine
      ? [{ spec: file.machine, path: ['machine'] }]
      : [];
  if (steps.length > 0 && machines.length === 0) {
    throw new InputError(`${prefix}machines: none given — the actions ${steps.join(', ')} act on machines`);
  }
  const wanted = selectHosts(
    machines.map((m) => m.spec.hostname),
    opts.hosts,
  );
  const hosts: HostPlan[] = [];
  for (const m of machines) {
    if (!wanted.has(m.spec.hostname.toLowerCase())) continue;
    const spec: HostSpec = {
      ...m.spec,
      ...((m.spec.storage ?? file.storage) ? { storage: m.spec.storage ?? file.storage } : {}),
      ...((m.spec.network ?? file.network) ? { network: m.spec.network ?? file.network } : {}),
      ...((m.spec.release ?? file.release) ? { release: m.spec.release ?? file.release } : {}),
    };
    if (steps.includes('set_power') && !spec.power_type) {
      problems.push({ path: [...m.path, 'power_type'], message: 'set_power needs it (e.g. "ipmi")' });
    }
    if (steps.includes('configure_network') && !spec.network) {
      problems.push({
        path: [...m.path, 'network'],
        message: 'configure_network needs a network (here, or at the top level of the file)',
      });
    }
    hosts.push({ hostname: m.spec.hostname, path: pathText(m.path), spec, steps: [...steps] });
  }
  if (problems.length > 0) throw new InputError(issuesMessage(problems, prefix));
  return { actions, steps, ...(listAt ? { listAt } : {}), notes, hosts };
}

/**
 * The steps in the order they run: the file's, except that storage is laid out after commissioning when the file
 * asks for it before — commissioning rediscovers the disks and puts MAAS's default layout back, so a layout made
 * before it would be lost (and a New machine has no disks to lay out yet).
 */
function orderSteps(steps: Action[], notes: string[]): Action[] {
  const storage = steps.indexOf('configure_storage');
  const commission = steps.indexOf('commission');
  if (storage < 0 || commission < 0 || storage > commission) return steps;
  const out: Action[] = steps.filter((a) => a !== 'configure_storage');
  out.splice(out.indexOf('commission') + 1, 0, 'configure_storage');
  notes.push(
    'configure_storage runs right after commission: commissioning rediscovers the disks and resets their layout, so a layout made before it would be lost',
  );
  return out;
}

/** The hostnames `--hosts` selects (lower case), or a clear error naming the ones the file does not have. */
function selectHosts(all: readonly string[], asked: readonly string[] | undefined): Set<string> {
  const lower = all.map((h) => h.toLowerCase());
  const words = (asked ?? []).map((h) => h.trim()).filter(Boolean);
  if (words.length === 0 || words.some((w) => w.toLowerCase() === 'all')) return new Set(lower);
  const unknown = words.filter((w) => !lower.includes(w.toLowerCase()));
  if (unknown.length > 0) {
    throw new InputError(
      `hosts: ${unknown.map((w) => `"${w}"`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the workflow (it has ${all.join(', ') || 'no machines'})`,
    );
  }
  return new Set(words.map((w) => w.toLowerCase()));
}

function pathText(path: readonly (string | number)[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('')
    .replace(/^\./, '');
}

/** A host's secrets, kept apart from what is stored: BMC settings with secret names, and the deploy's user_data. */
export interface HostSecrets {
  power_parameters?: Record<string, string | number | boolean>;
  user_data?: string;
}

/**
 * The file as it may be stored and shown: no credentials, every secret value replaced by "[redacted]" (BMC
 * settings are judged one by one: a power_address stays, a power_pass goes), and the secrets, by hostname.
 */
export function splitSecrets(file: WorkflowFile): {
  stored: Record<string, unknown>;
  secrets: Record<string, HostSecrets>;
} {
  const secrets: Record<string, HostSecrets> = {};
  const scrub = (m: MachineSpec): MachineSpec => {
    const mine: HostSecrets = {};
    const out: MachineSpec = { ...m };
    if (m.power_parameters) {
      const shown: Record<string, string | number | boolean> = {};
      const hidden: Record<string, string | number | boolean> = {};
      for (const [k, v] of Object.entries(m.power_parameters)) {
        if (isSecretKey(k)) {
          hidden[k] = v;
          shown[k] = REDACTED;
        } else shown[k] = v;
      }
      out.power_parameters = shown;
      if (Object.keys(hidden).length > 0) mine.power_parameters = hidden;
    }
    if (m.user_data !== undefined) {
      mine.user_data = m.user_data;
      out.user_data = REDACTED;
    }
    if (Object.keys(mine).length > 0) secrets[m.hostname] = mine;
    return out;
  };
  const { maas_api_url: _url, maas_api_key: _key, machines, machine, ...rest } = file;
  const stored: Record<string, unknown> = { ...rest };
  if (machines) stored.machines = machines.map(scrub);
  if (machine) stored.machine = scrub(machine);
  return { stored, secrets };
}

/** The stored file with its secrets put back (a server resuming a run it started). */
export function joinSecrets(
  stored: Record<string, unknown>,
  secrets: Readonly<Record<string, HostSecrets>>,
): WorkflowFile {
  const fill = (m: MachineSpec): MachineSpec => {
    const mine = secrets[m.hostname];
    if (!mine) return m;
    const out: MachineSpec = { ...m };
    if (mine.power_parameters) out.power_parameters = { ...m.power_parameters, ...mine.power_parameters };
    if (mine.user_data !== undefined) out.user_data = mine.user_data;
    return out;
  };
  const file = { ...stored } as WorkflowFile;
  if (file.machines) file.machines = file.machines.map(fill);
  if (file.machine) file.machine = fill(file.machine);
  return file;
}

/**
 * The run's digest: SHA-256 of the stored (secret-free) file and what was asked of it. The same file with the same
 * -a and --hosts is the same run; a secret value alone does not make another run (and is never hashed).
 */
export async function workflowDigest(stored: Record<string, unknown>, opts: PlanOptions): Promise<string> {
  const words = (opts.hosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean);
  const hosts = words.length === 0 || words.includes('all') ? null : [...new Set(words)].sort();
  return sha256(canonicalJson({ file: stored, action: opts.action ?? null, hosts }));
}
