/**
 * MAAS answers read with zod at the edge (for the typed client and the storage and network endpoints alike), and the
 * request shapes the storage and network endpoints share over the transport: a GET of one object or of a list, and
 * a form write.
 */
import type * as z from 'zod/v4';
import { MaasProtocolError } from './errors.ts';
import type { MaasHttp, MaasRequest, Params } from './http.ts';

/** What these calls need of the transport: one request, its parsed JSON answer. */
export type MaasTransport = Pick<MaasHttp, 'call'>;

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** system_ids, names and ids go into paths: keep them from escaping their segment. */
export function seg(segment: string | number): string {
  return encodeURIComponent(String(segment));
}

/** `value` read with `schema`, or a {@link MaasProtocolError} naming what and where. */
export function parseAnswer<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new MaasProtocolError(
    `MAAS sent a ${what} maas-mcp cannot read${where}: ${issue?.message ?? 'invalid'}`,
  );
}

export async function getOne<S extends z.ZodType>(
  http: MaasTransport,
  schema: S,
  path: string,
  what: string,
  opts: CallOptions & { op?: string; query?: Params } = {},
): Promise<z.infer<S>> {
  const req: MaasRequest = { method: 'GET', path, signal: opts.signal };
  if (opts.op) req.op = opts.op;
  if (opts.query) req.query = opts.query;
  return parseAnswer(schema, await http.call(req), what);
}

export async function getList<S extends z.ZodType>(
  http: MaasTransport,
  schema: S,
  path: string,
  what: string,
  opts: CallOptions & { op?: string; query?: Params } = {},
): Promise<z.infer<S>[]> {
  const req: MaasRequest = { method: 'GET', path, signal: opts.signal };
  if (opts.op) req.op = opts.op;
  if (opts.query) req.query = opts.query;
  const body = await http.call(req);
  if (!Array.isArray(body)) throw new MaasProtocolError(`MAAS sent a ${what} list that is not a JSON array`);
  return body.map((item) => parseAnswer(schema, item, what));
}

/** A form write; its answer parsed with `schema` (MAAS answers 204 with nothing for a few: pass `null`). */
export async function send<S extends z.ZodType>(
  http: MaasTransport,
  schema: S,
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  what: string,
  body: { op?: string; form?: Params } & CallOptions = {},
): Promise<z.infer<S>> {
  const req: MaasRequest = { method, path, signal: body.signal };
  if (body.op) req.op = body.op;
  if (body.form) req.form = body.form;
  return parseAnswer(schema, await http.call(req), what);
}
