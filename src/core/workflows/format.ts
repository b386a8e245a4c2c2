/**
 * The workflow file (README "Workflows"): the automation SDK's JSON format, read unchanged — `actions`, `machines`
 * (or a single `machine`), `storage`, `network`, `release`, per-machine fields and timeouts, and optionally the MAAS
 * credentials. Every object is strict, so a typo is caught before anything is written, and every error names its
 * JSON path: `machines[3].network.bonds[0].mode: expected one of 802.3ad, active-backup, …`.
 */
import * as z from 'zod/v4';
import { MAC_RE, POWER_TYPES } from '../../maas/constants.ts';
import { fieldPath, InputError } from '../errors.ts';
import { BondSpec, InterfaceSpec, VlanSpec } from '../network-spec.ts';
import { StorageSpec as CustomStorage, LayoutParams, STORAGE_LAYOUTS } from '../storage-spec.ts';
import { ACTIONS } from './actions.ts';

export { ACTIONS, type Action } from './actions.ts';

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: () => `expected one of ${values.join(', ')}` });

/** A strict object whose unknown fields are named, with the accepted ones (and a likely meant one). */
function strict<S extends z.ZodRawShape>(shape: S) {
  const accepted = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return undefined;
      const keys = (iss as { keys?: string[] }).keys ?? [];
      const guesses = keys.map((k) => closest(k, accepted)).filter((g): g is string => g !== undefined);
      const meant = guesses.length ? ` (did you mean ${guesses.join(', ')}?)` : '';
      return `unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}${meant}; accepted: ${accepted.join(', ')}`;
    },
  });
}

const seconds = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .optional()
    .describe(`${what}, in seconds`);

/**
 * The seed's `storage`: a layout (the SDK's efi_lvm by default), the disk (`device`), and its sizes (`params`),
 * checked as machine_storage_layout checks them.
 */
export const StorageSpec = strict({
  layout: z
    .enum(STORAGE_LAYOUTS, { error: () => `expected one of ${STORAGE_LAYOUTS.join(', ')}` })
    .optional()
    .describe('The storage layout (default efi_lvm, the SDK layout: EFI + /boot + LVM with XFS volumes)'),
  device: z
    .string()
    .min(1)
    .optional()
    .describe('The disk to lay out, e.g. /dev/sda or sda (default: the boot disk)'),
  params: LayoutParams.optional().describe('Sizes of the layout (efi_mb, boot_size_g, root_size_g, …)'),
  spec: CustomStorage.optional().describe('With layout custom: the disks, partitions, RAIDs and volumes'),
});
export type StorageSpec = z.infer<typeof StorageSpec>;

/** The seed's `network`: bonds, VLAN interfaces and links, as machine_network_configure takes them. */
export const NetworkSpec = strict({
  bonds: z.array(BondSpec).optional(),
  vlans: z.array(VlanSpec).optional(),
  interfaces: z.array(InterfaceSpec).optional(),
});
export type NetworkSpec = z.infer<typeof NetworkSpec>;

export const ReleaseSpec = strict({
  wipe_disks: z.boolean().optional().describe('Erase the disks while releasing (default true)'),
  wait_release: z.boolean().optional().describe('Wait until the release finishes (default true)'),
  release_timeout: seconds('Longest wait for the release (default 1800)'),
});
export type ReleaseSpec = z.infer<typeof ReleaseSpec>;

const scriptList = z
  .union([z.string().min(1), z.array(z.string().min(1))])
  .optional()
  .describe('Script names or tags (a list, or one comma-separated string)');

export const MachineSpec = strict({
  hostname: z
    .string({
      error: (iss) => (iss.input === undefined ? 'required: every machine needs a hostname' : undefined),
    })
    .regex(
      /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i,
      'expected letters, digits and dashes (a hostname, not an FQDN)',
    )
    .describe('The machine: found by it, created with it'),
  pxe_mac: z
    .string()
    .regex(MAC_RE, 'expected a MAC address like aa:bb:cc:dd:ee:ff')
    .optional()
    .describe('The MAC address it boots from (found by it; needed to create it)'),
  mac_addresses: z
    .array(z.string().regex(MAC_RE, 'expected a MAC address like aa:bb:cc:dd:ee:ff'))
    .optional()
    .describe('Further MAC addresses, when creating it'),
  architecture: z.string().min(1).optional().describe('When creating it (default amd64/generic)'),
  power_type: oneOf(POWER_TYPES).optional().describe('How MAAS controls its power (ipmi, redfish, …)'),
  power_parameters: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe(
      'BMC settings (power_address, power_user, power_pass, …); the secret ones are never shown or stored',
    ),
  distro_series: z.string().min(1).optional().describe('OS release to deploy, e.g. jammy'),
  hwe_kernel: z.string().min(1).optional().describe('Kernel to deploy'),
  user_data: z.string().optional().describe('cloud-init user data for the deploy (never shown or stored)'),
  commissioning_scripts: scriptList,
  testing_scripts: scriptList,
  wait_commissioning: z.boolean().optional().describe('Wait until commissioning ends (default true)'),
  commission_timeout: seconds('Longest wait for commissioning (default 1200)'),
  wait_deployment: z.boolean().optional().describe('Wait until the deployment ends (default true)'),
  deploy_timeout: seconds('Longest wait for the deployment (default 1800)'),
  release_timeout: seconds('Longest wait for the release (default 1800)'),
  bios: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe('BIOS settings for set_bios (MAAS cannot apply them; the step says so)'),
  boot_disk: z.string().min(1).optional().describe('set_boot_order: the disk to boot from, e.g. sda'),
  boot_order: z
    .array(z.string().min(1))
    .optional()
    .describe('set_boot_order: firmware boot order (MAAS cannot set it; the step says so)'),
  storage: StorageSpec.optional().describe('This machine’s storage (instead of the top-level one)'),
  network: NetworkSpec.optional().describe('This machine’s network: bonds, vlans, interfaces'),
  release: ReleaseSpec.optional().describe('This machine’s release options'),
});
export type MachineSpec = z.infer<typeof MachineSpec>;

export const WorkflowFile = strict({
  maas_api_url: z.string().url('expected a URL like http://maas:5240/MAAS').optional(),
  maas_api_key: z
    .string()
    .regex(/^[^:\s]+:[^:\s]+:[^:\s]+$/, 'expected consumer_key:token_key:token_secret')
    .optional(),
  actions: z
    .array(oneOf(ACTIONS))
    .min(1, 'give at least one action')
    .optional()
    .describe(`What to do to each machine, in order: ${ACTIONS.join(', ')}`),
  machines: z.array(MachineSpec).optional(),
  machine: MachineSpec.optional(),
  storage: StorageSpec.optional(),
  network: NetworkSpec.optional(),
  release: ReleaseSpec.optional(),
}).superRefine((f, ctx) => {
  if (f.machines && f.machine) {
    ctx.addIssue({ code: 'custom', path: ['machine'], message: 'give machines or machine, not both' });
  }
  const seen = new Map<string, number>();
  (f.machines ?? []).forEach((m, i) => {
    const key = m.hostname?.toLowerCase();
    if (key === undefined) return;
    const first = seen.get(key);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['machines', i, 'hostname'],
        message: `"${m.hostname}" is also machines[${first}].hostname; each machine once`,
      });
    } else seen.set(key, i);
  });
});
export type WorkflowFile = z.infer<typeof WorkflowFile>;

/** The most errors one message lists (the rest are counted). */
const MAX_ERRORS = 10;

/**
 * Reads a workflow file's JSON value, or throws an {@link InputError} listing each problem by its JSON path
 * (`prefix` goes before each path: `workflow.` for a tool's argument). Nothing is written either way.
 */
export function parseWorkflow(value: unknown, prefix = ''): WorkflowFile {
  const parsed = WorkflowFile.safeParse(value, { error: describeIssue });
  if (parsed.success) return parsed.data;
  throw new InputError(issuesMessage(parsed.error.issues.map(atTheField), prefix));
}

/** One unknown field is reported at its own path (`machines[0].distro: unknown field …`). */
function atTheField(iss: z.core.$ZodIssue): { path: readonly PropertyKey[]; message: string } {
  if (iss.code !== 'unrecognized_keys' || iss.keys.length !== 1) return iss;
  const key = iss.keys[0] as string;
  return { path: [...iss.path, key], message: iss.message.replace(`unknown field ${key}`, 'unknown field') };
}

/** Several problems as one message, one per line, each led by its JSON path. */
export function issuesMessage(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix = '',
): string {
  const lines = issues.slice(0, MAX_ERRORS).map((i) => `${jsonPath(i.path, prefix)}: ${i.message}`);
  if (issues.length > MAX_ERRORS) lines.push(`… and ${issues.length - MAX_ERRORS} more`);
  return lines.length === 1
    ? (lines[0] as string)
    : `${issues.length} problems in the workflow:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

/** `machines[3].network.bonds[0].mode`: a path as a person finds it in the file. */
export function jsonPath(path: readonly PropertyKey[], prefix = ''): string {
  return fieldPath(path, prefix) || '(the file)';
}

/** zod's issues in words that say what is expected and what was found. */
function describeIssue(iss: { code: string; input?: unknown; [k: string]: unknown }): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return `required (${String(iss.expected)})`;
      return `expected ${article(String(iss.expected))} (got ${kindOf(iss.input)})`;
    case 'too_small':
      if (iss.origin === 'array') return `expected at least ${String(iss.minimum)} item(s)`;
      if (iss.origin === 'string') return 'expected a non-empty string';
      return `expected at least ${String(iss.minimum)} (got ${String(iss.input)})`;
    case 'too_big':
      return `expected at most ${String(iss.maximum)} (got ${String(iss.input)})`;
    case 'invalid_union':
      return `expected a string or a list of strings (got ${kindOf(iss.input)})`;
    case 'invalid_value':
      return `expected one of ${((iss.values as unknown[]) ?? []).map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field ${((iss.keys as string[]) ?? []).join(', ')}`;
    default:
      return undefined;
  }
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object' || type === 'record') return 'an object';
  if (type === 'int') return 'a whole number';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return `${typeof v} ${String(v)}`;
}

/** The accepted name `word` most likely meant (a typo, or a prefix), if any is close. */
function closest(word: string, accepted: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const a of accepted) {
    const score = a.startsWith(word) || word.startsWith(a) ? 1 : editDistance(word, a);
    if (score < bestScore) {
      best = a;
      bestScore = score;
    }
  }
  return bestScore <= Math.max(1, Math.floor(word.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = row;
  }
  return prev[b.length] as number;
}
