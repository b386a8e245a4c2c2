/**
 * The third tier of errors: what a person or a model reads. Tools throw domain errors (MaasError, ToolError);
 * adapters call {@link describeError} and never show a stack trace.
 */

import type { Logger } from '../base/log.ts';
import type { SecretSet } from '../base/redact.ts';
import {
  MaasBadRequestError,
  MaasConflictError,
  MaasEndpointError,
  MaasError,
  MaasForbiddenError,
  MaasGatewayTimeoutError,
  MaasHttpError,
  MaasNetworkError,
  MaasNotFoundError,
  MaasUnavailableError,
} from '../maas/errors.ts';
import type { AuditRecord } from '../store/types.ts';

/** What a failed call's audit record should say beyond the error itself (see {@link ToolError}). */
export interface AuditFacts {
  result?: AuditRecord['result'];
  targets?: AuditRecord['targets'];
  operation_id?: string;
}

/**
 * An error whose message is already written for the reader (bad input, a refused operation, …). `audit` adds what
 * the audit record of the failed call should say: part was done (`result: 'partial'`), which targets, which
 * operation.
 */
export class ToolError extends Error {
  override name = 'ToolError';
  /** MAAS could not be reached, or could not say what happened: trying again after a fresh look is sensible. */
  readonly transient: boolean;
  constructor(
    message: string,
    readonly audit?: AuditFacts,
    opts: { transient?: boolean } = {},
  ) {
    super(message);
    this.transient = opts.transient === true;
  }
}

/** Bad arguments: nothing was tried, so nothing is audited. The message names the field and what it accepts. */
export class InputError extends ToolError {
  override name = 'InputError';
}

/**
 * A call refused before it did anything — by who may use the tool, by MAAS's rights, by the confirmation gate or
 * by policy. Always audited as `refused`.
 */
export class Refusal extends ToolError {
  override name = 'Refusal';
  constructor(
    message: string,
    readonly why: 'access' | 'maas-rights' | 'gate' | 'policy',
    audit?: AuditFacts,
  ) {
    super(message, audit);
  }
}

/**
 * Whether a failure is MAAS being unreachable or busy rather than MAAS refusing: a 503 or 504, a 502 or 429 from
 * what stands in front of it, a 409 that asks to retry (`Retry-After`: a database conflict), no answer at all, or a
 * tool's own error saying so. What retries it must look again before repeating a write (never re-send blindly).
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof ToolError) return err.transient;
  if (err instanceof MaasUnavailableError || err instanceof MaasGatewayTimeoutError) return true;
  if (err instanceof MaasConflictError) return err.retryAfterSeconds !== undefined;
  if (err instanceof MaasHttpError) return err.status === 502 || err.status === 429;
  return err instanceof MaasNetworkError;
}

/** Turns any thrown value into one readable message with no secrets in it. */
export function describeError(err: unknown, secrets?: SecretSet, log?: Logger): string {
  let message: string;
  if (err instanceof ToolError) {
    message = err.message;
  } else if (err instanceof MaasConflictError) {
    message = `MAAS refused: ${err.message}`;
  } else if (err instanceof MaasBadRequestError) {
    message = `MAAS rejected the request: ${err.message}`;
  } else if (err instanceof MaasForbiddenError || err instanceof MaasNotFoundError) {
    message = err.message;
  } else if (err instanceof MaasEndpointError) {
    log?.error('MAAS does not know an endpoint maas-mcp called', { error: err, request: err.request });
    message = err.message;
  } else if (err instanceof MaasError) {
    message = err.message;
  } else {
    log?.error('unexpected error', { error: err, stack: err instanceof Error ? err.stack : undefined });
    message = `internal error in maas-mcp: ${err instanceof Error ? err.message : String(err)}`;
  }
  return secrets ? secrets.scrub(message) : message;
}

/** A field's path as a person writes it: `interfaces[2].name` (after `prefix`, e.g. `storage.`); '' for none. */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix.replace(/\.$/, '');
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** A zod error as a line a person can act on: "limit: Too big: expected number to be <=500". */
export function zodMessage(err: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  return err.issues.map((i) => `${fieldPath(i.path) || 'arguments'}: ${i.message}`).join('; ');
}
