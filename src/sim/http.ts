/**
 * Request parameters, the error type handlers throw, and the responses MAAS gives (MAAS `maasserver/api/support.py`,
 * `maasserver/exceptions.py`).
 */
import { pyDumps, renderJson } from './json.ts';

export type ErrorBody = string | Record<string, string[]> | string[];

/** Thrown by handlers; rendered in one place ({@link errorResponse}). */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'string' ? body : pyDumps(body));
    this.name = 'SimHttpError';
  }
}

export const badRequest = (message: string) => new SimHttpError(400, message);
/** `MAASAPIValidationError` with a dict: `{"field": ["msg"]}` as application/json. */
export const fieldErrors = (errors: Record<string, string[]>) => new SimHttpError(400, errors);
export const fieldError = (field: string, message: string) => fieldErrors({ [field]: [message] });
/** Django's `ModelChoiceField` message (the value is not echoed). */
export const CHOICE = 'Select a valid choice. That choice is not one of the available choices.';
/** Django's `ChoiceField` message, quoting the rejected value. */
export const choiceError = (value: string) =>
  `Select a valid choice. ${value} is not one of the available choices.`;
/** A bare `PermissionDenied()` has an empty body. */
export const forbidden = (message = '') => new SimHttpError(403, message);
export const adminOnly = () => forbidden('This method is reserved for admin users.');
export const notFound = (message: string) => new SimHttpError(404, message);
export const conflict = (message: string) => new SimHttpError(409, message);

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

export function textResponse(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'Content-Type': TEXT, ...headers } });
}

export function jsonResponse(value: unknown, status = 200): Response {
  return new Response(renderJson(value), { status, headers: { 'Content-Type': JSON_TYPE } });
}

export function streamResponse(stream: ReadableStream<Uint8Array>): Response {
  return new Response(stream, { status: 200, headers: { 'Content-Type': JSON_TYPE } });
}

const plainViews = new WeakSet<Response>();

/** The answer of a plain Django view (`describe/`), not a piston resource: it carries no `X-MAAS-API-Hash`. */
export function plainViewResponse(body: string, contentType: string): Response {
  const res = new Response(body, { status: 200, headers: { 'Content-Type': contentType } });
  plainViews.add(res);
  return res;
}

export const isPlainView = (res: Response) => plainViews.has(res);

/** `rc.DELETED`. */
export function deletedResponse(): Response {
  return new Response(null, { status: 204 });
}

export function errorResponse(e: SimHttpError): Response {
  if (typeof e.body === 'string') return textResponse(e.body, e.status, e.headers);
  return new Response(pyDumps(e.body), {
    status: e.status,
    headers: { 'Content-Type': 'application/json', ...e.headers },
  });
}

/** A Django `QueryDict`: ordered pairs, repeated keys are lists, `get` returns the last value. */
export class Params {
  constructor(readonly pairs: ReadonlyArray<[string, string]> = []) {}

  static fromSearch(search: URLSearchParams): Params {
    return new Params([...search.entries()]);
  }

  get(key: string): string | undefined {
    let found: string | undefined;
    for (const [k, v] of this.pairs) if (k === key) found = v;
    return found;
  }

  getAll(key: string): string[] {
    const out: string[] = [];
    for (const [k, v] of this.pairs) if (k === key) out.push(v);
    return out;
  }

  has(key: string): boolean {
    return this.pairs.some(([k]) => k === key);
  }

  /** Distinct keys in order of first appearance. */
  keys(): string[] {
    return [...new Set(this.pairs.map(([k]) => k))];
  }
}

/** Reads a form body: urlencoded or multipart (what gomaasapi and the MAAS CLI send). Anything else is empty. */
export async function parseForm(req: Request): Promise<Params> {
  if (req.method !== 'POST' && req.method !== 'PUT') return new Params();
  const type = (req.headers.get('content-type') ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    // Decoded from bytes: workerd warns when .text() is called on a body whose type is not text/*.
    return Params.fromSearch(new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer())));
  }
  if (type.startsWith('multipart/form-data')) {
    const pairs: [string, string][] = [];
    const data = await req.formData();
    for (const [k, v] of data.entries()) pairs.push([k, typeof v === 'string' ? v : await v.text()]);
    return new Params(pairs);
  }
  return new Params();
}

/** `get_mandatory_param`. */
export function mandatory(params: Params, key: string): string {
  const v = params.get(key);
  if (v === undefined) throw badRequest(`No provided ${key}!`);
  return v;
}

const TRUE_WORDS = new Set(['true', 't', '1', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['false', 'f', '0', 'no', 'n', 'off']);

/** `get_optional_param(..., validator=StringBool)`: strict, a bad value is a 400. */
export function stringBool(params: Params, key: string, fallback: boolean): boolean {
  const v = params.get(key);
  if (v === undefined) return fallback;
  const t = v.trim().toLowerCase();
  if (TRUE_WORDS.has(t)) return true;
  if (FALSE_WORDS.has(t)) return false;
  throw badRequest(`Invalid ${key}: Value should be 'true' or 'false'`);
}

/** A Django form `BooleanField`: "false", "0" and "" are false, anything else true. */
export function djangoBool(params: Params, key: string, fallback: boolean): boolean {
  const v = params.get(key);
  if (v === undefined) return fallback;
  const t = v.trim().toLowerCase();
  return !(t === '' || t === 'false' || t === '0');
}

/** Django `IntegerField` cleaning, with its standard message. */
export function optionalInt(params: Params, key: string): number | undefined {
  const v = params.get(key);
  if (v === undefined || v.trim() === '') return undefined;
  if (!/^\s*[-+]?\d+\s*$/.test(v)) throw fieldError(key, 'Enter a whole number.');
  return Number.parseInt(v, 10);
}

/**
 * A Django `IntegerField` that collects its error instead of throwing: `Enter a whole number.`, the min/max texts,
 * and `This field is required.` when `required`. Blank is undefined.
 */
export function intField(
  data: Params,
  key: string,
  errors: Record<string, string[]>,
  opts: { min?: number; max?: number; required?: boolean } = {},
): number | undefined {
  const v = data.get(key);
  if (v === undefined || v.trim() === '') {
    if (opts.required) errors[key] = ['This field is required.'];
    return undefined;
  }
  if (!/^\s*[-+]?\d+\s*$/.test(v)) {
    errors[key] = ['Enter a whole number.'];
    return undefined;
  }
  const n = Number.parseInt(v, 10);
  if (opts.min !== undefined && n < opts.min)
    errors[key] = [`Ensure this value is greater than or equal to ${opts.min}.`];
  else if (opts.max !== undefined && n > opts.max)
    errors[key] = [`Ensure this value is less than or equal to ${opts.max}.`];
  return n;
}

/** `add_tag` / `remove_tag`: the required `tag` field, added at most once or removed. */
export function applyTagOp(data: Params, tags: readonly string[], add: boolean): string[] {
  const tag = data.get('tag');
  if (!tag) throw fieldError('tag', 'This field is required.');
  return add ? [...new Set([...tags, tag])] : tags.filter((t) => t !== tag);
}
