/** IP arithmetic and address allocation on the simulated subnets (IPv4 and simple `…::/64` IPv6). */
import type { SimIpRange, SimNode, SimState, SimSubnet } from './model.ts';

/** Host offsets below this are left for gateways and infrastructure, as a MAAS reserved range would. */
const FIRST_DYNAMIC_OFFSET = 10;

function ipv4ToInt(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

interface Range {
  family: 4 | 6;
  size: number;
  /** Address at host offset `i`. */
  at(i: number): string;
  offsetOf(ip: string): number | null;
}

const ranges = new Map<string, Range>();

function subnetRange(cidr: string): Range | null {
  const cached = ranges.get(cidr);
  if (cached) return cached;
  const [base, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  if (base === undefined || !Number.isInteger(prefix)) return null;
  let range: Range | null = null;
  const v4 = ipv4ToInt(base);
  if (v4 !== null && prefix >= 8 && prefix <= 30) {
    const size = 2 ** (32 - prefix);
    const network = v4 - (v4 % size);
    range = {
      family: 4,
      size,
      at: (i) => intToIpv4(network + i),
      offsetOf: (ip) => {
        const n = ipv4ToInt(ip);
        return n !== null && n >= network && n < network + size ? n - network : null;
      },
    };
  } else if (base.endsWith('::') && prefix === 64) {
    range = {
      family: 6,
      size: 0xffff,
      at: (i) => `${base}${i.toString(16)}`,
      offsetOf: (ip) => {
        const t = ip.trim().toLowerCase();
        if (!t.startsWith(base.toLowerCase())) return null;
        const rest = t.slice(base.length);
        return /^[0-9a-f]{1,4}$/.test(rest) ? Number.parseInt(rest, 16) : null;
      },
    };
  }
  if (range) ranges.set(cidr, range);
  return range;
}

export function ipInSubnet(ip: string, subnet: SimSubnet): boolean {
  const r = subnetRange(subnet.cidr);
  const off = r?.offsetOf(ip) ?? null;
  return off !== null && off > 0 && off < (r?.size ?? 0) - (r?.family === 4 ? 1 : 0);
}

const cursors = new WeakMap<SimState, Map<number, number>>();

/** Host offset of `ip` in the subnet, or null when it is not in it. */
function offsetIn(subnet: SimSubnet, ip: string): number | null {
  return subnetRange(subnet.cidr)?.offsetOf(ip) ?? null;
}

/** The subnet's IP range of `type` holding `ip`, if any. */
export function rangeHolding(
  state: SimState,
  subnet: SimSubnet,
  ip: string,
  type: SimIpRange['type'],
): SimIpRange | undefined {
  const off = offsetIn(subnet, ip);
  if (off === null) return undefined;
  for (const r of state.ipRanges.values()) {
    if (r.subnetId !== subnet.id || r.type !== type) continue;
    const lo = offsetIn(subnet, r.start);
    const hi = offsetIn(subnet, r.end);
    if (lo !== null && hi !== null && off >= lo && off <= hi) return r;
  }
  return undefined;
}

/** Whether MAAS already tracks the address (a node's link or a user reservation). */
export function ipInUse(state: SimState, ip: string): boolean {
  return state.ips.has(ip) || state.reservedIps.has(ip);
}

/** The subnet an address belongs to (the most specific one). */
export function subnetOfIp(state: SimState, ip: string): SimSubnet | undefined {
  let best: SimSubnet | undefined;
  for (const s of state.subnets.values()) {
    if (!ipInSubnet(ip, s)) continue;
    const prefix = Number(s.cidr.split('/')[1]);
    if (!best || prefix > Number(best.cidr.split('/')[1])) best = s;
  }
  return best;
}

/**
 * The lowest-ish free address, as MAAS allocates one: not the gateway or a DNS server, not in use, not in a dynamic or
 * reserved range (`get_ipranges_for_ip_allocation`). A moving cursor keeps seeding 10,000 machines linear.
 */
export function nextFreeIp(state: SimState, subnet: SimSubnet): string | null {
  const r = subnetRange(subnet.cidr);
  if (!r) return null;
  let perState = cursors.get(state);
  if (!perState) {
    perState = new Map();
    cursors.set(state, perState);
  }
  const start = perState.get(subnet.id) ?? FIRST_DYNAMIC_OFFSET;
  let hasRanges = false;
  for (const range of state.ipRanges.values()) if (range.subnetId === subnet.id) hasRanges = true;
  const last = r.family === 4 ? r.size - 2 : r.size;
  for (let pass = 0; pass < 2; pass++) {
    const from = pass === 0 ? start : FIRST_DYNAMIC_OFFSET;
    const to = pass === 0 ? last : start - 1;
    for (let i = from; i <= to; i++) {
      const ip = r.at(i);
      if (ip === subnet.gatewayIp || subnet.dnsServers.includes(ip) || ipInUse(state, ip)) continue;
      if (
        hasRanges &&
        (rangeHolding(state, subnet, ip, 'dynamic') || rangeHolding(state, subnet, ip, 'reserved'))
      ) {
        continue;
      }
      perState.set(subnet.id, i + 1);
      return ip;
    }
  }
  return null;
}

export function takeIp(state: SimState, node: SimNode, ip: string): void {
  state.ips.set(ip, node.systemId);
}

export function freeIp(state: SimState, ip: string): void {
  state.ips.delete(ip);
}

/** `claim_auto_ips` at deployment: every AUTO link gets an address. */
export function claimAutoIps(state: SimState, node: SimNode): void {
  for (const iface of node.interfaces) {
    for (const link of iface.links) {
      if (link.mode !== 'auto' || link.ip || link.subnetId === null) continue;
      const subnet = state.subnets.get(link.subnetId);
      if (!subnet) continue;
      const ip = nextFreeIp(state, subnet);
      if (ip) {
        link.ip = ip;
        takeIp(state, node, ip);
      }
    }
  }
}

/** On release, AUTO addresses go back to the pool; STATIC ones stay with the machine. */
export function releaseAutoIps(state: SimState, node: SimNode): void {
  for (const iface of node.interfaces) {
    for (const link of iface.links) {
      if (link.mode !== 'auto' || !link.ip) continue;
      freeIp(state, link.ip);
      link.ip = null;
    }
  }
}

/** All addresses a node holds, in interface order (`ip_addresses`). */
export function nodeIps(node: SimNode): string[] {
  const out: string[] = [];
  for (const iface of node.interfaces) for (const link of iface.links) if (link.ip) out.push(link.ip);
  return out;
}
