/**
 * `POST /machines/?op=allocate` (MAAS `maasserver/node_constraint_filter_forms.py` `AcquireNodeForm`): candidates are
 * Ready, editable and unlocked; cheapest first by `cpu_count + memory/1024`; the three 409 texts; `dry_run` and
 * `verbose`.
 */

import { ACQUIRE_FIELDS, cleanConstraints, IGNORED_FIELDS, matchStorage } from './filters.ts';
import { badRequest, conflict, stringBool } from './http.ts';
import { pyRepr, pyReprList } from './json.ts';
import { acquire } from './machine-ops.ts';
import type { SimNode } from './model.ts';
import { hasPerm } from './perm.ts';
import { renderMachine } from './render.ts';
import type { AuthedCtx } from './router.ts';
import { S } from './status.ts';

const cost = (n: SimNode) => n.cpuCount + n.memory / 1024;

/** The Python repr of the request's `[(key, [values]), …]` in request order, without `op`. */
function describeRequest(ctx: AuthedCtx): string {
  const parts = ctx.data
    .keys()
    .filter((k) => k !== 'op')
    .map((k) => `(${pyRepr(k)}, ${pyReprList(ctx.data.getAll(k))})`);
  return `[${parts.join(', ')}]`;
}

export function allocate(ctx: AuthedCtx): unknown {
  const { state } = ctx.svc;
  const data = ctx.data;
  if (data.has('install_rackd'))
    throw badRequest('Support for install_rackd allocation parameter has been removed.');
  const dryRun = stringBool(data, 'dry_run', false);
  const verbose = stringBool(data, 'verbose', false);
  const cleaned = cleanConstraints(state, data, ACQUIRE_FIELDS, { singleZonePool: true });
  const candidates: SimNode[] = [];
  for (const n of state.machines()) {
    if (n.status !== S.READY || !hasPerm(ctx.user, n, 'edit')) continue;
    if (cleaned.matches.every((m) => m(n))) candidates.push(n);
  }
  // A stable sort keeps id order among equal costs.
  candidates.sort((a, b) => cost(a) - cost(b));
  const chosen = candidates[0];
  if (!chosen) {
    const systemId = data.get('system_id');
    if (systemId) throw conflict(`No machine with system ID ${systemId} available.`);
    const constraintKeys = data.keys().filter((k) => !IGNORED_FIELDS.has(k));
    if (constraintKeys.length === 0) throw conflict('No machine available.');
    throw conflict(
      `No available machine matches constraints: ${describeRequest(ctx)} (resolved to "${cleaned.described.join(' ')}")`,
    );
  }
  const storage = cleaned.storage ? (matchStorage(chosen, cleaned.storage) ?? {}) : null;
  const constraintsByType: Record<string, unknown> = {};
  if (storage) constraintsByType.storage = storage;
  if (!dryRun) acquire(ctx, chosen);
  const extra: Record<string, unknown> = { constraints_by_type: constraintsByType };
  if (verbose) {
    extra.constraints_by_type = {
      ...constraintsByType,
      verbose_storage: storage ?? {},
      verbose_interfaces: {},
    };
  }
  return renderMachine(state, chosen, extra);
}
