/**
 * Allocating machines by constraints (MAAS `maasserver/node_constraint_filter_forms.py` `AcquireNodeForm`): one, or N
 * all-or-nothing.
 */
import * as z from 'zod/v4';
import type { ToolContext } from '../core/deps.ts';
import { describeError, InputError, ToolError } from '../core/errors.ts';
import { defineTool } from '../core/tool.ts';
import type { MaasClient, MachineFilters } from '../maas/client.ts';
import { MaasConflictError, MaasHttpError, MaasNetworkError } from '../maas/errors.ts';
import type { Params } from '../maas/http.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import { asList, eventComment, oneOrMany, tagFilters } from './common.ts';

const Allocated = z.object({
  hostname: z.string(),
  system_id: z.string(),
  arch: z.string(),
  cpus: z.number(),
  memory_mib: z.number(),
  zone: z.string(),
  pool: z.string(),
  tags: z.array(z.string()),
});

const row = (m: MachineSummary): z.infer<typeof Allocated> => ({
  hostname: m.hostname,
  system_id: m.system_id,
  arch: m.architecture,
  cpus: m.cpu_count,
  memory_mib: m.memory,
  zone: m.zone?.name ?? '',
  pool: m.pool?.name ?? '',
  tags: m.tag_names,
});

/** MAAS's allocation order: cheapest first by cpu_count + memory/1024 (`AcquireNodeForm.reorder_nodes_by_cost`). */
const cost = (m: MachineSummary) => m.cpu_count + m.memory / 1024;

export const machineAllocate = defineTool({
  name: 'machine_allocate',
  title: 'Allocate machines',
  description:
    'Reserve Ready machines matching constraints (MAAS picks the cheapest fit) so nobody else takes them; deploy next. count: all N or none.',
  toolset: 'lifecycle',
  minRole: 'operator',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  verb: 'allocate',
  input: z.object({
    hostname: z.string().min(1).optional().describe('This machine, by hostname'),
    system_id: z.string().min(1).optional().describe('This machine, by system_id'),
    architecture: z.string().min(1).optional().describe('e.g. amd64 or arm64/generic'),
    cpus: z.number().int().min(1).optional().describe('At least this many CPU cores'),
    memory: z.number().int().min(1).optional().describe('At least this much memory, MiB (16 GiB = 16384)'),
    tags: oneOrMany('Tags it must have; "-tag" it must not, e.g. ["ssd", "-gpu"]').optional(),
    zone: z.string().min(1).optional().describe('In this zone'),
    pool: z.string().min(1).optional().describe('In this resource pool'),
    count: z.number().int().min(1).max(100).default(1).describe('How many machines (1–100); all or none'),
    dry_run: z.boolean().default(false).describe('Only say which machines would be picked'),
    comment: eventComment,
  }),
  output: z.object({ dry_run: z.boolean(), allocated: z.array(Allocated), summary: z.string() }),
  async run(args, ctx) {
    const { maas } = ctx.deps;
    if (args.count > 1 && (args.hostname || args.system_id)) {
      throw new InputError('count: a count above 1 cannot be combined with hostname or system_id');
    }
    const { tags = [], not_tags = [] } = tagFilters(asList(args.tags));
    const constraints: Record<string, Params[string]> = {
      name: args.hostname,
      system_id: args.system_id,
      arch: args.architecture,
      cpu_count: args.cpus,
      mem: args.memory,
      tags: tags.length ? tags : undefined,
      not_tags: not_tags.length ? not_tags : undefined,
      zone: args.zone,
      pool: args.pool,
    };
    const want = `${args.count} machine${args.count > 1 ? 's' : ''}`;

    if (args.dry_run) {
      // A dry run only reads: it leaves no audit record, whatever it answers.
      ctx.audit.nothingWritten = true;
      const picked =
        args.count === 1
          ? [await maas.allocate({ ...constraints, dry_run: 'true' }, { signal: ctx.signal })]
          : await pickReady(ctx.deps.maas, constraints, args.count, ctx.signal);
      if (picked.length < args.count) {
        throw new ToolError(
          `only ${picked.length} Ready machines match, not ${args.count}: nothing would be allocated`,
        );
      }
      return {
        dry_run: true,
        allocated: picked.map(row),
        summary: `Would allocate ${picked.map((m) => m.hostname).join(', ')}.`,
      };
    }

    const got: MachineSummary[] = [];
    let released = false;
    let releaseError: unknown;
    try {
      for (let i = 0; i < args.count; i++) {
        got.push(await maas.allocate({ ...constraints, comment: args.comment }, { signal: ctx.signal }));
      }
    } catch (err) {
      // All or nothing: give back what was taken so no machine stays held by a half-done request.
      if (got.length > 0) {
        try {
          await maas.releaseMany(
            got.map((m) => m.system_id),
            'maas-mcp: allocation of several machines fell short',
          );
          released = true;
        } catch (e) {
          releaseError = e;
        }
      }
      // The audit records what was taken before the failure, and whether it was given back.
      throw new ToolError(shortfall(want, got, err, releaseError, ctx), {
        targets: got.map((m) => ({
          system_id: m.system_id,
          hostname: m.hostname,
          before: 'Ready',
          outcome: released
            ? 'released again'
            : refusedWhole(releaseError)
              ? 'not given back: still allocated'
              : 'not given back: may still be allocated',
        })),
      });
    }
    const summary = `Allocated ${got.map((m) => m.hostname).join(', ')}; deploy with machine_deploy, or give back with machine_release.`;
    ctx.audit.targets = got.map((m) => ({
      system_id: m.system_id,
      hostname: m.hostname,
      before: 'Ready',
      after: m.status_name,
    }));
    return { dry_run: false, allocated: got.map(row), summary };
  },
  render: (o) =>
    [
      o.summary,
      ...o.allocated.map(
        (m) =>
          `  ${m.hostname} (${m.system_id}) ${m.arch} ${m.cpus}c ${m.memory_mib} MiB ${m.zone}/${m.pool}`,
      ),
    ].join('\n'),
});

/**
 * Why an allocation of `want` fell short, and what is held now: the machines taken before it failed (given back,
 * unless `releaseError` says the release failed), and maybe one more, when MAAS did not answer the last allocation.
 */
function shortfall(
  want: string,
  got: readonly MachineSummary[],
  err: unknown,
  releaseError: unknown,
  ctx: ToolContext,
): string {
  const { secrets, log } = ctx.deps;
  const why =
    err instanceof MaasConflictError
      ? `MAAS says: ${err.body.trim() ? secrets.scrub(err.message) : 'no machine is available (it gave no details)'}`
      : describeError(err, secrets, log);
  const parts = [
    `cannot allocate ${want}: ${got.length ? `only ${got.length} could be taken; ` : ''}${sentence(why)}`,
  ];
  // MAAS may have allocated a machine whose answer never came: nobody can give it back but the caller.
  const maybeOneMore = err instanceof MaasNetworkError && err.mayHaveReachedMaas;
  if (got.length > 0) {
    const taken = `the ${got.length} already taken (${got.map((m) => m.hostname).join(', ')})`;
    if (releaseError !== undefined) {
      const held = refusedWhole(releaseError)
        ? 'MAAS released none of them (a refused request changes nothing), so they are still allocated to you: release them with machine_release.'
        : 'They may still be allocated to you: check with machines_list and release them with machine_release.';
      parts.push(
        `Could not give back ${taken}: ${sentence(describeError(releaseError, secrets, log))} ${held}`,
      );
    } else parts.push(`Released ${taken}${maybeOneMore ? '.' : ', so nothing is held.'}`);
  }
  if (maybeOneMore) {
    parts.push(
      `MAAS did not answer the last allocation, so it may have allocated ${got.length ? 'one more' : 'a'} machine to you: check with machines_list (status allocated) and release it with machine_release.`,
    );
  }
  return parts.join(' ');
}

/**
 * MAAS refused the request itself (4xx): it rolled the whole request back (MAAS `ATOMIC_REQUESTS`, `maasserver/utils/views.py`), so nothing
 * of it happened. A 5xx may come from a proxy while MAAS still works on it.
 */
const refusedWhole = (err: unknown) => err instanceof MaasHttpError && err.status >= 400 && err.status < 500;

/** Ends a text with a full stop, unless it already ends a sentence. */
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/**
 * Which N Ready machines MAAS would hand out, without taking them: MAAS's own dry_run can only show one,
 * since it does not hold it. Reads the candidates with the equivalent list filters and orders them by cost.
 */
async function pickReady(
  maas: MaasClient,
  c: Record<string, Params[string]>,
  n: number,
  signal?: AbortSignal,
): Promise<MachineSummary[]> {
  const filters: MachineFilters & Record<string, unknown> = { status: ['ready'] };
  if (c.arch) filters.arch = [String(c.arch)];
  if (c.tags) filters.tags = c.tags as string[];
  if (c.not_tags) filters.not_tags = c.not_tags as string[];
  if (c.zone) filters.zone = [String(c.zone)];
  if (c.pool) filters.pool = [String(c.pool)];
  const rows = (await maas.listMachines(filters, { signal })).filter(
    (m) => !m.locked && m.cpu_count >= Number(c.cpu_count ?? 0) && m.memory >= Number(c.mem ?? 0),
  );
  return rows.sort((a, b) => cost(a) - cost(b)).slice(0, n);
}
