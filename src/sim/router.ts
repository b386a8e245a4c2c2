/**
 * The request pipeline (MAAS `maasserver/urls_api.py`, `maasserver/api/support.py`): latency and fault injection, URL
 * resolution with MAAS's catch-all 404, authentication, the 405 check, `(method, op)` dispatch before any object
 * lookup, error rendering, the API hash header and the request log.
 */

import type { OAuthVerifier } from './auth.ts';
import { type Clock, sleep } from './clock.ts';
import type { Engine } from './engine.ts';
import type { Faults, RequestFailure } from './faults.ts';
import {
  errorResponse,
  isPlainView,
  jsonResponse,
  Params,
  parseForm,
  SimHttpError,
  textResponse,
} from './http.ts';
import type { SimState, SimUserRecord } from './model.ts';
import { API, API_HASH } from './paths.ts';
import { isRack } from './perm.ts';
import type { RequestLog } from './requests.ts';
import { atomically } from './tx.ts';

export interface Services {
  state: SimState;
  engine: Engine;
  clock: Clock;
  faults: Faults;
  requests: RequestLog;
  auth: OAuthVerifier;
}

export interface Ctx {
  svc: Services;
  user: SimUserRecord | null;
  method: string;
  path: string;
  /** `scheme://host:port` the request was sent to. */
  origin: string;
  query: Params;
  form: Params;
  /** piston's `request.data`: the query string for GET/DELETE, the form body for POST/PUT. */
  data: Params;
  /** Capture groups of the resource pattern (system_id, ids, names). */
  args: string[];
}

export type AuthedCtx = Ctx & { user: SimUserRecord };
export type Handler = (ctx: AuthedCtx) => unknown;
export type AnonHandler = (ctx: Ctx) => unknown;

/**
 * A URL pattern and its handlers keyed `METHOD` (op None) or `METHOD op`. `anon` is the anonymous variant
 * (piston's anonymous handler); `open` serves `handlers` to everyone without looking at the OAuth header
 * (version, describe).
 */
export interface Resource {
  name: string;
  pattern: RegExp;
  handlers: Record<string, Handler>;
  anon?: Record<string, AnonHandler>;
  open?: boolean;
}

function methodsOf(table: Record<string, unknown>): Set<string> {
  return new Set(Object.keys(table).map((k) => k.split(' ')[0] ?? ''));
}

function rackIds(state: SimState): string {
  const ids: string[] = [];
  for (const n of state.nodes.values()) if (isRack(n)) ids.push(n.systemId);
  return ids.join(',');
}

/** The answer a test's {@link RequestFailure} asks for. */
function failureResponse(rule: RequestFailure): Response {
  return errorResponse(new SimHttpError(rule.status, rule.body ?? '', rule.headers ?? {}));
}

/** `OperationsResource.error_handler` returns an Http404 as a response instead of re-raising it. */
const keepsPartialWork = (err: unknown) => err instanceof SimHttpError && err.status === 404;

export class Router {
  constructor(
    private readonly svc: Services,
    private readonly resources: Resource[],
  ) {}

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const method = req.method.toUpperCase();
    const query = Params.fromSearch(url.searchParams);
    let form = new Params();
    let response: Response;
    try {
      form = await parseForm(req);
      if (this.svc.faults.latencyMs > 0) await sleep(this.svc.clock, this.svc.faults.latencyMs);
      response = await this.route(method, url, query, form, req.headers.get('authorization'));
    } catch (e) {
      response =
        e instanceof SimHttpError
          ? errorResponse(e)
          : textResponse(e instanceof Error ? e.message : String(e), 500);
    }
    if (!isPlainView(response)) response.headers.set('X-MAAS-API-Hash', API_HASH);
    this.svc.requests.add({
      method,
      path: url.pathname,
      query: [...query.pairs],
      form: [...form.pairs],
      status: response.status,
      authorization: req.headers.get('authorization'),
    });
    return response;
  }

  private async route(
    method: string,
    url: URL,
    query: Params,
    form: Params,
    authorization: string | null,
  ): Promise<Response> {
    const path = url.pathname;
    if (path.startsWith('/MAAS/api/1.0/')) {
      return textResponse('The 1.0 API is no longer available. Please use API version 2.0.', 410);
    }
    const isVersionAlias = path === '/MAAS/api/version/';
    if (!path.startsWith(API) && !isVersionAlias) return textResponse('Not Found', 404);
    const unavailable = this.svc.faults.takeUnavailable();
    if (unavailable !== null) {
      return textResponse(
        `Unable to connect to any rack controller ${rackIds(this.svc.state)}; no connections available.`,
        503,
        { 'Retry-After': String(unavailable) },
      );
    }
    const conflictRetry = this.svc.faults.takeConflict(method);
    if (conflictRetry !== null) return textResponse('', 409, { 'Retry-After': String(conflictRetry) });

    const rel = isVersionAlias ? 'version/' : path.slice(API.length);
    const op = query.get('op') || form.get('op') || null;
    const failBefore = this.svc.faults.takeRequestFailure('before', method, rel, op);
    if (failBefore) return failureResponse(failBefore);
    const response = await this.dispatch(method, url, rel, op, query, form, authorization);
    const failAfter = this.svc.faults.takeRequestFailure('after', method, rel, op);
    return failAfter ? failureResponse(failAfter) : response;
  }

  private dispatch(
    method: string,
    url: URL,
    rel: string,
    op: string | null,
    query: Params,
    form: Params,
    authorization: string | null,
  ): Response {
    const path = url.pathname;
    let resource: Resource | undefined;
    let args: string[] = [];
    for (const r of this.resources) {
      const m = r.pattern.exec(rel);
      if (m) {
        resource = r;
        args = m.slice(1).map((a) => decodeURIComponent(a ?? ''));
        break;
      }
    }
    if (!resource) throw new SimHttpError(404, `Unknown API endpoint: ${path}.`);

    // version/ and describe/ have no authenticator (piston's NoAuthentication, a plain Django view): a wrong or
    // expired OAuth header is never even parsed there (MAAS `maasserver/urls_api.py`).
    const user = resource.open ? null : this.svc.auth.authenticate(authorization, query, form);
    const table: Record<string, AnonHandler> | undefined = user
      ? (resource.handlers as Record<string, AnonHandler>)
      : resource.open
        ? (resource.handlers as Record<string, AnonHandler>)
        : resource.anon;
    // piston's `rc.FORBIDDEN` is ('Forbidden', 401): MAAS's challenge for a missing login.
    if (!table) throw new SimHttpError(401, 'Forbidden');
    const allowed = methodsOf(table);
    if (!allowed.has(method)) {
      return new Response('', { status: 405, headers: { Allow: [...allowed].join(', ') } });
    }
    const handler = table[op === null ? method : `${method} ${op}`];
    if (!handler) throw new SimHttpError(400, `Unrecognised signature: method=${method} op=${op ?? 'None'}`);
    const data = method === 'POST' || method === 'PUT' ? form : query;
    const ctx: Ctx = { svc: this.svc, user, method, path, origin: url.origin, query, form, data, args };
    // One transaction per request, as MAAS's ATOMIC_REQUESTS (MAAS `ATOMIC_REQUESTS`, `maasserver/utils/views.py`): a raised error undoes the
    // handler's changes, except an Http404, which piston answers as a response. GET handlers change nothing.
    const result = method === 'GET' ? handler(ctx) : atomically(() => handler(ctx), keepsPartialWork);
    return result instanceof Response ? result : jsonResponse(result);
  }
}
