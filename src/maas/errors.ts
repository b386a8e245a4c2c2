/**
 * Domain errors of the MAAS client: one class per kind of MAAS error answer (MAAS `maasserver/exceptions.py`,
 * `maasserver/middleware.py`). Handlers throw these; the adapters (MCP, Slack) turn them into readable results.
 */

/** Where a failed request was going; never holds credentials or bodies. */
export interface MaasRequestInfo {
  method: string;
  /** Path below the API root, e.g. `machines/4y3ha3/`. */
  path: string;
  op?: string | undefined;
}

export class MaasError extends Error {
  override name = 'MaasError';
  readonly request: MaasRequestInfo | undefined;
  constructor(message: string, request?: MaasRequestInfo, options?: { cause?: unknown }) {
    super(message, options);
    this.request = request;
  }
}

/** MAAS answered with an HTTP error status. `body` is MAAS's own text (possibly empty). */
export class MaasHttpError extends MaasError {
  override name = 'MaasHttpError';
  readonly status: number;
  readonly body: string;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    status: number,
    body: string,
    request: MaasRequestInfo,
    opts: { message?: string; retryAfterSeconds?: number | undefined } = {},
  ) {
    super(opts.message ?? (body.trim() || `MAAS answered ${status}`), request);
    this.status = status;
    this.body = body;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/**
 * 400. MAAS sends either a field dict (`{"field": ["msg"]}`, `__all__` for non-field errors), a list of
 * messages, or a single text message.
 */
export class MaasBadRequestError extends MaasHttpError {
  override name = 'MaasBadRequestError';
  readonly fields: Readonly<Record<string, readonly string[]>>;
  constructor(body: string, request: MaasRequestInfo, fields: Record<string, string[]>) {
    super(400, body, request, { message: describeFieldErrors(body, fields) });
    this.fields = fields;
  }
}

/** 401: the API key is wrong, revoked or the clock is skewed by more than 300 s. */
export class MaasAuthError extends MaasHttpError {
  override name = 'MaasAuthError';
  constructor(body: string, request: MaasRequestInfo) {
    super(401, body, request, {
      message: `MAAS refused the API key (${body.trim() || 'Unauthorized'}). Check MAAS_API_KEY, and that this host's clock is within 5 minutes of MAAS's.`,
    });
  }
}

/**
 * 403. Often an empty body: the object exists but the user may not touch it — it belongs to someone else,
 * it is locked, or the operation needs a MAAS admin.
 */
export class MaasForbiddenError extends MaasHttpError {
  override name = 'MaasForbiddenError';
  constructor(body: string, request: MaasRequestInfo) {
    super(403, body, request, {
      message:
        body.trim() ||
        'MAAS refused this: the machine is locked, owned by another user, or the operation needs a MAAS admin',
    });
  }
}

/** 404 for an object that does not exist (`No Machine matches the given query.`). */
export class MaasNotFoundError extends MaasHttpError {
  override name = 'MaasNotFoundError';
  constructor(body: string, request: MaasRequestInfo) {
    super(404, body, request);
  }
}

/** 404 `Unknown API endpoint: …` — the URL we built is wrong. This is a bug in maas-mcp, not a user error. */
export class MaasEndpointError extends MaasHttpError {
  override name = 'MaasEndpointError';
  constructor(body: string, request: MaasRequestInfo) {
    super(404, body, request, {
      message: `maas-mcp built a URL MAAS does not know (${body.trim()}); this is a bug in maas-mcp — please report it`,
    });
  }
}

/** 409: the machine's state forbids the operation (or, with Retry-After, a transient DB conflict). */
export class MaasConflictError extends MaasHttpError {
  override name = 'MaasConflictError';
  constructor(body: string, request: MaasRequestInfo, retryAfterSeconds?: number) {
    super(409, body, request, { retryAfterSeconds });
  }
}

/** 503: MAAS cannot reach a rack controller or a BMC, or ran out of addresses. */
export class MaasUnavailableError extends MaasHttpError {
  override name = 'MaasUnavailableError';
  constructor(body: string, request: MaasRequestInfo, retryAfterSeconds?: number) {
    super(503, body, request, {
      message: `MAAS is temporarily unavailable: ${body.trim() || 'Service Unavailable'}`,
      retryAfterSeconds,
    });
  }
}

/** 504 from MAAS (an RPC to a rack controller timed out). */
export class MaasGatewayTimeoutError extends MaasHttpError {
  override name = 'MaasGatewayTimeoutError';
  constructor(body: string, request: MaasRequestInfo) {
    super(504, body, request, {
      message: `MAAS timed out talking to a rack controller: ${body.trim() || 'Gateway Timeout'}`,
    });
  }
}

/** 500 or any other unexpected status. */
export class MaasServerError extends MaasHttpError {
  override name = 'MaasServerError';
}

/** No HTTP answer at all: DNS, refused connection, TLS failure, reset. */
export class MaasNetworkError extends MaasError {
  override name = 'MaasNetworkError';
  /** True when the request may have reached MAAS (a write may or may not have happened). */
  readonly mayHaveReachedMaas: boolean;
  constructor(message: string, request: MaasRequestInfo, mayHaveReachedMaas: boolean, cause?: unknown) {
    super(message, request, { cause });
    this.mayHaveReachedMaas = mayHaveReachedMaas;
  }
}

/** Our own per-request deadline passed before MAAS answered. */
export class MaasTimeoutError extends MaasNetworkError {
  override name = 'MaasTimeoutError';
  readonly timeoutMs: number;
  constructor(request: MaasRequestInfo, timeoutMs: number) {
    super(
      `MAAS did not answer ${request.method} ${request.path} within ${Math.round(timeoutMs / 1000)} s`,
      request,
      request.method !== 'GET',
    );
    this.timeoutMs = timeoutMs;
  }
}

/**
 * MAAS_URL does not lead to MAAS's API: e.g. it lacks the `/MAAS` prefix (MAAS serves its API under
 * `http://host:5240/MAAS/api/2.0/`, MAAS `maasserver/djangosettings/settings.py` API_URL_PREFIX), or says http:// to an HTTPS port.
 */
export class MaasUrlError extends MaasHttpError {
  override name = 'MaasUrlError';
  constructor(status: number, body: string, request: MaasRequestInfo, message: string) {
    super(status, body, request, { message });
  }
}

/**
 * The request is larger than MAAS's web server takes: refused before sending (a URL over
 * {@link MAX_URL_LENGTH}), or answered 413, 414 or 431. `field` is the parameter that makes it large.
 */
export class MaasRequestTooLargeError extends MaasError {
  override name = 'MaasRequestTooLargeError';
  constructor(
    message: string,
    request: MaasRequestInfo,
    readonly field: string | undefined,
    readonly status: number | undefined,
  ) {
    super(message, request);
  }
}

/**
 * Longest request URL sent to MAAS: 8 KiB is the request-line limit of common front ends (nginx's default
 * `large_client_header_buffers`); longer ones come back 414 or 431 with no useful text.
 */
export const MAX_URL_LENGTH = 8000;

/** MAAS answered 2xx with data that does not have the expected shape. */
export class MaasProtocolError extends MaasError {
  override name = 'MaasProtocolError';
}

function describeFieldErrors(body: string, fields: Record<string, string[]>): string {
  const parts = Object.entries(fields).map(([field, msgs]) =>
    field === '__all__' ? msgs.join(' ') : `${field}: ${msgs.join(' ')}`,
  );
  return parts.length > 0 ? parts.join('; ') : body.trim() || 'MAAS rejected the request (400)';
}

/** Parses a `Retry-After` header given in seconds (MAAS never sends an HTTP date). */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Builds the typed error for a non-2xx MAAS answer, by status and content type (MAAS `maasserver/middleware.py`:
 * JSON → field dict or list; text → message).
 */
export function errorFromResponse(
  status: number,
  contentType: string,
  body: string,
  retryAfter: string | null,
  request: MaasRequestInfo,
): MaasHttpError {
  const retry = parseRetryAfter(retryAfter);
  switch (status) {
    case 400:
      return new MaasBadRequestError(body, request, parseFieldErrors(contentType, body));
    case 401:
      return new MaasAuthError(body, request);
    case 403:
      return new MaasForbiddenError(body, request);
    case 404:
      return body.startsWith('Unknown API endpoint')
        ? new MaasEndpointError(body, request)
        : new MaasNotFoundError(body, request);
    case 409:
      return new MaasConflictError(body, request, retry);
    case 503:
      return new MaasUnavailableError(body, request, retry);
    case 504:
      return new MaasGatewayTimeoutError(body, request);
    default:
      return new MaasServerError(status, body, request, {
        message: `MAAS failed (${status}): ${body.trim().slice(0, 500) || 'no details'}`,
      });
  }
}

function parseFieldErrors(contentType: string, body: string): Record<string, string[]> {
  if (!contentType.includes('json')) return {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (Array.isArray(parsed)) return { __all__: parsed.map(String) };
    if (parsed && typeof parsed === 'object') {
      const out: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(parsed)) out[k] = Array.isArray(v) ? v.map(String) : [String(v)];
      return out;
    }
  } catch {
    // A JSON content type with a non-JSON body: fall back to the text.
  }
  return {};
}
