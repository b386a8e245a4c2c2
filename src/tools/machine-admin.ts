/** Tools that add, change and remove machines, and their workload annotations. */
import * as z from 'zod/v4';
import { defineMachineAction } from '../core/actions.ts';
import type { ToolContext } from '../core/deps.ts';
import { InputError, ToolError } from '../core/errors.ts';
import { resolveMachine } from '../core/targets.ts';
import { defineTool } from '../core/tool.ts';
import { MAC_RE, normaliseMac, POWER_TYPES } from '../maas/constants.ts';
import { MaasNetworkError } from '../maas/errors.ts';
import type { Params } from '../maas/http.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import { NodeStatus as S } from '../maas/status.ts';
import { annotationsOf, machineRef, machinesRef } from './common.ts';

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const ARCH = /^[a-z0-9_]+(\/[a-z0-9_.-]+)?$/;

const powerParameters = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .describe(
    'BMC settings, e.g. ipmi: {"power_address": "10.0.0.5", "power_user": "admin", "power_pass": "…"}. Never shown back.',
  );

/** A machine as these tools show it after a change: no power parameters, ever. */
const MachineOut = z.object({
  hostname: z.string(),
  system_id: z.string(),
  status: z.string(),
  power_type: z.string(),
  power_state: z.string(),
  architecture: z.string(),
  zone: z.string(),
  pool: z.string(),
});

function machineOut(m: MachineSummary): z.infer<typeof MachineOut> {
  return {
    hostname: m.hostname,
    system_id: m.system_id,
    status: m.status_name,
    power_type: m.power_type,
    power_state: m.power_state,
    architecture: m.architecture,
    zone: m.zone?.name ?? '',
    pool: m.pool?.name ?? '',
  };
}

/** The audit target of a machine a write changed: its status before (when known) and after. */
function changedTarget(after: MachineSummary, before?: string) {
  return {
    system_id: after.system_id,
    hostname: after.hostname,
    ...(before ? { before } : {}),
    after: after.status_name,
  };
}

export const machineCreate = defineTool({
  name: 'machine_create',
  title: 'Add a machine',
  description:
    'Add a machine by its MAC addresses and BMC, and commission it (by default). deployed: true adds one already running an OS, untouched.',
  toolset: 'machines',
  minRole: 'admin',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  verb: 'create',
  input: z.object({
    mac_addresses: z
      .array(z.string().regex(MAC_RE, 'must be a MAC address like 52:54:00:12:34:56'))
      .min(1)
      .describe('Its NICs’ MACs; it boots from the first'),
    architecture: z
      .string()
      .regex(ARCH, 'must look like amd64/generic or arm64/generic')
      .default('amd64/generic')
      .describe('amd64/generic (default) or e.g. arm64/generic'),
    power_type: z
      .enum(POWER_TYPES)
      .optional()
      .describe('How MAAS controls its power, e.g. ipmi, redfish, virsh, manual'),
    power_parameters: powerParameters.optional(),
    hostname: z
      .string()
      .regex(HOSTNAME, 'must be letters, digits and dashes')
      .optional()
      .describe('Hostname; MAAS makes one up when omitted'),
    description: z.string().optional().describe('Free text shown in MAAS'),
    domain: z.string().optional().describe('DNS domain; MAAS’s default when omitted'),
    commission: z.boolean().default(true).describe('Commission it right away (default true)'),
    deployed: z
      .boolean()
      .default(false)
      .describe('It runs an OS already: add it as Deployed, disks untouched'),
  }),
  output: z.object({ machine: MachineOut, note: z.string() }),
  async run(args, ctx) {
    const form: Record<string, Params[string]> = {
      architecture: args.architecture,
      mac_addresses: args.mac_addresses,
      hostname: args.hostname,
      description: args.description,
      domain: args.domain,
      power_type: args.power_type,
      power_parameters: args.power_parameters,
      commission: args.deployed ? 'false' : String(args.commission),
      deployed: args.deployed ? 'true' : undefined,
    };
    const m = await createOrFind(ctx, form, args.mac_addresses[0] as string);
    ctx.audit.targets = [changedTarget(m)];
    ctx.audit.detail = `added ${m.hostname} (${m.status_name})`;
    const note =
      m.status === S.COMMISSIONING
        ? 'MAAS is commissioning it in the background (typically 5–15 minutes); it ends Ready.'
        : m.status === S.DEPLOYED
          ? 'Added as Deployed; MAAS did not touch it.'
          : `It is ${m.status_name}; commission it with machine_commission when ready.`;
    return { machine: machineOut(m), note };
  },
  render: (o) => `Added ${o.machine.hostname} (${o.machine.system_id}): ${o.machine.status}. ${o.note}`,
});

/**
 * Creates a machine. When MAAS does not answer, the create is never re-sent blindly: the machine is looked up
 * by its first MAC address, and either it exists (MAAS created it) or nothing was created.
 */
async function createOrFind(ctx: ToolContext, form: Params, mac: string): Promise<MachineSummary> {
  try {
    return await ctx.deps.maas.createMachine(form, { signal: ctx.signal });
  } catch (err) {
    if (!(err instanceof MaasNetworkError && err.mayHaveReachedMaas)) throw err;
    const wanted = normaliseMac(mac);
    let found: MachineSummary[];
    try {
      found = await ctx.deps.maas.listMachines({ mac_address: [wanted] }, { signal: ctx.signal });
    } catch {
      throw new ToolError(
        `${err.message}, and MAAS could not be asked whether it created the machine: check with machines_list before trying again (a second create would fail with "MAC address already in use")`,
        undefined,
        { transient: true },
      );
    }
    if (found[0]) return found[0];
    throw new ToolError(
      `${err.message}; no machine has MAC ${wanted}, so nothing was created (safe to try again)`,
      undefined,
      { transient: true },
    );
  }
}

export const machineUpdate = defineTool({
  name: 'machine_update',
  title: 'Change a machine',
  description: "Change a machine's hostname, architecture, zone, pool, description or power settings.",
  toolset: 'machines',
  minRole: 'admin',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  verb: 'update',
  slack: { positional: 'machine' },
  maasAdmin: true,
  input: z.object({
    machine: machineRef,
    hostname: z
      .string()
      .regex(HOSTNAME, 'must be letters, digits and dashes')
      .optional()
      .describe('New hostname'),
    architecture: z
      .string()
      .regex(ARCH, 'must look like amd64/generic')
      .optional()
      .describe('New architecture'),
    zone: z.string().min(1).optional().describe('Move it to this zone'),
    pool: z.string().min(1).optional().describe('Move it to this resource pool'),
    description: z.string().optional().describe('New description'),
    power_type: z.enum(POWER_TYPES).optional().describe('New power type'),
    power_parameters: powerParameters
      .optional()
      .describe('BMC settings to change (others are kept). Never shown back.'),
  }),
  output: z.object({
    machine: MachineOut,
    changed: z.array(z.string()).describe('The fields sent to MAAS'),
    unchanged: z.array(z.string()).describe('Fields given with the value they already have (not sent)'),
  }),
  async run(args, ctx) {
    const { machine: ref, power_parameters, ...fields } = args;
    const given = Object.keys(fields).filter(
      (k) => fields[k as keyof typeof fields] !== undefined,
    ) as (keyof typeof fields)[];
    // An empty power_parameters changes nothing: it is not a change to send (or to audit).
    const powerParams = Object.entries(power_parameters ?? {});
    if (given.length === 0 && powerParams.length === 0) {
      throw new InputError(
        `nothing to change: ${power_parameters ? 'power_parameters is empty; ' : ''}give at least one field to set`,
      );
    }
    const m = await resolveMachine(ctx.deps.maas, ref, ctx.signal);
    if (m.locked) throw new ToolError(`${m.hostname} is locked — unlock it first`);
    const now = currentValues(m);
    const unchanged = given.filter((k) => k in now && now[k] === fields[k]);
    const changed: string[] = given.filter((k) => !unchanged.includes(k));
    if (powerParams.length > 0) changed.push('power_parameters');
    // Nothing differs from what the machine has: no write, so nothing to audit either.
    if (changed.length === 0) {
      ctx.audit.nothingWritten = true;
      return { machine: machineOut(m), changed: [], unchanged };
    }
    const form: Record<string, Params[string]> = {};
    for (const k of changed) if (k !== 'power_parameters') form[k] = fields[k as keyof typeof fields];
    for (const [k, v] of powerParams) form[`power_parameters_${k}`] = String(v);
    ctx.audit.targets = [{ system_id: m.system_id, hostname: m.hostname, before: m.status_name }];
    const after = await ctx.deps.maas.updateMachine(m.system_id, form, { signal: ctx.signal });
    ctx.audit.targets = [changedTarget(after, m.status_name)];
    ctx.audit.detail = `changed ${changed.join(', ')} of ${m.hostname}`;
    return { machine: machineOut(after), changed, unchanged };
  },
  render: (o) =>
    o.changed.length === 0
      ? `Nothing to change on ${o.machine.hostname} (${o.machine.system_id}): ${o.unchanged.join(', ')} already as asked. Nothing was sent to MAAS.`
      : `Changed ${o.changed.join(', ')} of ${o.machine.hostname} (${o.machine.system_id}).${o.unchanged.length ? ` Already as asked: ${o.unchanged.join(', ')}.` : ''}`,
});

/** The fields machine_update can compare with what MAAS has (description and BMC settings are never read). */
function currentValues(m: MachineSummary): Partial<Record<string, string>> {
  return {
    hostname: m.hostname,
    architecture: m.architecture,
    zone: m.zone?.name,
    pool: m.pool?.name,
    power_type: m.power_type,
  };
}

export const machineDelete = defineMachineAction({
  name: 'machine_delete',
  title: 'Delete machines from MAAS',
  description:
    'Remove machines from MAAS with their history and settings (the hardware is untouched; it enlists again if it network-boots).',
  toolset: 'machines',
  minRole: 'admin',
  destructive: true,
  idempotent: true,
  verb: 'delete',
  maasAdmin: true,
  input: z.object({ machines: machinesRef }),
  check(m) {
    const running = m.status === S.DEPLOYED || m.status === S.DEPLOYING;
    return {
      run: `remove it from MAAS${running ? ' (its OS keeps running, but MAAS forgets it and its IP reservations)' : ''}`,
    };
  },
  async perform(m, _a, { deps, signal }) {
    await deps.maas.deleteMachine(m.system_id, { signal });
    return { ...m, status_name: 'Deleted' };
  },
  // A delete that MAAS did not answer took effect if the machine is gone.
  tookEffect: (_b, now) => now === undefined,
});

export const machineOwnerData = defineTool({
  name: 'machine_owner_data',
  title: 'Set workload annotations',
  description:
    "Set or delete a machine's owner data: key/value notes on what runs on it. Owner only; MAAS clears them on release.",
  toolset: 'lifecycle',
  minRole: 'operator',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  verb: 'annotate',
  slack: { positional: 'machine' },
  input: z.object({
    machine: machineRef,
    set: z.record(z.string(), z.string()).describe('e.g. {"service": "web"}; an empty value deletes the key'),
  }),
  output: z.object({
    hostname: z.string(),
    system_id: z.string(),
    annotations: z.record(z.string(), z.string()),
  }),
  async run(args, ctx) {
    if (Object.keys(args.set).length === 0) throw new InputError('set: give at least one key');
    for (const key of Object.keys(args.set)) {
      if (!/^[\w.-]{1,64}$/.test(key)) {
        throw new InputError(`set: key "${key}" is not allowed; keys are 1–64 letters, digits, _ . and -`);
      }
    }
    const [m, me] = await Promise.all([
      resolveMachine(ctx.deps.maas, args.machine, ctx.signal),
      ctx.deps.maas.me({ signal: ctx.signal }),
    ]);
    if (m.owner !== me.username) {
      throw new ToolError(
        `cannot annotate ${m.hostname}: only its owner can, and ${m.owner ? `it belongs to ${m.owner}` : 'it is not allocated (allocate or deploy it first)'}`,
      );
    }
    if (m.locked) throw new ToolError(`${m.hostname} is locked — unlock it first`);
    ctx.audit.targets = [{ system_id: m.system_id, hostname: m.hostname, before: m.status_name }];
    ctx.audit.detail = `set ${Object.keys(args.set).join(', ')} on ${m.hostname}`;
    const after = await ctx.deps.maas.setWorkloadAnnotations(m.system_id, args.set, { signal: ctx.signal });
    return { hostname: m.hostname, system_id: m.system_id, annotations: annotationsOf(after) };
  },
  render: (o) =>
    `${o.hostname} annotations: ${
      Object.entries(o.annotations)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '(none)'
    }`,
});

export const machineAdminTools = [machineCreate, machineUpdate, machineDelete, machineOwnerData];
