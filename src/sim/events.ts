/**
 * `GET /events/?op=query` (MAAS `maasserver/api/events.py`): filters, level, limit, before/after paging, newest
 * first.
 */
import { canonicalMac } from './facts.ts';
import { badRequest } from './http.ts';
import { EVENT_LEVELS, type EventLevel, type SimEvent, type SimNode } from './model.ts';
import { API } from './paths.ts';
import { canView } from './perm.ts';
import type { AuthedCtx, Resource } from './router.ts';

const MAX_EVENT_LIMIT = 1000;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `strftime("%a, %d %b. %Y %H:%M:%S")` in UTC. */
export function formatEventTime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]}. ${d.getUTCFullYear()} ${pad(
    d.getUTCHours(),
  )}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function intParam(ctx: AuthedCtx, key: string): number | undefined {
  const v = ctx.query.get(key);
  if (v === undefined) return undefined;
  if (!/^\s*-?\d+\s*$/.test(v)) throw badRequest(`Invalid ${key}: Please enter an integer value`);
  return Number.parseInt(v, 10);
}

function nodeFilter(ctx: AuthedCtx): (n: SimNode) => boolean {
  const q = ctx.query;
  const { state } = ctx.svc;
  const hostnames = q.getAll('hostname');
  const macs = q.getAll('mac_address').map(canonicalMac);
  const ids = q.getAll('id');
  const zone = q.get('zone');
  const agent = q.get('agent_name');
  const domain = q.get('domain');
  const owner = q.get('owner');
  return (n) =>
    n.kind !== 'device' &&
    canView(ctx.user, n) &&
    (!hostnames.length || hostnames.includes(n.hostname)) &&
    (!macs.length || n.interfaces.some((i) => macs.includes(i.mac.toLowerCase()))) &&
    (!ids.length || ids.includes(n.systemId)) &&
    (zone === undefined || state.zones.get(n.zoneId)?.name === zone) &&
    (agent === undefined || n.agentName === agent) &&
    (domain === undefined || state.domains.get(n.domainId)?.name === domain) &&
    (owner === undefined || n.owner === owner);
}

function query(ctx: AuthedCtx): unknown {
  const level = ctx.query.get('level') ?? 'INFO';
  if (!(level in EVENT_LEVELS)) throw badRequest(`Unrecognised log level: ${level}`);
  const minLevel = EVENT_LEVELS[level as EventLevel];
  let limit = intParam(ctx, 'limit') ?? 100;
  if (limit > MAX_EVENT_LIMIT) {
    throw badRequest(`Requested number of events ${limit} is greater than limit: ${MAX_EVENT_LIMIT}`);
  }
  limit = Math.max(1, limit);
  const before = intParam(ctx, 'before');
  const after = intParam(ctx, 'after');
  if (before !== undefined && after !== undefined)
    throw badRequest('There is no support for both before and after.');

  const keep = nodeFilter(ctx);
  const all: { e: SimEvent; n: SimNode }[] = [];
  for (const n of ctx.svc.state.nodes.values()) {
    if (!keep(n)) continue;
    for (const e of n.events) if (EVENT_LEVELS[e.level] >= minLevel) all.push({ e, n });
  }
  all.sort((a, b) => b.e.id - a.e.id);
  let page: typeof all;
  if (after !== undefined) page = all.filter((x) => x.e.id > after).slice(-limit);
  else if (before !== undefined) page = all.filter((x) => x.e.id < before).slice(0, limit);
  else page = all.slice(0, limit);

  const newest = page[0]?.e.id ?? after ?? all[0]?.e.id ?? 0;
  const oldest = page[page.length - 1]?.e.id;
  const base = new URLSearchParams();
  for (const [k, v] of ctx.query.pairs)
    if (k !== 'before' && k !== 'after' && k !== 'limit') base.append(k, v);
  base.set('limit', String(limit));
  const uri = (key: string, id: number) => `${API}events/?${base.toString()}&${key}=${id}`;
  return {
    count: page.length,
    events: page.map(({ e, n }) => ({
      username: e.username ?? n.owner ?? '',
      node: n.systemId,
      hostname: n.hostname,
      id: e.id,
      level: e.level,
      created: formatEventTime(e.created),
      type: e.type,
      description: e.description,
    })),
    next_uri: uri('after', newest),
    prev_uri: oldest !== undefined && all.some((x) => x.e.id < oldest) ? uri('before', oldest) : null,
  };
}

export const eventsResource: Resource = {
  name: 'EventsHandler',
  pattern: /^events\/$/,
  handlers: { 'GET query': query },
};
