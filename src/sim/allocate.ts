/**
 * `POST /machines/?op=allocate` (MAAS `maasserver/node_constraint_filter_forms.py` `AcquireNodeForm`): candidates are
 * Ready, editable and unlocked; cheapest first by `cpu_count + memory/1024`; the three 409 texts; `dry_run` and
 * `verbose`.
 */

import { matchInterfaces, matchingInterfaces, matchStorage, storageByLabel } from './constraints.ts';
import { ACQUIRE_FIELDS, cleanConstraints, IGNORED_FIELDS } from './filters.ts';
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
  // `constraints_by_type` (only in this answer): what the label-based constraints matched on the chosen machine;
  // `verbose` adds the same for every candidate, keyed by the machines' database ids.
  const byType: Record<string, unknown> = {};
  if (cleaned.storage) {
    const labels = storageByLabel(matchStorage(chosen, cleaned.storage) ?? new Map());
    if (Object.keys(labels).length) byType.storage = labels;
  }
  if (cleaned.interfaces) byType.interfaces = matchInterfaces(state, chosen, cleaned.interfaces) ?? {};
  if (verbose) {
    // MAAS sets both whenever `verbose` is on (`MachinesHandler.allocate`), empty when there was no such constraint.
    const storageConstraints = cleaned.storage;
    byType.verbose_storage = storageConstraints
      ? Object.fromEntries(
          candidates.map((n) => [
            String(state.dbId(n)),
            Object.fromEntries(
              [...(matchStorage(n, storageConstraints) ?? new Map())].filter(([, l]) => l !== ''),
            ),
          ]),
        )
      : {};
    const verboseInterfaces: Record<string, Record<string, number[]>> = {};
    for (const [label, pairs] of cleaned.interfaces ?? []) {
      verboseInterfaces[label] = Object.fromEntries(
        candidates.map((n) => [String(state.dbId(n)), matchingInterfaces(state, n, pairs).map((i) => i.id)]),
      );
    }
    byType.verbose_interfaces = verboseInterfaces;
  }
  if (!dryRun) acquire(ctx, chosen);
  const extra: Record<string, unknown> = { constraints_by_type: byType };
  return renderMachine(state, chosen, extra);
}
