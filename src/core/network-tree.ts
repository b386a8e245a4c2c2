/**
 * A machine's network as one tree — interfaces, bond members under their bond, VLAN interfaces under their parent,
 * each with its VLAN, MTU and links — read from MAAS or planned, and drawn for people.
 */
import * as z from 'zod/v4';
import type { MachineConfig } from '../maas/machine-config.ts';
import type { Interface } from '../maas/schemas.ts';

export const TreeLink = z.object({
  mode: z.string(),
  subnet: z.string().nullable(),
  ip: z.string().nullable(),
  default_gateway: z.boolean(),
});
export type TreeLink = z.infer<typeof TreeLink>;

export const TreeBond = z.object({
  mode: z.string(),
  lacp_rate: z.string().nullable(),
  xmit_hash_policy: z.string().nullable(),
  miimon: z.number().nullable(),
});
export type TreeBond = z.infer<typeof TreeBond>;

export const TreeInterface = z.object({
  name: z.string(),
  type: z.string(),
  mac: z.string().nullable(),
  enabled: z.boolean(),
  fabric: z.string().nullable(),
  vid: z.number().nullable(),
  mtu: z.number(),
  parents: z.array(z.string()),
  bond: TreeBond.nullable(),
  links: z.array(TreeLink),
});
export type TreeInterface = z.infer<typeof TreeInterface>;

export const NetworkTree = z
  .object({ interfaces: z.array(TreeInterface) })
  .describe(
    'Interfaces (physical, bond, vlan, bridge): fabric, vid (0 untagged), MTU, parents, links (mode, subnet, address)',
  );
export type NetworkTree = z.infer<typeof NetworkTree>;

/** The params object of a bond or bridge (MAAS sends `""` for none). */
export function paramsOf(i: Pick<Interface, 'params'>): Record<string, unknown> {
  return i.params && typeof i.params === 'object' ? i.params : {};
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
const int = (v: unknown) =>
  typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null;

export function bondOf(i: Pick<Interface, 'type' | 'params'>): TreeBond | null {
  if (i.type !== 'bond') return null;
  const p = paramsOf(i);
  return {
    mode: str(p.bond_mode) ?? 'balance-rr',
    lacp_rate: str(p.bond_lacp_rate),
    xmit_hash_policy: str(p.bond_xmit_hash_policy),
    miimon: int(p.bond_miimon),
  };
}

/** The tree of what MAAS has; `gateways` are the link ids MAAS routes through (`default_gateways`). */
export function networkTreeFromMaas(
  interfaces: readonly Interface[],
  gateways: MachineConfig['default_gateways'],
): NetworkTree {
  const gatewayLinks = new Set([gateways.ipv4.linkId, gateways.ipv6.linkId].filter((id) => id !== null));
  return {
    interfaces: interfaces.map((i) => ({
      name: i.name,
      type: i.type,
      mac: i.mac_address ?? null,
      enabled: i.enabled ?? true,
      fabric: i.vlan?.fabric || null,
      vid: i.vlan ? i.vlan.vid : null,
      mtu: i.effective_mtu ?? i.vlan?.mtu ?? 1500,
      parents: i.parents,
      bond: bondOf(i),
      links: i.links.map((l) => ({
        mode: l.mode,
        subnet: l.subnet?.cidr ?? null,
        ip: l.ip_address ?? null,
        default_gateway: l.id !== undefined && gatewayLinks.has(l.id),
      })),
    })),
  };
}

function vlanText(i: TreeInterface): string {
  if (i.vid === null) return 'not connected';
  return `${i.fabric ?? '?'} ${i.vid === 0 ? 'untagged' : `VLAN ${i.vid}`}`;
}

function linkText(l: TreeLink): string {
  if (l.mode === 'link_up') return 'link up, no address';
  const where = l.subnet ? ` ${l.subnet}` : '';
  const ip = l.ip ? ` ${l.ip}` : l.mode === 'auto' ? ' (address at deploy)' : '';
  return `${l.mode}${where}${ip}${l.default_gateway ? ' (default gateway)' : ''}`;
}

function line(i: TreeInterface): string {
  const bond = i.bond
    ? ` ${i.bond.mode}${i.bond.lacp_rate && i.bond.mode === '802.3ad' ? ` lacp ${i.bond.lacp_rate}` : ''}${i.bond.xmit_hash_policy ? ` hash ${i.bond.xmit_hash_policy}` : ''}`
    : '';
  const links = i.links.length ? i.links.map(linkText).join('; ') : 'no links';
  return `${i.name} (${i.type}${bond}, ${vlanText(i)}, MTU ${i.mtu}${i.enabled ? '' : ', disabled'}): ${links}`;
}

/** Bonds with their members beneath, VLAN interfaces under their parent; one line each. */
export function renderNetworkTree(tree: NetworkTree): string[] {
  const byName = new Map(tree.interfaces.map((i) => [i.name, i]));
  const childrenOf = (name: string) => tree.interfaces.filter((i) => i.parents.includes(name));
  const shown = new Set<string>();
  const lines: string[] = [];
  const walk = (i: TreeInterface, depth: number) => {
    if (shown.has(i.name)) return;
    shown.add(i.name);
    const pad = depth ? `${'  '.repeat(depth - 1)}└─ ` : '';
    lines.push(`${pad}${line(i)}`);
    if (i.type === 'bond' || i.type === 'bridge') {
      for (const p of i.parents) {
        const member = byName.get(p);
        if (member && !shown.has(p)) {
          shown.add(p);
          lines.push(`${'  '.repeat(depth)}├─ member ${p}${member.mac ? ` ${member.mac}` : ''}`);
        }
      }
    }
    for (const c of childrenOf(i.name)) if (c.type === 'vlan') walk(c, depth + 1);
  };
  const inBond = new Set(
    tree.interfaces.filter((i) => i.type === 'bond' || i.type === 'bridge').flatMap((i) => i.parents),
  );
  for (const i of tree.interfaces) if (i.type === 'bond' || i.type === 'bridge') walk(i, 0);
  for (const i of tree.interfaces) if (i.parents.length === 0 && !inBond.has(i.name)) walk(i, 0);
  for (const i of tree.interfaces) walk(i, 0);
  return lines;
}
