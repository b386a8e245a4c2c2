/**
 * The working copy of a machine's interfaces a network plan edits: what MAAS has, then what each planned call
 * changes, including what MAAS does on its own (a bond member loses its links; a new interface gets a LINK_UP).
 */
import type { MachineConfig } from '../maas/machine-config.ts';
import type { Fabric, SubnetAddress } from '../maas/network.ts';
import type { Interface, Subnet } from '../maas/schemas.ts';
import { bondOf, type NetworkTree, paramsOf, type TreeBond, type TreeInterface } from './network-tree.ts';

export interface NicLink {
  /** MAAS's link id; null for a link the plan makes. */
  id: number | null;
  mode: string;
  subnetId: number | null;
  cidr: string | null;
  ip: string | null;
  gateway: boolean;
}

export interface Nic {
  name: string;
  /** MAAS's interface id; null for one the plan makes. */
  id: number | null;
  type: string;
  mac: string | null;
  enabled: boolean;
  vlanId: number | null;
  fabric: string | null;
  fabricId: number | null;
  vid: number | null;
  vlanMtu: number;
  parents: string[];
  /** The MTU set on the interface itself (`params.mtu`), if any. */
  mtu: number | null;
  effective: number;
  bond: TreeBond | null;
  links: NicLink[];
}

/** The world a plan is checked against: subnets, fabrics (with their VLANs), and addresses in use. */
export interface NetworkWorld {
  subnets: readonly Subnet[];
  fabrics: readonly Fabric[];
  /** Addresses MAAS holds, by subnet id, for the subnets a static address is asked in. */
  addresses: ReadonlyMap<number, readonly SubnetAddress[]>;
}

export function nicFrom(i: Interface, gatewayLinks: ReadonlySet<number>): Nic {
  const p = paramsOf(i);
  const mtu = typeof p.mtu === 'number' ? p.mtu : typeof p.mtu === 'string' && p.mtu ? Number(p.mtu) : null;
  return {
    name: i.name,
    id: i.id,
    type: i.type,
    mac: i.mac_address ?? null,
    enabled: i.enabled ?? true,
    vlanId: i.vlan?.id ?? null,
    fabric: i.vlan?.fabric || null,
    fabricId: i.vlan?.fabric_id ?? null,
    vid: i.vlan ? i.vlan.vid : null,
    vlanMtu: i.vlan?.mtu ?? 1500,
    parents: [...i.parents],
    mtu,
    effective: i.effective_mtu ?? mtu ?? i.vlan?.mtu ?? 1500,
    bond: bondOf(i),
    links: i.links.map((l) => ({
      id: l.id ?? null,
      mode: l.mode,
      subnetId: l.subnet?.id ?? null,
      cidr: l.subnet?.cidr ?? null,
      ip: l.ip_address ?? null,
      gateway: l.id !== undefined && gatewayLinks.has(l.id),
    })),
  };
}

export function treeInterface(n: Nic): TreeInterface {
  return {
    name: n.name,
    type: n.type,
    mac: n.mac,
    enabled: n.enabled,
    fabric: n.fabric,
    vid: n.vid,
    mtu: n.effective,
    parents: n.parents,
    bond: n.bond,
    links: n.links.map((l) => ({ mode: l.mode, subnet: l.cidr, ip: l.ip, default_gateway: l.gateway })),
  };
}

/** "data untagged", "data VLAN 100", "not connected". */
export function vlanName(n: Pick<Nic, 'fabric' | 'vid'>): string {
  if (n.vid === null) return 'not connected';
  return `${n.fabric ?? '?'} ${n.vid === 0 ? 'untagged' : `VLAN ${n.vid}`}`;
}

/** A subnet by CIDR, name or id. */
export function findSubnet(subnets: readonly Subnet[], text: string): Subnet | undefined {
  const t = text.trim();
  return (
    subnets.find((s) => s.cidr === t) ??
    subnets.find((s) => s.name === t) ??
    (/^\d+$/.test(t) ? subnets.find((s) => s.id === Number(t)) : undefined)
  );
}

export function linkText(l: Pick<NicLink, 'mode' | 'cidr' | 'ip'>): string {
  if (l.mode === 'link_up') return 'link up';
  return `${l.mode}${l.cidr ? ` ${l.cidr}` : ''}${l.ip ? ` ${l.ip}` : ''}`;
}

export type NetworkStep =
  | {
      op: 'create_bond';
      name: string;
      parents: string[];
      mode?: string | undefined;
      lacp_rate?: string | undefined;
      xmit_hash_policy?: string | undefined;
      miimon?: number | undefined;
      downdelay?: number | undefined;
      updelay?: number | undefined;
      mtu?: number | undefined;
    }
  | { op: 'update_interface'; name: string; changes: Record<string, string | number>; parents?: string[] }
  | {
      op: 'create_vlan';
      name: string;
      parent: string;
      vlan_id: number;
      vid: number;
      mtu?: number | undefined;
    }
  | { op: 'unlink_subnet'; interface: string; link_id: number; link: string }
  | {
      op: 'link_subnet';
      interface: string;
      mode: string;
      subnet_id?: number | undefined;
      subnet?: string | undefined;
      ip_address?: string | undefined;
      default_gateway?: boolean | undefined;
    }
  | { op: 'set_default_gateway'; interface: string; link_id: number; subnet: string };

export interface NetworkHost {
  hostname: string;
  systemId: string;
  interfaces: readonly Interface[];
  gateways: MachineConfig['default_gateways'];
}

export interface NetworkPlan {
  /** The machine's interfaces once the plan has run. */
  tree: NetworkTree;
  steps: NetworkStep[];
  /** What was asked and is already so. */
  unchanged: string[];
  /** What MAAS will do on its own along the way. */
  notes: string[];
  warnings: string[];
  problems: string[];
}

/** The plan being built: the working copy, and what it has found. */
export interface NetDraft {
  host: NetworkHost;
  world: NetworkWorld;
  nics: Map<string, Nic>;
  plan: NetworkPlan;
  /** MTUs the caller set in this request, by interface. */
  askedMtu: Map<string, number>;
}

export function problem(d: NetDraft, message: string): undefined {
  d.plan.problems.push(message);
  return undefined;
}

export function known(d: NetDraft): string {
  return [...d.nics.keys()].join(', ');
}

/** The bond or bridge an interface is a member of. */
export function containerOf(d: NetDraft, name: string): Nic | undefined {
  return [...d.nics.values()].find(
    (n) => (n.type === 'bond' || n.type === 'bridge') && n.parents.includes(name),
  );
}
