/**
 * A machine's network endpoints (MAAS `maasserver/api/interfaces.py`, `fabrics.py`, `vlans.py`, `subnets.py`) and
 * cloning (`MachinesHandler.clone`): the reads behind `machine_network` and every write a network plan needs.
 * Every machine interface write needs a MAAS admin ("even the owner of the machine cannot modify the interfaces",
 * `maasserver/auth/local.py`).
 */
import * as z from 'zod/v4';
import { type CallOptions, getList, getOne, type MaasTransport, seg, send } from './calls.ts';
import type { Params } from './http.ts';
import { Interface, Vlan } from './schemas.ts';

export const Fabric = z.object({
  id: z.number(),
  name: z.string(),
  vlans: z
    .array(Vlan)
    .nullish()
    .transform((v) => v ?? []),
});
export type Fabric = z.infer<typeof Fabric>;

/** One address MAAS tracks in a subnet (`GET /subnets/{id}/?op=ip_addresses`). */
export const SubnetAddress = z.object({
  ip: z.string(),
  alloc_type_name: z.string().nullish(),
  node_summary: z.object({ system_id: z.string(), hostname: z.string().nullish() }).nullish(),
});
export type SubnetAddress = z.infer<typeof SubnetAddress>;

const ifaces = (systemId: string) => `nodes/${seg(systemId)}/interfaces/`;
const iface = (systemId: string, id: number) => `${ifaces(systemId)}${seg(id)}/`;

export function fabrics(http: MaasTransport, opts: CallOptions = {}): Promise<Fabric[]> {
  return getList(http, Fabric, 'fabrics/', 'fabric', opts);
}

/** The addresses MAAS holds in a subnet: what a static address must not be. */
export function subnetAddresses(
  http: MaasTransport,
  subnetId: number,
  opts: CallOptions = {},
): Promise<SubnetAddress[]> {
  return getOne(http, z.array(SubnetAddress), `subnets/${seg(subnetId)}/`, 'subnet address list', {
    ...opts,
    op: 'ip_addresses',
  });
}

/** Bond settings as `create_bond` and PUT take them (MAAS `BondInterfaceForm`). */
export interface BondForm {
  bond_mode?: string | undefined;
  bond_miimon?: number | undefined;
  bond_downdelay?: number | undefined;
  bond_updelay?: number | undefined;
  bond_lacp_rate?: string | undefined;
  bond_xmit_hash_policy?: string | undefined;
  mtu?: number | undefined;
}

/** `op=create_bond`: `parents` are interface ids (names are refused by MAAS's form). */
export function createBond(
  http: MaasTransport,
  systemId: string,
  body: { name: string; parents: readonly number[] } & BondForm,
  opts: CallOptions = {},
): Promise<Interface> {
  return send(http, Interface, 'POST', ifaces(systemId), 'interface', {
    op: 'create_bond',
    form: defined(body),
    ...opts,
  });
}

/** `op=create_vlan`: `vlan` is the VLAN's database id (not its tag); the interface is named `<parent>.<vid>`. */
export function createVlanInterface(
  http: MaasTransport,
  systemId: string,
  body: { parent: number; vlan: number; mtu?: number | undefined },
  opts: CallOptions = {},
): Promise<Interface> {
  return send(http, Interface, 'POST', ifaces(systemId), 'interface', {
    op: 'create_vlan',
    form: defined(body),
    ...opts,
  });
}

/** `PUT /nodes/{id}/interfaces/{id}/`: what is omitted is left as it is. */
export function updateInterface(
  http: MaasTransport,
  systemId: string,
  interfaceId: number,
  form: Params,
  opts: CallOptions = {},
): Promise<Interface> {
  return send(http, Interface, 'PUT', iface(systemId, interfaceId), 'interface', { form, ...opts });
}

/** `op=link_subnet`: `mode` is auto, dhcp, static or link_up; answers the interface. */
export function linkSubnet(
  http: MaasTransport,
  systemId: string,
  interfaceId: number,
  body: {
    mode: string;
    subnet?: number | undefined;
    ip_address?: string | undefined;
    default_gateway?: boolean | undefined;
    force?: boolean | undefined;
  },
  opts: CallOptions = {},
): Promise<Interface> {
  return send(http, Interface, 'POST', iface(systemId, interfaceId), 'interface', {
    op: 'link_subnet',
    form: defined(body),
    ...opts,
  });
}

/** `op=unlink_subnet` of one link (`links[].id`); an enabled interface left with none gets a LINK_UP back. */
export function unlinkSubnet(
  http: MaasTransport,
  systemId: string,
  interfaceId: number,
  linkId: number,
  opts: CallOptions = {},
): Promise<Interface> {
  return send(http, Interface, 'POST', iface(systemId, interfaceId), 'interface', {
    op: 'unlink_subnet',
    form: { id: linkId },
    ...opts,
  });
}

/** `op=set_default_gateway` through one of the interface's links. */
export function setDefaultGateway(
  http: MaasTransport,
  systemId: string,
  interfaceId: number,
  linkId: number,
  opts: CallOptions = {},
): Promise<Interface> {
  return send(http, Interface, 'POST', iface(systemId, interfaceId), 'interface', {
    op: 'set_default_gateway',
    form: { link_id: linkId },
    ...opts,
  });
}

/**
 * `POST /machines/?op=clone` to one or more destinations. MAAS reads `destinations` as one comma-separated string
 * (a repeated key keeps only its last value) and answers 204; any destination it refuses fails the whole request.
 */
export async function cloneMachine(
  http: MaasTransport,
  body: { source: string; destinations: readonly string[]; storage: boolean; interfaces: boolean },
  opts: CallOptions = {},
): Promise<void> {
  await send(http, z.unknown(), 'POST', 'machines/', 'clone answer', {
    op: 'clone',
    form: {
      source: body.source,
      destinations: body.destinations.join(','),
      storage: body.storage,
      interfaces: body.interfaces,
    },
    ...opts,
  });
}

/** The form without its undefined fields; booleans as MAAS reads them. */
function defined(body: object): Params {
  const out: Record<string, string | number | readonly number[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'boolean' ? String(v) : (v as string | number | readonly number[]);
  }
  return out;
}
