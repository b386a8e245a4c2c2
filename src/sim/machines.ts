/**
 * The machines collection `/machines/` (MAAS `maasserver/api/machines.py` `MachinesHandler`): the streamed, filtered
 * list and the collection ops.
 */

import { allocate } from './allocate.ts';
import { clone } from './clone.ts';
import { macLookupOps } from './devices.ts';
import { visibleNodes } from './filters.ts';
import {
  adminOnly,
  badRequest,
  CHOICE,
  conflict,
  fieldError,
  forbidden,
  SimHttpError,
  streamResponse,
} from './http.ts';
import { jsonArrayStream } from './json.ts';
import { startCommissioning } from './lifecycle.ts';
import { createMachine } from './machine-form.ts';
import type { SimNode } from './model.ts';
import { hasPerm } from './perm.ts';
import { startRelease } from './release.ts';
import { renderMachine } from './render.ts';
import type { AuthedCtx, Resource } from './router.ts';
import { RELEASABLE, S, statusLabel } from './status.ts';

function list(ctx: AuthedCtx): Response {
  const machines = visibleNodes(ctx, (n) => n.kind === 'machine');
  const state = ctx.svc.state;
  return streamResponse(jsonArrayStream(machines, (n) => renderMachine(state, n)));
}

/** Resolves `machines=` ids, with the 400/403 texts of the bulk ops. */
function bulkMachines(ctx: AuthedCtx, key: string, action: string, perm: 'edit' | 'admin'): SimNode[] {
  const ids = ctx.data.getAll(key);
  const found = ids.map((id) => ctx.svc.state.machine(id));
  const unknown = ids.filter((_, i) => !found[i]);
  if (unknown.length) throw badRequest(`Unknown machine(s): ${unknown.join(', ')}.`);
  const machines = found.filter((n): n is SimNode => n !== undefined);
  const denied = machines.filter((n) => !hasPerm(ctx.user, n, perm)).map((n) => n.systemId);
  if (denied.length) {
    throw forbidden(
      `You don't have the required permission to ${action} the following machine(s): ${denied.join(', ')}.`,
    );
  }
  return machines;
}

function releaseMany(ctx: AuthedCtx): string[] {
  const machines = bulkMachines(ctx, 'machines', 'release', 'edit');
  const released: string[] = [];
  const failed: string[] = [];
  const comment = ctx.data.get('comment') ?? '';
  for (const n of machines) {
    if (n.status === S.READY) continue;
    if (RELEASABLE.has(n.status)) {
      startRelease(
        ctx.svc.engine,
        n,
        ctx.user.username,
        { erase: false, secure: false, quick: false },
        comment,
      );
      released.push(n.systemId);
    } else {
      failed.push(`${n.systemId} ('${statusLabel(n.status)}')`);
    }
  }
  // The 409 rolls the whole request back (MAAS `ATOMIC_REQUESTS`, `maasserver/utils/views.py`): the machines before the failing ones stay as
  // they were.
  if (failed.length)
    throw conflict(`Machine(s) cannot be released in their current state: ${failed.join(', ')}.`);
  return released;
}

function accept(ctx: AuthedCtx): unknown[] {
  const machines = bulkMachines(ctx, 'machines', 'accept', 'admin');
  const accepted: SimNode[] = [];
  for (const n of machines) {
    if (n.status === S.READY || n.status === S.COMMISSIONING) continue;
    if (n.status !== S.NEW) {
      throw conflict(
        `Cannot accept node enlistment: node ${n.systemId} is in state ${statusLabel(n.status)}.`,
      );
    }
    startCommissioning(ctx.svc.engine, n, ctx.user.username, { skipTests: false, skipStorage: false });
    accepted.push(n);
  }
  return accepted.map((n) => renderMachine(ctx.svc.state, n));
}

function acceptAll(ctx: AuthedCtx): unknown[] {
  const accepted: SimNode[] = [];
  for (const n of ctx.svc.state.machines()) {
    if (n.status !== S.NEW || !hasPerm(ctx.user, n, 'admin')) continue;
    startCommissioning(ctx.svc.engine, n, ctx.user.username, { skipTests: false, skipStorage: false });
    accepted.push(n);
  }
  return accepted.map((n) => renderMachine(ctx.svc.state, n));
}

function listAllocated(ctx: AuthedCtx): Response {
  const ids = ctx.query.getAll('id');
  const state = ctx.svc.state;
  const mine = [...state.machines()].filter(
    (n) =>
      n.owner === ctx.user.username && n.status === S.ALLOCATED && (!ids.length || ids.includes(n.systemId)),
  );
  return streamResponse(jsonArrayStream(mine, (n) => renderMachine(state, n)));
}

function powerParameters(ctx: AuthedCtx): Record<string, Record<string, string>> {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const ids = ctx.query.getAll('id');
  const out: Record<string, Record<string, string>> = {};
  for (const n of ctx.svc.state.machines()) {
    if (!ids.length || ids.includes(n.systemId)) out[n.systemId] = { ...n.powerParameters };
  }
  return out;
}

function setZone(ctx: AuthedCtx): null {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const zoneName = ctx.data.get('zone');
  if (!zoneName) throw fieldError('zone', 'This field is required.');
  const zone = ctx.svc.state.zoneByName(zoneName);
  if (!zone) throw fieldError('zone', CHOICE);
  const ids = ctx.data.getAll('nodes');
  const nodes = ids.map((id) => ctx.svc.state.nodes.get(id));
  const bad = ids.filter((_, i) => !nodes[i]);
  if (bad.length) throw fieldError('nodes', `Unknown node(s): ${bad.join(', ')}.`);
  for (const n of nodes) if (n) n.zoneId = zone.id;
  return null;
}

export const machinesResource: Resource = {
  name: 'MachinesHandler',
  pattern: /^machines\/$/,
  handlers: {
    GET: list,
    POST: (ctx) => createMachine(ctx, ctx.user),
    'POST allocate': allocate,
    'POST clone': clone,
    'POST release': releaseMany,
    'POST accept': accept,
    'POST accept_all': acceptAll,
    'POST set_zone': setZone,
    'GET list_allocated': listAllocated,
    ...macLookupOps,
    'GET power_parameters': powerParameters,
  },
  anon: {
    ...macLookupOps,
    POST: (ctx) => createMachine(ctx, null),
    'POST accept': () => {
      throw new SimHttpError(401, 'You must be logged in to accept machines.');
    },
  },
};
