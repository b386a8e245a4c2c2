/** Admin tools: the audit log. */
import * as z from 'zod/v4';
import { ToolError } from '../core/errors.ts';
import { defineTool } from '../core/tool.ts';
import { limit, offset } from './common.ts';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30m", "24h", "7d" (ago) or an ISO time, to epoch ms. */
export function parseSince(text: string, now: number): number {
  const rel = /^(\d+)\s*([mhd])$/i.exec(text.trim());
  if (rel) return now - Number(rel[1]) * (UNITS[(rel[2] as string).toLowerCase()] as number);
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new ToolError(
      `since: "${text}" is neither a time like 2026-01-15T09:00Z nor an age like 30m, 24h, 7d`,
    );
  return t;
}

export const auditList = defineTool({
  name: 'audit_list',
  title: 'Audit log',
  description:
    'The audit log, newest first: every write and refused or cancelled attempt — who, how, which machines, before and after.',
  toolset: 'admin',
  minRole: 'admin',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  verb: 'audit',
  input: z.object({
    since: z.string().optional().describe('Only entries since this time (ISO) or age ("30m", "24h", "7d")'),
    principal: z
      .string()
      .optional()
      .describe('Only this principal (token principal, local user or Slack id)'),
    machine: z.string().optional().describe('Only entries touching this machine'),
    tool: z.string().optional().describe('Only this tool, e.g. machine_deploy'),
    limit: limit(50, 500),
    offset,
  }),
  output: z.object({
    entries: z.array(
      z.object({
        id: z.number(),
        at: z.string(),
        principal: z.string(),
        via: z.string(),
        tool: z.string(),
        result: z.string(),
        detail: z.string(),
        targets: z.array(z.object({ hostname: z.string(), system_id: z.string(), change: z.string() })),
      }),
    ),
    more: z.boolean(),
    next_offset: z.number().nullable(),
  }),
  async run(args, { deps }) {
    const rows = await deps.store.listAudit({
      ...(args.since ? { since: parseSince(args.since, deps.clock.now()) } : {}),
      ...(args.principal ? { principal: args.principal } : {}),
      ...(args.machine ? { machine: args.machine } : {}),
      ...(args.tool ? { tool: args.tool } : {}),
      limit: args.limit + 1,
      offset: args.offset,
    });
    const more = rows.length > args.limit;
    return {
      entries: rows.slice(0, args.limit).map((r) => ({
        id: r.id,
        at: new Date(r.at).toISOString(),
        principal: r.principal,
        via: r.via,
        tool: r.tool,
        result: r.result,
        detail: r.detail,
        targets: r.targets.map((t) => ({
          hostname: t.hostname,
          system_id: t.system_id,
          change: [t.before && t.after ? `${t.before} → ${t.after}` : (t.before ?? ''), t.outcome ?? '']
            .filter(Boolean)
            .join(' '),
        })),
      })),
      more,
      next_offset: more ? args.offset + args.limit : null,
    };
  },
  render(o) {
    if (o.entries.length === 0) return 'No audit entries match.';
    const lines = o.entries.map(
      (e) =>
        `${e.at} ${e.principal} (${e.via}) ${e.tool} ${e.result}: ${e.detail}${e.targets.length ? ` [${e.targets.map((t) => `${t.hostname}${t.change ? ` ${t.change}` : ''}`).join('; ')}]` : ''}`,
    );
    if (o.more) lines.push(`(more: offset=${o.next_offset})`);
    return lines.join('\n');
  },
});

export const adminTools = [auditList];
