/** Adding and removing tags on machines: one MAAS request per tag, whatever the number of machines. */
import * as z from 'zod/v4';
import { describeError, InputError, ToolError } from '../core/errors.ts';
import { notFound, resolveMachines } from '../core/targets.ts';
import { defineTool } from '../core/tool.ts';
import { asList, machinesRef, oneOrMany } from './common.ts';

const TAG_NAME = /^[a-zA-Z0-9_-]+$/;

export const machineTag = defineTool({
  name: 'machine_tag',
  title: 'Tag machines',
  description:
    'Add and remove manual tags on machines (automatic, XPath tags are MAAS’s own). A missing tag is made only with create_missing.',
  toolset: 'lifecycle',
  minRole: 'operator',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  verb: 'tag',
  slack: { positional: 'machines' },
  maasAdmin: true,
  input: z.object({
    machines: machinesRef,
    add: oneOrMany('Tags to add').optional(),
    remove: oneOrMany('Tags to remove').optional(),
    create_missing: z
      .boolean()
      .default(false)
      .describe('Create missing tags in `add` (needs a MAAS admin key)'),
  }),
  output: z.object({
    changes: z.array(
      z.object({
        hostname: z.string(),
        system_id: z.string(),
        added: z.array(z.string()),
        removed: z.array(z.string()),
        tags: z.array(z.string()).describe('Its tags afterwards'),
      }),
    ),
    created_tags: z.array(z.string()),
    not_found: z.array(z.string()),
    summary: z.string(),
  }),
  async run(args, ctx) {
    const { maas } = ctx.deps;
    const add = asList(args.add);
    const remove = asList(args.remove);
    if (add.length + remove.length === 0) throw new InputError('give tags to add or remove');
    for (const t of [...add, ...remove]) {
      if (!TAG_NAME.test(t)) throw new InputError(`tag "${t}": tag names are letters, digits, _ and - only`);
    }
    const both = add.filter((t) => remove.includes(t));
    if (both.length) throw new InputError(`tag ${both.join(', ')} is both added and removed: choose one`);

    const [{ machines, missing }, tags] = await Promise.all([
      resolveMachines(maas, args.machines, ctx.signal),
      maas.tags({ signal: ctx.signal }),
    ]);
    if (machines.length === 0) throw notFound(missing);
    const known = new Map(tags.map((t) => [t.name, t]));
    const absent = add.filter((t) => !known.has(t));
    if (absent.length && !args.create_missing) {
      throw new ToolError(
        `no tag ${absent.map((t) => `"${t}"`).join(', ')} in MAAS — pass create_missing: true to create it`,
      );
    }
    const automatic = [...add, ...remove].filter((t) => known.get(t)?.definition);
    if (automatic.length) {
      throw new ToolError(
        `${automatic.map((t) => `"${t}"`).join(', ')} ${automatic.length > 1 ? 'are' : 'is'} automatic (defined by an XPath over hardware details); MAAS assigns ${automatic.length > 1 ? 'them' : 'it'} itself`,
      );
    }

    const created: string[] = [];
    const changes = machines.map((m) => ({
      hostname: m.hostname,
      system_id: m.system_id,
      added: add.filter((t) => !m.tag_names.includes(t)),
      removed: remove.filter((t) => m.tag_names.includes(t)),
      tags: [...m.tag_names],
    }));
    // MAAS has no transaction across these requests: if one fails, what was already done is reported and audited.
    const done: string[] = [];
    ctx.audit.targets = changes.map((c) => ({ system_id: c.system_id, hostname: c.hostname }));
    try {
      for (const t of absent) {
        await maas.createTag(t, 'created by maas-mcp', { signal: ctx.signal });
        created.push(t);
        done.push(`created tag ${t}`);
      }
      for (const [sign, tagList, pick] of [
        ['+', add, (c: (typeof changes)[number]) => c.added],
        ['-', remove, (c: (typeof changes)[number]) => c.removed],
      ] as const) {
        for (const t of tagList) {
          const hit = changes.filter((c) => pick(c).includes(t));
          if (hit.length === 0) continue;
          const ids = hit.map((c) => c.system_id);
          await maas.updateTagNodes(t, sign === '+' ? { add: ids } : { remove: ids }, {
            signal: ctx.signal,
          });
          done.push(`${sign}${t} on ${hit.map((c) => c.hostname).join(', ')}`);
        }
      }
    } catch (err) {
      const why = describeError(err, ctx.deps.secrets, ctx.deps.log);
      throw new ToolError(done.length ? `${why}. Already done before it failed: ${done.join('; ')}` : why, {
        result: done.length ? 'partial' : 'failed',
      });
    }
    for (const c of changes) c.tags = [...c.tags.filter((t) => !c.removed.includes(t)), ...c.added].sort();
    const n = changes.filter((c) => c.added.length || c.removed.length).length;
    const summary = `tags changed on ${n} of ${changes.length} machine${changes.length > 1 ? 's' : ''}${created.length ? `; created ${created.join(', ')}` : ''}`;
    ctx.audit.result = missing.length ? 'partial' : 'ok';
    ctx.audit.targets = changes.map((c) => ({
      system_id: c.system_id,
      hostname: c.hostname,
      outcome: [...c.added.map((t) => `+${t}`), ...c.removed.map((t) => `-${t}`)].join(' ') || 'unchanged',
    }));
    return { changes, created_tags: created, not_found: missing, summary };
  },
  render: (o) =>
    [
      o.summary,
      ...o.changes.map(
        (c) =>
          `  ${c.hostname}: ${[...c.added.map((t) => `+${t}`), ...c.removed.map((t) => `-${t}`)].join(' ') || 'unchanged'} → ${c.tags.join(', ') || '(no tags)'}`,
      ),
      ...o.not_found.map((w) => `  not found: "${w}"`),
    ].join('\n'),
});
