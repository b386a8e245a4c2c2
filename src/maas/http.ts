/**
 * The MAAS API 2.0 transport: OAuth 1.0a PLAINTEXT signing, URL rules, form bodies, timeouts, retries and
 * typed errors (MAAS `maasserver/api/auth.py`, `maasserver/api/support.py`). Runtime-neutral: `fetch` is injected.
 */
import OAuth from 'oauth-1.0a';
import { type Clock, sleep, systemClock } from '../base/clock.ts';
import type { FetchLike } from '../base/fetch.ts';
import { randomHex } from '../base/ids.ts';
import { requestSecrets, scrubEchoed } from '../base/redact.ts';
import {
  errorFromResponse,
  MAX_URL_LENGTH,
  MaasBadRequestError,
  MaasConflictError,
  MaasEndpointError,
  MaasError,
  type MaasHttpError,
  MaasNetworkError,
  MaasNotFoundError,
  MaasProtocolError,
  type MaasRequestInfo,
  MaasRequestTooLargeError,
  MaasTimeoutError,
  MaasUnavailableError,
  MaasUrlError,
} from './errors.ts';

/**
 * The one MAAS route without a trailing slash: a partition, `nodes/{id}/blockdevices/{id}/partition/{id}` (MAAS
 * `maasserver/urls_api.py`); with a slash it is not found.
 */
const SLASHLESS_ROUTE = /^nodes\/[^/]+\/blockdevices\/[^/]+\/partition\/[^/]+$/;

/** A parameter value as MAAS reads it: lists repeat the key; objects are sent as JSON text. */
export type ParamValue = string | number | boolean | null | undefined | readonly (string | number)[] | object;
export type Params = Readonly<Record<string, ParamValue>>;

export interface MaasHttpOptions {
  /** MAAS_URL: `http://maas:5240/MAAS` (a trailing `/`, or `/api/2.0/`, is accepted too). */
  url: string;
  /** MAAS_API_KEY: `consumer_key:token_key:token_secret`. */
  apiKey: string;
  fetch?: FetchLike;
  clock?: Clock;
  /** Per-attempt deadline; default 30 s (MAAS itself waits up to 60 s for a BMC on query_power_state). */
  timeoutMs?: number;
  /** Retries for requests that are safe to repeat; default 3. */
  retries?: number;
  /** First backoff step; default 500 ms, doubling, with ±50 % jitter, capped at 15 s. */
  backoffMs?: number;
  /** Longest `Retry-After` honoured before giving up; default 60 s. */
  maxRetryAfterMs?: number;
  random?: () => number;
  userAgent?: string;
}

export interface MaasRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below the API root, with its trailing slash: `machines/`, `machines/4y3ha3/`. */
  path: string;
  op?: string;
  query?: Params;
  form?: Params;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Checks a MAAS_API_KEY's shape; the message never contains the key. */
export function parseApiKey(apiKey: string): { consumerKey: string; tokenKey: string; tokenSecret: string } {
  const parts = apiKey.trim().split(':');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) {
    throw new Error(
      'MAAS_API_KEY must have three parts, consumer_key:token_key:token_secret (get one with `maas apikey --username <you>` or in the UI under your preferences)',
    );
  }
  const [consumerKey, tokenKey, tokenSecret] = parts as [string, string, string];
  return { consumerKey, tokenKey, tokenSecret };
}

/** Normalises MAAS_URL to the API 2.0 root, ending in `/api/2.0/`. */
export function apiRoot(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`MAAS_URL must be a URL like http://maas.example:5240/MAAS (got "${url}")`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`MAAS_URL must use http or https (got "${u.protocol}")`);
  }
  let path = u.pathname.replace(/\/+$/, '');
  path = path.replace(/\/api\/2\.0$/, '');
  return `${u.origin}${path}/api/2.0/`;
}

/** Appends params to a URLSearchParams the way Django's QueryDict reads them back. */
export function appendParams(target: URLSearchParams, params: Params | undefined): void {
  if (!params) return;
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const v of value) target.append(key, String(v));
    } else if (typeof value === 'object') {
      target.append(key, JSON.stringify(value));
    } else {
      target.append(key, String(value));
    }
  }
}

export class MaasHttp {
  readonly root: string;
  private readonly oauth: OAuth;
  private readonly token: { key: string; secret: string };
  private readonly fetchFn: FetchLike;
  /** The injected clock (also how long answers about the key's user are kept: MaasClient.me). */
  readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  private readonly userAgent: string;

  constructor(opts: MaasHttpOptions) {
    this.root = apiRoot(opts.url);
    const key = parseApiKey(opts.apiKey);
    this.clock = opts.clock ?? systemClock;
    this.oauth = new OAuth({
      consumer: { key: key.consumerKey, secret: '' },
      signature_method: 'PLAINTEXT',
      realm: 'OAuth',
    });
    // The library's defaults use Math.random and the wall clock; MAAS wants a fresh unpredictable nonce
    // per request (retries included) and a timestamp on our injected clock.
    this.oauth.getNonce = () => randomHex(16);
    this.oauth.getTimeStamp = () => Math.floor(this.clock.now() / 1000);
    this.token = { key: key.tokenKey, secret: key.tokenSecret };
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 500;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
    this.random = opts.random ?? Math.random;
    this.userAgent = opts.userAgent ?? 'maas-mcp';
  }

  /** Sends a request and returns the parsed JSON (or text, or null for 204/`null`). */
  async call(req: MaasRequest): Promise<unknown> {
    const res = await this.send(req);
    return readBody(res, info(req));
  }

  /**
   * Sends a request and returns the successful Response with its body unread, for streaming readers.
   * Retries follow the same rules as {@link call}.
   */
  async send(req: MaasRequest): Promise<Response> {
    if (!(req.path.endsWith('/') || SLASHLESS_ROUTE.test(req.path)) || req.path.startsWith('/')) {
      throw new MaasError(`internal: MAAS paths are relative and end in "/" (got "${req.path}")`, info(req));
    }
    const url = this.url(req);
    if (url.length > MAX_URL_LENGTH) {
      const big = largestParam(req.query);
      throw new MaasRequestTooLargeError(
        `${big ? `the ${big.key} value is too long for one MAAS request: ${big.chars.toLocaleString('en-US')} characters, and` : 'this request is too long for MAAS:'} a MAAS request URL holds about ${MAX_URL_LENGTH.toLocaleString('en-US')} — shorten it or split it into several requests`,
        info(req),
        big?.key,
        undefined,
      );
    }
    const safeToRepeat = req.method === 'GET';
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.attempt(req, url);
      } catch (err) {
        const error = toNetworkError(err, req, req.timeoutMs ?? this.timeoutMs);
        if (req.signal?.aborted) throw error;
        // A write that may have reached MAAS is never re-sent blindly: the caller re-reads and decides.
        if (!safeToRepeat || attempt >= this.retries) throw error;
        await sleep(this.clock, this.backoff(attempt), req.signal);
        continue;
      }
      if (res.ok) return res;

      // The one place every MAAS error text passes: what it quotes back of the request's secrets (or of BMC
      // settings) never reaches an answer, the audit or a log.
      const body = scrubEchoed(await res.text().catch(() => ''), requestSecrets(req.form, req.query));
      const error = this.explain(
        errorFromResponse(
          res.status,
          res.headers.get('content-type') ?? '',
          body,
          res.headers.get('retry-after'),
          info(req),
        ),
        req,
      );
      if (error instanceof MaasRequestTooLargeError) throw error;
      const delay = this.retryDelay(error, safeToRepeat, attempt);
      if (delay === undefined) throw error;
      await sleep(this.clock, delay, req.signal);
    }
  }

  /**
   * Answers that say more about our setup than about the request: a 404 from something that is not MAAS's API
   * (MAAS_URL without `/MAAS`), a request too large for the web server (413/414/431, which come with no useful
   * text), and an HTTPS port spoken to in plain HTTP.
   */
  private explain(error: MaasHttpError, req: MaasRequest): MaasHttpError | MaasRequestTooLargeError {
    const body = error.body.trim();
    if (
      (error instanceof MaasNotFoundError || error instanceof MaasEndpointError) &&
      !/\/MAAS\/api\/2\.0\/$/.test(this.root) &&
      !/^Unknown API endpoint|matches the given query\.?$/.test(body)
    ) {
      const base = this.root.replace(/\/api\/2\.0\/$/, '');
      return new MaasUrlError(
        404,
        error.body,
        info(req),
        `MAAS_URL should end in /MAAS: ${this.root}${req.path} answered 404 Not Found, so ${base} is not where MAAS serves its API — try MAAS_URL=${base}/MAAS`,
      );
    }
    if (error.status === 413 || error.status === 414 || error.status === 431) {
      const big = largestParam(error.status === 413 ? req.form : req.query);
      return new MaasRequestTooLargeError(
        `MAAS's web server refused the request as too large (HTTP ${error.status})${big ? `: the ${big.key} value is ${big.chars.toLocaleString('en-US')} characters — shorten it or split it into several requests` : ''}`,
        info(req),
        big?.key,
        error.status,
      );
    }
    if (error instanceof MaasBadRequestError && /plain HTTP request was sent to HTTPS port/i.test(body)) {
      return new MaasUrlError(
        400,
        error.body,
        info(req),
        'MAAS answered HTTPS on an http:// URL (its web server says "The plain HTTP request was sent to HTTPS port"): use https:// in MAAS_URL',
      );
    }
    return error;
  }

  private url(req: MaasRequest): string {
    const qs = new URLSearchParams();
    // `op` goes in the query string for every method, as MAAS's own clients send it.
    if (req.op) qs.append('op', req.op);
    appendParams(qs, req.query);
    const q = qs.toString();
    return `${this.root}${req.path}${q ? `?${q}` : ''}`;
  }

  private async attempt(req: MaasRequest, url: string): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      // Signed per attempt: every retry carries a fresh nonce and timestamp.
      ...this.oauth.toHeader(this.oauth.authorize({ url, method: req.method }, this.token)),
    };
    let body: string | undefined;
    if (req.method === 'POST' || req.method === 'PUT') {
      const form = new URLSearchParams();
      appendParams(form, req.form);
      body = form.toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const timeout = req.timeoutMs ?? this.timeoutMs;
    const controller = new AbortController();
    const timer = this.clock.setTimeout(
      () => controller.abort(new MaasTimeoutError(info(req), timeout)),
      timeout,
    );
    const onAbort = () => controller.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const init: RequestInit = { method: req.method, headers, signal: controller.signal };
      if (body !== undefined) init.body = body;
      // Race the signal too: not every fetch (an in-process app, a test double) honours it.
      return await Promise.race([this.fetchFn(url, init), rejectOnAbort(controller.signal)]);
    } finally {
      this.clock.clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** How long to wait before retrying `error`, or undefined when it must not be retried. */
  private retryDelay(error: MaasHttpError, safeToRepeat: boolean, attempt: number): number | undefined {
    if (attempt >= this.retries) return undefined;
    const retryAfter = error.retryAfterSeconds;
    // MAAS sends Retry-After on 503 (no rack controller) and on 409 (DB serialisation failure, rolled back):
    // the server says the request did not take effect, so even a POST may be repeated.
    if (
      retryAfter !== undefined &&
      (error instanceof MaasUnavailableError || error instanceof MaasConflictError)
    ) {
      const ms = retryAfter * 1000;
      return ms <= this.maxRetryAfterMs ? Math.max(ms, this.backoff(attempt) / 2) : undefined;
    }
    if (!safeToRepeat) return undefined;
    // A GET may be repeated on transient server trouble; never on a 4xx answer about the request itself.
    if (error.status === 502 || error.status === 503 || error.status === 504) return this.backoff(attempt);
    return undefined;
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.backoffMs * 2 ** attempt, 15_000);
    return Math.round(base * (0.5 + this.random()));
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function info(req: MaasRequest): MaasRequestInfo {
  return { method: req.method, path: req.path, op: req.op };
}

/** The parameter with the most characters (a list counts all its values), to name in a "too large" error. */
function largestParam(params: Params | undefined): { key: string; chars: number } | undefined {
  let best: { key: string; chars: number } | undefined;
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null) continue;
    const chars = Array.isArray(value)
      ? value.reduce((n: number, v) => n + String(v).length, 0)
      : typeof value === 'object'
        ? JSON.stringify(value).length
        : String(value).length;
    if (!best || chars > best.chars) best = { key, chars };
  }
  return best;
}

function toNetworkError(err: unknown, req: MaasRequest, timeoutMs: number): MaasError {
  if (err instanceof MaasError) return err;
  if (req.signal?.aborted) {
    return new MaasNetworkError('the request was cancelled', info(req), req.method !== 'GET', err);
  }
  if (err instanceof Error && err.name === 'TimeoutError') return new MaasTimeoutError(info(req), timeoutMs);
  // A TLS handshake that failed never carried the request.
  const tls = tlsFailure(err);
  if (tls) return new MaasNetworkError(tls, info(req), false, err);
  const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : '';
  return new MaasNetworkError(
    `cannot reach MAAS${reason ? ` (${reason})` : ''}`,
    info(req),
    // A connection that was never made cannot have carried the write.
    req.method !== 'GET' && !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|certificate/i.test(reason),
    err,
  );
}

/** What Node's TLS errors are called, by `code`: read by {@link tlsFailure}. */
const PLAIN_HTTP = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const OUT_OF_DATE = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/**
 * A readable sentence for a TLS failure (Node's own messages are OpenSSL dumps such as
 * `…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…`), or undefined when it is not one.
 */
function tlsFailure(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { code, reason } = e as Error & { code?: unknown; reason?: unknown };
    if (typeof code !== 'string') continue;
    if (PLAIN_HTTP.has(code)) {
      return 'MAAS answered plain HTTP on an https:// URL: use http:// in MAAS_URL (MAAS serves plain HTTP on port 5240), or point it at the port where MAAS has TLS enabled';
    }
    if (UNTRUSTED.has(code)) {
      return `MAAS's TLS certificate is not trusted (${e.message}): set MAAS_CA_FILE to the CA certificate that signed it, or MAAS_TLS_INSECURE=true to skip the check (not recommended)`;
    }
    if (OUT_OF_DATE.has(code)) {
      return `MAAS's TLS certificate is out of date (${e.message}): renew it on MAAS, and check this host's clock`;
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return `MAAS's TLS certificate is not for the host in MAAS_URL (${e.message}): use a name the certificate lists`;
    }
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
      const why = typeof reason === 'string' && reason ? reason : code;
      return `the TLS handshake with MAAS failed (${why}): check that MAAS_URL's scheme and port match how MAAS serves its API`;
    }
  }
  return undefined;
}

async function readBody(res: Response, request: MaasRequestInfo): Promise<unknown> {
  if (res.status === 204) return null;
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) return text;
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new MaasProtocolError('MAAS sent a JSON content type with a body that is not JSON', request);
  }
}
