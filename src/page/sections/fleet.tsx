/**
 * The fleet at a glance: counts by status, each zone or pool as a bar coloured by its machines' statuses (a rack in
 * trouble shows), and a page of the machines themselves as a grid of cells.
 */
import type { FleetMachine, Tone } from '../fleet.ts';
import { toneOf } from '../fleet.ts';
import { defineSection, type PageContext, plural } from '../section.ts';

/** Machines per page of the grid: enough to see a few racks at once, few enough for a phone. */
export const GRID_PAGE = 1000;

interface StatusCount {
  label: string;
  tone: Tone;
  count: number;
}

function countByStatus(machines: readonly FleetMachine[]): StatusCount[] {
  const by = new Map<string, StatusCount>();
  for (const m of machines) {
    const c = by.get(m.label);
    if (c) c.count++;
    else by.set(m.label, { label: m.label, tone: toneOf(m.status), count: 1 });
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

export const counts = defineSection({
  id: 'counts',
  title: 'Machines by status',
  async load(ctx: PageContext) {
    const fleet = await ctx.fleet();
    return { total: fleet.machines.length, counts: countByStatus(fleet.machines) };
  },
  render: (d) => (
    <>
      <p>{plural(d.total, 'machine')} in all.</p>
      <ul class="counts">
        {d.counts.map((c) => (
          <li>
            <span class={`sw t-${c.tone}`} aria-hidden="true" />
            <span class="n">{c.count}</span> {c.label}
          </li>
        ))}
      </ul>
      <p class="legend">Striped: work in progress. Dotted: failed or broken.</p>
    </>
  ),
  summary: (d) => d.counts.map((c) => `${c.count} ${c.label}`).join(', '),
});

interface Group {
  name: string;
  total: number;
  counts: StatusCount[];
}

function groupsOf(machines: readonly FleetMachine[], by: 'zone' | 'pool'): Group[] {
  const groups = new Map<string, FleetMachine[]>();
  for (const m of machines) {
    const key = m[by];
    const list = groups.get(key);
    if (list) list.push(m);
    else groups.set(key, [m]);
  }
  return [...groups.entries()]
    .map(([name, ms]) => ({ name, total: ms.length, counts: countByStatus(ms) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const share = (n: number, total: number) => Math.max(1, Math.round((n / total) * 100));

export const groups = defineSection({
  id: 'groups',
  title: 'Zones and pools',
  async load(ctx: PageContext) {
    const fleet = await ctx.fleet();
    return { by: ctx.grid.by, groups: groupsOf(fleet.machines, ctx.grid.by) };
  },
  render: (d) => (
    <>
      <p>
        By {d.by}:{' '}
        <a href={`?by=${d.by === 'zone' ? 'pool' : 'zone'}`}>group by {d.by === 'zone' ? 'pool' : 'zone'}</a>
      </p>
      <ul class="groups">
        {d.groups.map((g) => {
          const failed = g.counts.filter((c) => c.tone === 'failed' || c.tone === 'broken');
          const nFailed = failed.reduce((n, c) => n + c.count, 0);
          return (
            <li>
              <span class="gname">{g.name}</span> <span class="gtotal">{plural(g.total, 'machine')}</span>
              {nFailed > 0 ? <strong class="bad"> · {nFailed} failed or broken</strong> : null}
              <span class="bar" aria-hidden="true">
                {g.counts.map((c) => (
                  <span class={`seg t-${c.tone} g${share(c.count, g.total)}`} />
                ))}
              </span>
              <span class="sr">{g.counts.map((c) => `${c.count} ${c.label}`).join(', ')}</span>
            </li>
          );
        })}
      </ul>
    </>
  ),
  summary: (d) =>
    d.groups
      .filter((g) => g.counts.some((c) => c.tone === 'failed' || c.tone === 'broken'))
      .map((g) => `${g.name} has failures`)
      .join(', '),
});

/** The grid's order: by group, then hostname. */
function gridOrder(machines: readonly FleetMachine[], by: 'zone' | 'pool'): FleetMachine[] {
  return [...machines].sort((a, b) => a[by].localeCompare(b[by]) || a.hostname.localeCompare(b.hostname));
}

/** A machine's cell: its colour is its status; its text (hidden on screen) says the same to a screen reader. */
export function cellText(m: Pick<FleetMachine, 'hostname' | 'label' | 'message'>): string {
  return m.message ? `${m.hostname}: ${m.label} (${m.message})` : `${m.hostname}: ${m.label}`;
}

export const grid = defineSection({
  id: 'grid',
  title: 'Machines',
  live: false,
  async load(ctx: PageContext) {
    const fleet = await ctx.fleet();
    const ordered = gridOrder(fleet.machines, ctx.grid.by);
    const pages = Math.max(1, Math.ceil(ordered.length / GRID_PAGE));
    const page = Math.min(Math.max(1, ctx.grid.page), pages);
    const shown = ordered.slice((page - 1) * GRID_PAGE, page * GRID_PAGE);
    const runs: { group: string; machines: FleetMachine[] }[] = [];
    for (const m of shown) {
      const last = runs.at(-1);
      if (last?.group === m[ctx.grid.by]) last.machines.push(m);
      else runs.push({ group: m[ctx.grid.by], machines: [m] });
    }
    return { by: ctx.grid.by, page, pages, total: ordered.length, runs };
  },
  render: (d) => (
    <>
      {d.pages > 1 ? (
        <nav aria-label="Pages of machines" class="pages">
          Page {d.page} of {d.pages} ({GRID_PAGE} machines a page):{' '}
          {d.page > 1 ? <a href={`?by=${d.by}&page=${d.page - 1}`}>previous</a> : null}{' '}
          {d.page < d.pages ? <a href={`?by=${d.by}&page=${d.page + 1}`}>next</a> : null}
        </nav>
      ) : null}
      {d.runs.map((r) => (
        <div class="run">
          <h3>
            {r.group} <span class="gtotal">({plural(r.machines.length, 'machine')})</span>
          </h3>
          <ul class="cells">
            {r.machines.map((m) => (
              <li class={`c t-${toneOf(m.status)}`} data-id={m.id} title={cellText(m)}>
                <span class="sr">{cellText(m)}</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </>
  ),
  summary: (d) => `${plural(d.total, 'machine')}, page ${d.page} of ${d.pages}`,
});
