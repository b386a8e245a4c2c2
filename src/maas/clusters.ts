/**
 * The MAAS calls a Kubernetes cluster needs beyond a machine's life cycle: machines by what they carry (owner data,
 * agent name, tag), DNS resources for the API endpoint (MAAS `maasserver/api/dnsresources.py`, admin only for
 * writes), domains, and deleting a tag.
 */
import * as z from 'zod/v4';
import { getList, type MaasTransport, parseAnswer, seg, send } from './calls.ts';
import { MaasBadRequestError, MaasNotFoundError, MaasProtocolError } from './errors.ts';
import type { MaasRequest, Params } from './http.ts';
import { MachineSummary } from './schemas.ts';

interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** A machine's summary and its owner data (MAAS clears owner data when it releases a machine). */
export const MarkedMachine = MachineSummary.extend({
  owner_data: z
    .record(z.string(), z.string())
    .nullish()
    .transform((v) => v ?? {}),
});
export type MarkedMachine = z.infer<typeof MarkedMachine>;

/** `GET path?query`, each element read with `schema`. */
async function listOf<S extends z.ZodType>(
  http: MaasTransport,
  schema: S,
  path: string,
  query: Params,
  what: string,
  opts: CallOptions,
): Promise<z.infer<S>[]> {
  const body = await http.call({ method: 'GET', path, query, signal: opts.signal });
  if (!Array.isArray(body)) throw new MaasProtocolError(`MAAS sent a ${what} list that is not a JSON array`);
  return body.map((r) => parseAnswer(schema, r, what));
}

/**
 * `GET /machines/` with `query` (MAAS `ReadNodesForm`: `owner`, `agent_name`, `tags`, `id` …), each machine with its
 * owner data. A filter on a tag MAAS does not have answers 400 (`No such tag(s)`): read as no machines.
 */
export async function markedMachines(
  http: MaasTransport,
  query: Params,
  opts: CallOptions = {},
): Promise<MarkedMachine[]> {
  try {
    return await listOf(http, MarkedMachine, 'machines/', query, 'machine', opts);
  } catch (err) {
    if (query.tags !== undefined && err instanceof MaasBadRequestError && /tag/i.test(err.message)) return [];
    throw err;
  }
}

const Domain = z.object({
  id: z.number(),
  name: z.string(),
  is_default: z.boolean().optional(),
});
export type Domain = z.infer<typeof Domain>;

/** `GET /domains/`. */
export function domains(http: MaasTransport, opts: CallOptions = {}): Promise<Domain[]> {
  return getList(http, Domain, 'domains/', 'domain', opts);
}

export const DnsResource = z.object({
  id: z.number(),
  fqdn: z.string(),
  ip_addresses: z
    .array(z.object({ ip: z.string().nullish() }))
    .nullish()
    .transform((v) => (v ?? []).flatMap((a) => (a.ip ? [a.ip] : []))),
});
export type DnsResource = z.infer<typeof DnsResource>;

/** `GET /dnsresources/?fqdn=…`: the resource with that name, if any. */
export async function findDnsResource(
  http: MaasTransport,
  fqdn: string,
  opts: CallOptions = {},
): Promise<DnsResource | undefined> {
  const req: MaasRequest = { method: 'GET', path: 'dnsresources/', query: { fqdn }, signal: opts.signal };
  const body = await http.call(req);
  if (!Array.isArray(body))
    throw new MaasProtocolError('MAAS sent a DNS resource list that is not a JSON array');
  return body.map((r) => parseAnswer(DnsResource, r, 'DNS resource')).find((r) => r.fqdn === fqdn);
}

/**
 * `POST /dnsresources/` (admin): `name` in `domain`, with A/AAAA records for `ips` (one whitespace-separated
 * string, as MAAS reads it; none: a name without addresses yet).
 */
export function createDnsResource(
  http: MaasTransport,
  r: { name: string; domain: string; ips: readonly string[] },
  opts: CallOptions = {},
): Promise<DnsResource> {
  const form: Params = {
    name: r.name,
    domain: r.domain,
    ...(r.ips.length ? { ip_addresses: r.ips.join(' ') } : {}),
  };
  return send(http, DnsResource, 'POST', 'dnsresources/', 'DNS resource', { form, signal: opts.signal });
}

/** `PUT /dnsresources/{id}/` (admin): its addresses become `ips`. */
export function setDnsResourceIps(
  http: MaasTransport,
  id: number,
  ips: readonly string[],
  opts: CallOptions = {},
): Promise<DnsResource> {
  return send(http, DnsResource, 'PUT', `dnsresources/${seg(id)}/`, 'DNS resource', {
    form: { ip_addresses: ips.join(' ') },
    signal: opts.signal,
  });
}

/** `DELETE /dnsresources/{id}/` (admin); one already gone counts as deleted. */
export async function deleteDnsResource(
  http: MaasTransport,
  id: number,
  opts: CallOptions = {},
): Promise<void> {
  try {
    await http.call({ method: 'DELETE', path: `dnsresources/${seg(id)}/`, signal: opts.signal });
  } catch (err) {
    if (!(err instanceof MaasNotFoundError)) throw err;
  }
}

/** `DELETE /tags/{name}/` (admin); one already gone counts as deleted. */
export async function deleteTag(http: MaasTransport, name: string, opts: CallOptions = {}): Promise<void> {
  try {
    await http.call({ method: 'DELETE', path: `tags/${seg(name)}/`, signal: opts.signal });
  } catch (err) {
    if (!(err instanceof MaasNotFoundError)) throw err;
  }
}
