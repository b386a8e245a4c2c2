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
  MaasNotFoundError,
} from '../maas/errors.ts';

/** An error whose message is already written for the reader (bad input, a refused operation, …). */
export class ToolError extends Error {
  override name = 'ToolError';
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
