/**
 * One read of a machine for the configuration tools: its own fields, disks and interfaces and its default gateways,
 * from a single `GET /machines/{id}/` (MAAS `maasserver/api/machines.py` `DISPLAYED_MACHINE_FIELDS`).
 */
import * as z from 'zod/v4';
import { type CallOptions, getList, getOne, type MaasTransport, parseAnswer, seg } from './calls.ts';
import { MaasProtocolError } from './errors.ts';
import { Interface, MachineCore, MachineNetwork, MachineStorage } from './schemas.ts';

const Gateway = z
  .object({ gateway_ip: z.string().nullish(), link_id: z.number().nullish() })
  .nullish()
  .transform((g) => ({ gatewayIp: g?.gateway_ip ?? null, linkId: g?.link_id ?? null }));

export const MachineConfig = MachineCore.extend(MachineNetwork.shape)
  .extend(MachineStorage.shape)
  .extend({
    default_gateways: z
      .object({ ipv4: Gateway, ipv6: Gateway })
      .nullish()
      .transform((g) => g ?? { ipv4: Gateway.parse(null), ipv6: Gateway.parse(null) }),
  });
export type MachineConfig = z.infer<typeof MachineConfig>;

/** The machine, with `interface_set` filled in from `/nodes/{id}/interfaces/` where MAAS (2.9) leaves it out. */
export async function getMachineConfig(
  http: MaasTransport,
  systemId: string,
  opts: CallOptions = {},
): Promise<MachineConfig & { interface_set: Interface[] }> {
  const m = await getOne(http, MachineConfig, `machines/${seg(systemId)}/`, 'machine', opts);
  const interfaces =
    m.interface_set ??
    (await getList(http, Interface, `nodes/${seg(systemId)}/interfaces/`, 'interface', opts));
  return { ...m, interface_set: interfaces };
}

/** Up to 100 machines in one `GET /machines/?id=…` (MAAS takes any number; URLs stay short at 100). */
export async function getMachineConfigs(
  http: MaasTransport,
  systemIds: readonly string[],
  opts: CallOptions = {},
): Promise<(MachineConfig & { interface_set: Interface[] })[]> {
  if (systemIds.length === 0) return [];
  const req = { method: 'GET' as const, path: 'machines/', query: { id: systemIds }, signal: opts.signal };
  const body = await http.call(req);
  if (!Array.isArray(body)) throw new MaasProtocolError('MAAS sent a machine list that is not a JSON array');
  return Promise.all(
    body.map(async (raw) => {
      const m = parseAnswer(MachineConfig, raw, 'machine');
      const interfaces =
        m.interface_set ??
        (await getList(http, Interface, `nodes/${seg(m.system_id)}/interfaces/`, 'interface', opts));
      return { ...m, interface_set: interfaces };
    }),
  );
}
