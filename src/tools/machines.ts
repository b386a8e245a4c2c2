/** Read tools for machines: list, get, events, fleet summary. */
import * as z from 'zod/v4';
import { asData } from '../base/text.ts';
import { ToolError } from '../core/errors.ts';
import { resolveMachine } from '../core/targets.ts';
import { defineTool } from '../core/tool.ts';
import type { MachineFilters } from '../maas/client.ts';
import { isFailed, isNodeStatus, isTransient, NodeStatus } from '../maas/status.ts';
import {
  asList,
  limit,
  MACHINE_COLUMNS,
  MachineRow,
  machineRef,
  machineRow,
  offset,
  oneOrMany,
  pageHeading,
  pageShape,
  READ_ONLY,
  renderMachineLine,
  statusFilters,
  tagFilters,
} from './common.ts';
import {
  EventRow,
  eventRow,
  loadMachineDetail,
  MachineDetail,
  renderEventLine,
  renderMachineDetail,
} from './detail.ts';

export const machinesList = defineTool({
  name: 'machines_list',
  title: 'List machines',
  description: 'List machines as compact rows (the answer names the columns) with the total matching.',
  toolset: 'machines',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'list',
  slack: { view: 'machine-list' },
  input: z.object({
    hostname: oneOrMany('Exact hostname(s) to match').optional(),
    status: oneOrMany(
      'Status(es), e.g. "ready", "failed_deployment" (or its label), or a group: failed, broken, rescue_mode, releasing, other',
    ).optional(),
    zone: oneOrMany('Availability zone name(s)').optional(),
    pool: oneOrMany('Resource pool name(s)').optional(),
    tags: oneOrMany('Tags it must all have; "-tag" excludes machines with it').optional(),
    owner: oneOrMany('Owner username(s)').optional(),
    limit: limit(50, 500),
    offset,
  }),
  output: z.object({
    ...pageShape,
    columns: z.array(z.enum(MACHINE_COLUMNS)).describe('The meaning of each position in a row'),
    rows: z.array(MachineRow),
  }),
  async run(args, { deps, signal }) {
    const filters: MachineFilters = {
      ...statusFilters(asList(args.status)),
      ...tagFilters(asList(args.tags)),
    };
    for (const key of ['hostname', 'zone', 'pool', 'owner'] as const) {
      const v = asList(args[key]);
      if (v.length) filters[key] = v;
    }
    const rows: MachineRow[] = [];
    const end = args.offset + args.limit;
    const total = await deps.maas.forEachMachine(
      filters,
      (m, i) => {
        if (i >= args.offset && i < end) rows.push(machineRow(m));
      },
      { signal },
    );
    const more = end < total;
    return {
      total,
      offset: args.offset,
      returned: rows.length,
      more,
      next_offset: more ? end : null,
      columns: [...MACHINE_COLUMNS],
      rows,
    };
  },
  render(out) {
    if (out.returned === 0) return pageHeading('machines', out);
    return [
      pageHeading('machines', out),
      'hostname system_id status power owner zone/pool arch cpus mem tags',
      ...out.rows.map(renderMachineLine),
    ].join('\n');
  },
});

export const machineGet = defineTool({
  name: 'machine_get',
  title: 'Show a machine',
  description:
    'One machine: status, power, owner, placement, hardware summary, what it runs. Ask for detail sections only when needed.',
  toolset: 'machines',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'show',
  slack: { positional: 'machine', view: 'machine-card' },
  input: z.object({
    machine: machineRef,
    detail: z
      .array(z.enum(['hardware', 'network', 'storage', 'events']))
      .default([])
      .describe('Extra sections: hardware, network (interfaces, VLANs, IPs), storage, events (latest 10)'),
  }),
  output: MachineDetail,
  async run(args, { deps, signal }) {
    return loadMachineDetail(deps.maas, args.machine, new Set(args.detail), signal);
  },
  render: renderMachineDetail,
});

export const machineEvents = defineTool({
  name: 'machine_events',
  title: 'Machine events',
  description: "A machine's event log, newest first: what MAAS did to it and why it failed.",
  toolset: 'machines',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'events',
  slack: { positional: 'machine' },
  input: z.object({
    machine: machineRef,
    limit: limit(20, 200),
    level: z
      .enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'])
      .default('INFO')
      .describe('Lowest level; DEBUG adds who asked for each action'),
    before: z.number().int().positive().optional().describe('Only events older than this id'),
  }),
  output: z.object({
    system_id: z.string(),
    hostname: z.string(),
    events: z.array(EventRow),
    older_before: z.number().nullable().describe('Pass as `before` to read older events, or null'),
  }),
  async run(args, { deps, signal }) {
    const m = await resolveMachine(deps.maas, args.machine, signal);
    const page = await deps.maas.events(
      {
        id: [m.system_id],
        limit: args.limit,
        level: args.level,
        ...(args.before ? { before: args.before } : {}),
      },
      { signal },
    );
    const events = page.events.map(eventRow);
    const oldest = events.at(-1);
    return {
      system_id: m.system_id,
      hostname: m.hostname,
      events,
      older_before: page.prev_uri && oldest ? oldest.id : null,
    };
  },
  render(out) {
    if (out.events.length === 0) return `${out.hostname}: no events.`;
    const more = out.older_before ? `\n(older: before=${out.older_before})` : '';
    return `${out.hostname} events, newest first:\n${out.events.map(renderEventLine).join('\n')}${more}`;
  },
});

const Named = z.object({
  hostname: z.string(),
  system_id: z.string(),
  status: z.string(),
  message: z.string(),
});
const NAMED_MAX = 50;

export const fleetSummary = defineTool({
  name: 'fleet_summary',
  title: 'Fleet summary',
  description:
    'Machine counts by status, zone, pool and power, naming every failed, broken and busy machine.',
  toolset: 'machines',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'status',
  slack: { view: 'fleet-summary' },
  input: z.object({
    zone: oneOrMany('Only machines in these zone(s)').optional(),
    pool: oneOrMany('Only machines in these pool(s)').optional(),
  }),
  output: z.object({
    total: z.number(),
    by_status: z.record(z.string(), z.number()),
    by_zone: z.record(z.string(), z.number()),
    by_pool: z.record(z.string(), z.number()),
    by_power: z.record(z.string(), z.number()),
    needs_attention: z.array(Named).describe('Failed and broken machines with MAAS’s reason'),
    in_progress: z.array(Named).describe('Machines deploying, commissioning, …'),
    omitted: z.number().describe('Machines left out of those lists for length'),
  }),
  async run(args, { deps, signal }) {
    const filters: MachineFilters = {};
    const zone = asList(args.zone);
    const pool = asList(args.pool);
    if (zone.length) filters.zone = zone;
    if (pool.length) filters.pool = pool;
    const by_status: Record<string, number> = {};
    const by_zone: Record<string, number> = {};
    const by_pool: Record<string, number> = {};
    const by_power: Record<string, number> = {};
    const needs_attention: z.infer<typeof Named>[] = [];
    const in_progress: z.infer<typeof Named>[] = [];
    let omitted = 0;
    const bump = (rec: Record<string, number>, key: string) => {
      rec[key] = (rec[key] ?? 0) + 1;
    };
    const total = await deps.maas.forEachMachine(
      filters,
      (m) => {
        bump(by_status, m.status_name);
        bump(by_zone, m.zone?.name ?? '(none)');
        bump(by_pool, m.pool?.name ?? '(none)');
        bump(by_power, m.power_state);
        if (!isNodeStatus(m.status)) return;
        const attention = isFailed(m.status) || m.status === NodeStatus.BROKEN;
        const list = attention ? needs_attention : isTransient(m.status) ? in_progress : undefined;
        if (!list) return;
        if (list.length >= NAMED_MAX) {
          omitted++;
          return;
        }
        list.push({
          hostname: m.hostname,
          system_id: m.system_id,
          status: m.status_name,
          message: m.error_description || m.status_message,
        });
      },
      { signal },
    );
    if (total === 0 && (zone.length || pool.length)) {
      throw new ToolError('no machines in that zone/pool (check the names with zones_list and pools_list)');
    }
    return { total, by_status, by_zone, by_pool, by_power, needs_attention, in_progress, omitted };
  },
  render(out) {
    const fmt = (rec: Record<string, number>) =>
      Object.entries(rec)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    const lines = [
      `${out.total} machines.`,
      `Status: ${fmt(out.by_status)}`,
      `Zones: ${fmt(out.by_zone)}`,
      `Pools: ${fmt(out.by_pool)}`,
      `Power: ${fmt(out.by_power)}`,
    ];
    const named = (m: z.infer<typeof Named>) =>
      `  ${m.hostname} (${m.system_id}) ${m.status}${m.message ? `: ${asData(m.message)}` : ''}`;
    if (out.needs_attention.length) lines.push('Needs attention:', ...out.needs_attention.map(named));
    if (out.in_progress.length) lines.push('In progress:', ...out.in_progress.map(named));
    if (out.omitted) lines.push(`(${out.omitted} more not named)`);
    return lines.join('\n');
  },
});

export const machineReadTools = [machinesList, machineGet, machineEvents, fleetSummary];
