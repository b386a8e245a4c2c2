/**
 * Zones and resource pools (MAAS `maasserver/api/zones.py`, `resourcepools.py`). Note the singular
 * `resourcepool/{id-or-name}/` instance URL.
 */
import { adminOnly, badRequest, deletedResponse, fieldError, forbidden, notFound } from './http.ts';
import type { SimPool, SimZone } from './model.ts';
import { renderPool, renderZone } from './render.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';
import { touch } from './tx.ts';

const NAME_RE = /^[\w-]+$/;

export function cleanName(
  ctx: AuthedCtx,
  kind: string,
  required: boolean,
  exists: (name: string) => boolean,
): string | undefined {
  const name = ctx.data.get('name');
  if (name === undefined || name === '') {
    if (required) throw fieldError('name', 'This field is required.');
    return undefined;
  }
  if (!NAME_RE.test(name)) throw fieldError('name', 'Enter a valid value.');
  if (exists(name)) throw fieldError('name', `${kind} with this Name already exists.`);
  return name;
}

// ---------------------------------------------------------------- zones

function zoneArg(ctx: AuthedCtx): SimZone {
  const z = ctx.svc.state.zoneByName(ctx.args[0] ?? '');
  if (!z) throw notFound('No Zone matches the given query.');
  return z;
}

const createZone: Handler = (ctx) => {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const { state } = ctx.svc;
  const name = cleanName(ctx, 'Zone', true, (n) => !!state.zoneByName(n)) ?? '';
  const id = state.nextId('zone');
  const zone: SimZone = { id, name, description: ctx.data.get('description') ?? '' };
  state.zones.set(id, zone);
  return renderZone(zone);
};

const updateZone: Handler = (ctx) => {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const z = zoneArg(ctx);
  const name = cleanName(ctx, 'Zone', false, (n) => n !== z.name && !!ctx.svc.state.zoneByName(n));
  if (name) z.name = name;
  if (ctx.data.has('description')) z.description = ctx.data.get('description') ?? '';
  return renderZone(z);
};

const deleteZone: Handler = (ctx) => {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const z = zoneArg(ctx);
  const { state } = ctx.svc;
  const fallback = state.zoneByName('default');
  if (!fallback || z.id === fallback.id)
    throw badRequest('This zone is the default zone, it cannot be deleted.');
  for (const n of state.nodes.values()) {
    if (n.zoneId !== z.id) continue;
    touch(n);
    n.zoneId = fallback.id;
  }
  state.zones.delete(z.id);
  return deletedResponse();
};

export const zonesResource: Resource = {
  name: 'ZonesHandler',
  pattern: /^zones\/$/,
  handlers: {
    GET: (ctx) =>
      [...ctx.svc.state.zones.values()].sort((a, b) => a.name.localeCompare(b.name)).map(renderZone),
    POST: createZone,
  },
};

export const zoneResource: Resource = {
  name: 'ZoneHandler',
  pattern: /^zones\/([^/]+)\/$/,
  handlers: { GET: (ctx) => renderZone(zoneArg(ctx)), PUT: updateZone, DELETE: deleteZone },
};

// ---------------------------------------------------------------- resource pools

function poolArg(ctx: AuthedCtx): SimPool {
  const key = ctx.args[0] ?? '';
  const { state } = ctx.svc;
  const p = /^\d+$/.test(key) ? state.pools.get(Number(key)) : state.poolByName(key);
  if (!p) throw notFound('No ResourcePool matches the given query.');
  return p;
}

const createPool: Handler = (ctx) => {
  if (!ctx.user.isSuperuser) throw forbidden();
  const { state } = ctx.svc;
  const name = cleanName(ctx, 'Resource pool', true, (n) => !!state.poolByName(n)) ?? '';
  const id = state.nextId('pool', 0);
  const pool: SimPool = { id, name, description: ctx.data.get('description') ?? '' };
  state.pools.set(id, pool);
  return renderPool(pool);
};

const updatePool: Handler = (ctx) => {
  const p = poolArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  const name = cleanName(ctx, 'Resource pool', false, (n) => n !== p.name && !!ctx.svc.state.poolByName(n));
  if (name) p.name = name;
  if (ctx.data.has('description')) p.description = ctx.data.get('description') ?? '';
  return renderPool(p);
};

const deletePool: Handler = (ctx) => {
  const p = poolArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  if (p.id === 0) throw badRequest('This is the default pool, it cannot be deleted.');
  const { state } = ctx.svc;
  for (const n of state.machines()) {
    if (n.poolId !== p.id) continue;
    touch(n);
    n.poolId = 0;
  }
  state.pools.delete(p.id);
  return deletedResponse();
};

export const poolsResource: Resource = {
  name: 'ResourcePoolsHandler',
  pattern: /^resourcepools\/$/,
  handlers: { GET: (ctx) => [...ctx.svc.state.pools.values()].map(renderPool), POST: createPool },
};

export const poolResource: Resource = {
  name: 'ResourcePoolHandler',
  pattern: /^resourcepool\/([^/]+)\/$/,
  handlers: { GET: (ctx) => renderPool(poolArg(ctx)), PUT: updatePool, DELETE: deletePool },
};
