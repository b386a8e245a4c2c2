/**
 * The MAAS calls a Kubernetes cluster needs beyond a machine's life cycle: machines by what they carry (owner data,
 * agent name, tag), DNS resources for the API endpoint (MAAS `maasserver/api/dnsresources.py`, admin only for
 * writes), domains, and deleting a tag.
 */
import * as z from 'zod/v4';
import { type CallOptions, getList, type MaasTransport, seg, send } from './calls.ts';
import { MaasBadRequestError, MaasNotFoundError } from './errors.ts';
import type { Params } from './http.ts';
import { MachineCore, MachineSummary } from './schemas.ts';

/** A machine's summary and its owner data (MAAS clears owner data when it releases a machine). */
export const MarkedMachine = MachineSummary.extend({
  // Made inert as every MAAS free text is (anyone with MAAS access can write owner data).
  owner_data: MachineCore.shape.owner_data.transform((v) => v ?? {}),
});
export type MarkedMachine = z.infer<typeof MarkedMachine>;

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
    return await getList(http, MarkedMachine, 'machines/', 'machine', { ...opts, query });
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
  const all = await getList(http, DnsResource, 'dnsresources/', 'DNS resource', { ...opts, query: { fqdn } });
  return all.find((r) => r.fqdn === fqdn);
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
