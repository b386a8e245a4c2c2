/** Input fields and output shapes several tools share, so each is described (and validated) once. */
import * as z from 'zod/v4';
import { redact } from '../base/redact.ts';
import { ToolError } from '../core/errors.ts';
import type { MachineFilters } from '../maas/client.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import { parseStatus, SIMPLE_STATUSES, type SimpleStatus, STATUS_FILTER_NAMES } from '../maas/status.ts';

/** Annotations of a tool that only reads MAAS. */
export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
} as const;

/**
 * A machine's workload annotations (owner data) as tools show them: they are free-form, so a key that looks
 * secret (api_token, password…) is never shown back.
 */
export function annotationsOf(m: {
  workload_annotations?: Record<string, string> | null | undefined;
  owner_data?: Record<string, string> | null | undefined;
}): Record<string, string> {
  return redact(m.workload_annotations ?? m.owner_data ?? {}) as Record<string, string>;
}

/**
 * A string or a list of strings, for a filter MAAS takes several values of (it repeats the key: Django `QueryDict.getlist`):
 * one string may also list several, separated by commas, as `machines` accepts.
 */
export const oneOrMany = (description: string) =>
  z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(100)]).describe(description);

/** What a value that is not what a field expects was, in a few words ("none given", "got 101"). */
function gotWhat(v: unknown, maxItems?: number): string {
  if (v === undefined) return 'none given';
  if (v === null) return 'got null';
  if (Array.isArray(v)) {
    if (v.length === 0) return 'got an empty list';
    if (maxItems !== undefined && v.length > maxItems) return `got ${v.length}`;
    return 'got a list with an item that is not a name';
  }
  if (typeof v === 'string') return 'got an empty string';
  return `got a ${typeof v}`;
}

const ONE_MACHINE = 'a system_id or hostname';
const MACHINES = `${ONE_MACHINE}, or a list of 1–100 of them`;

/**
 * The messages below are what MCP clients (the SDK's validation error, "… at machines") and Slack ("machines: …")
 * show for a bad value: they say what is expected, not zod's "Invalid input".
 */
export const machineRef = z
  .string({ error: (iss) => `expected ${ONE_MACHINE} (${gotWhat(iss.input)})` })
  .min(1, { error: `expected ${ONE_MACHINE} (got an empty string)` })
  .describe('The machine (hostname, FQDN or system_id)');

export const machinesRef = z
  .union(
    [
      z.string().min(1, { error: `expected ${MACHINES} (got an empty string)` }),
      z
        .array(z.string().min(1, { error: `expected ${ONE_MACHINE} (got an empty string)` }))
        .min(1, { error: `expected ${MACHINES} (got an empty list)` })
        .max(100, { error: (iss) => `expected ${MACHINES} (${gotWhat(iss.input, 100)})` }),
    ],
    { error: (iss) => `expected ${MACHINES} (${gotWhat(iss.input, 100)})` },
  )
  .describe('The machines (1–100)');

export const limit = (dflt: number, max: number) =>
  z.number().int().min(1).max(max).default(dflt).describe(`Rows to return (1–${max})`);

/** `comment`: why, for the MAAS event log (MAAS records it with the action). */
export const eventComment = z.string().optional().describe('Why, for the MAAS event log');

export const offset = z.number().int().min(0).default(0).describe('Rows to skip first (paging)');

/**
 * The values of a multi-valued filter: a list, or one string listing them with commas ("web-01,web-02"). No
 * value MAAS filters on (hostnames, zones, pools, tags, usernames, statuses) can hold a comma.
 */
export function asList(v: string | readonly string[] | undefined): string[] {
  if (v === undefined) return [];
  return (typeof v === 'string' ? [v] : [...v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Maps what a caller calls a status to MAAS filters: an exact status (`deployed`, `Failed deployment`,
 * `failed-deployment`) becomes `status=`, a group (`failed`, `rescue_mode`, `other`) becomes `simple_status=`.
 */
export function statusFilters(values: readonly string[]): Pick<MachineFilters, 'status' | 'simple_status'> {
  const status: string[] = [];
  const simple: string[] = [];
  for (const v of values) {
    const exact = parseStatus(v);
    const group = v
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_');
    if (exact !== undefined) status.push(STATUS_FILTER_NAMES[exact]);
    else if ((SIMPLE_STATUSES as readonly string[]).includes(group)) simple.push(group as SimpleStatus);
    else {
      throw new ToolError(
        `status: "${v}" is not a MAAS status. Use one of ${Object.values(STATUS_FILTER_NAMES).join(', ')}, or a group: ${SIMPLE_STATUSES.join(', ')}`,
      );
    }
  }
  if (status.length > 0 && simple.length > 0) {
    throw new ToolError('status: mix either exact statuses or groups (failed, rescue_mode, …), not both');
  }
  return status.length > 0 ? { status } : simple.length > 0 ? { simple_status: simple } : {};
}

/** Splits tag filters: a leading "-" means "not tagged". */
export function tagFilters(values: readonly string[]): Pick<MachineFilters, 'tags' | 'not_tags'> {
  const tags = values.filter((t) => !t.startsWith('-'));
  const notTags = values.filter((t) => t.startsWith('-')).map((t) => t.slice(1));
  const out: Pick<MachineFilters, 'tags' | 'not_tags'> = {};
  if (tags.length) out.tags = tags;
  if (notTags.length) out.not_tags = notTags;
  return out;
}

/** The compact machine row (README "Tools"), as columns + tuples: ~3× smaller than objects at scale. */
export const MACHINE_COLUMNS = [
  'hostname',
  'system_id',
  'status',
  'power',
  'owner',
  'zone',
  'pool',
  'arch',
  'cpus',
  'memory_mib',
  'tags',
] as const;

export const MachineRow = z.tuple([
  z.string(),
  z.string(),
  z.string(),
  z.string(),
  z.string().nullable(),
  z.string(),
  z.string(),
  z.string(),
  z.number(),
  z.number(),
  z.array(z.string()),
]);
export type MachineRow = z.infer<typeof MachineRow>;

export function machineRow(m: MachineSummary): MachineRow {
  return [
    m.hostname,
    m.system_id,
    m.status_name,
    m.power_state,
    m.owner,
    m.zone?.name ?? '',
    m.pool?.name ?? '',
    m.architecture,
    m.cpu_count,
    m.memory,
    m.tag_names,
  ];
}

/** One line per machine for the model: "web-01 4y3ha3 Deployed on admin default/prod amd64 8c 16G ssd,gpu". */
export function renderMachineLine(r: MachineRow): string {
  const [hostname, id, status, power, owner, zone, pool, arch, cpus, mem, tags] = r;
  const a = arch.endsWith('/generic') ? arch.slice(0, -8) : arch;
  return `${hostname} ${id} ${status} ${power} ${owner ?? '-'} ${zone}/${pool} ${a} ${cpus}c ${gib(mem)} ${tags.join(',') || '-'}`;
}

/** MiB as a short GiB figure: 16384 → "16G", 1536 → "1.5G". */
export function gib(mib: number): string {
  const g = mib / 1024;
  return `${Number.isInteger(g) ? g : g.toFixed(1)}G`;
}

/** Paging facts every list answer carries. */
export const pageShape = {
  total: z.number().describe('Rows matching the filters'),
  offset: z.number(),
  returned: z.number(),
  more: z.boolean(),
  next_offset: z.number().nullable(),
};

/** Cuts one page out of a list MAAS returned whole. */
export function pageOf<T>(items: readonly T[], args: { limit: number; offset: number }) {
  const rows = items.slice(args.offset, args.offset + args.limit);
  const end = args.offset + rows.length;
  const more = end < items.length;
  return {
    total: items.length,
    offset: args.offset,
    returned: rows.length,
    more,
    next_offset: more ? end : null,
    rows,
  };
}

/** The heading of a paged answer: "Zones 1–3 of 3:" or "No zones match." */
export function pageHeading(
  what: string,
  p: { total: number; offset: number; returned: number; more: boolean; next_offset: number | null },
): string {
  if (p.total === 0) return `No ${what} match.`;
  if (p.returned === 0) return `No rows at offset ${p.offset}; ${p.total} ${what} match.`;
  return `${what[0]?.toUpperCase()}${what.slice(1)} ${p.offset + 1}–${p.offset + p.returned} of ${p.total}${p.more ? ` (more: offset=${p.next_offset})` : ''}:`;
}
