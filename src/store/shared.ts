/**
 * Rules every Store implementation shares, so memory, SQLite and Durable Object stores agree on paging,
 * validation and what a corrupt row looks like.
 */
import type * as z from 'zod/v4';
import { ClusterRecord } from './clusters.ts';
import { AuditRecord, Confirmation, MAX_LIST_VALUES, Operation } from './types.ts';

/** Rows a list returns when the filter names no limit. */
export const DEFAULT_LIMIT = 50;
/** The most rows one list call returns, whatever the filter asks. */
export const MAX_LIMIT = 500;

/** The audit record as appended: everything but the id the store assigns. */
export const NewAuditRecordSchema = AuditRecord.omit({ id: true });

/** A stored row that no longer matches its schema; names the table and row so a person can find and repair it. */
export class StoreDataError extends Error {
  override name = 'StoreDataError';
  constructor(
    readonly table: string,
    readonly key: string | number,
    reason: string,
  ) {
    super(`store: ${table} row ${JSON.stringify(String(key))} is corrupt: ${reason}`);
  }
}

/** A listValues limit as a whole number from 1 to MAX_LIST_VALUES (the most, when none is given). */
export function listLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return MAX_LIST_VALUES;
  return Math.min(MAX_LIST_VALUES, Math.max(1, Math.floor(limit)));
}

/** Clamps a filter's limit and offset to whole numbers within bounds. */
export function pageBounds(filter: { limit?: number; offset?: number } | undefined): {
  limit: number;
  offset: number;
} {
  const limit = whole(filter?.limit, DEFAULT_LIMIT);
  const offset = whole(filter?.offset, 0);
  return { limit: Math.min(limit, MAX_LIMIT), offset };
}

function whole(n: number | undefined, fallback: number): number {
  if (n === undefined || !Number.isFinite(n)) return fallback;
  return Math.max(0, Math.floor(n));
}

/**
 * An empty list in a filter means "any": callers build filters from optional inputs, and `state: []` meaning
 * "nothing" would silently hide every operation.
 */
export function anyOf<T>(list: readonly T[] | undefined): readonly T[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

/** Short, readable zod issues: `targets.0.hostname: Invalid input; …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new TypeError(`store: invalid ${what}: ${describeIssues(r.error)}`);
  return r.data;
}

/** Validates an operation before it is written, so a bad record fails at the caller, not at the next read. */
export function checkOperation(op: Operation): Operation {
  return checked(Operation, op, `operation ${JSON.stringify(op?.id)}`);
}

export function checkCluster(c: ClusterRecord): ClusterRecord {
  return checked(ClusterRecord, c, `cluster ${JSON.stringify(c?.name)}`);
}

export function checkConfirmation(c: Confirmation): Confirmation {
  return checked(Confirmation, c, 'confirmation');
}

export function checkAudit(rec: unknown): z.output<typeof NewAuditRecordSchema> {
  return checked(NewAuditRecordSchema, rec, 'audit record');
}

/** Parses a row read back from storage, or throws a {@link StoreDataError} naming it. */
export function parseRow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  table: string,
  key: string | number,
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new StoreDataError(table, key, describeIssues(r.error));
  return r.data;
}

/** True when one of the targets is the machine, by system_id or hostname. */
export function hasMachine(targets: readonly { system_id: string; hostname: string }[], m: string): boolean {
  return targets.some((t) => t.system_id === m || t.hostname === m);
}
