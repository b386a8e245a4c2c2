/** IPv4 and IPv6 addresses and CIDRs, enough to tell whether an address belongs to a subnet and may be a host's. */

export interface Ip {
  family: 4 | 6;
  value: bigint;
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.split('::') as [string, string | undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const missing = 8 - l.length - r.length;
  if ((right === undefined && missing !== 0) || missing < 0 || (right !== undefined && missing < 1))
    return undefined;
  const all = [...l, ...Array(right === undefined ? 0 : missing).fill('0'), ...r];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

export function parseIp(text: string): Ip | undefined {
  const t = text.trim();
  if (t.includes(':')) {
    const v = parseV6(t);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseV4(t);
  return v === undefined ? undefined : { family: 4, value: v };
}

export interface Cidr {
  network: Ip;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const [addr, bits] = text.split('/');
  const network = addr ? parseIp(addr) : undefined;
  if (!network || bits === undefined || !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > (network.family === 4 ? 32 : 128)) return undefined;
  return { network, prefix };
}

const width = (family: 4 | 6) => (family === 4 ? 32n : 128n);

export function cidrContains(cidr: Cidr, ip: Ip): boolean {
  if (cidr.network.family !== ip.family) return false;
  const shift = width(ip.family) - BigInt(cidr.prefix);
  return ip.value >> shift === cidr.network.value >> shift;
}

/** The subnet's own address, or (IPv4) its broadcast address: never a host's. */
export function isNetworkOrBroadcast(cidr: Cidr, ip: Ip): boolean {
  const shift = width(ip.family) - BigInt(cidr.prefix);
  if (shift === 0n) return false;
  const host = ip.value & ((1n << shift) - 1n);
  if (host === 0n) return true;
  return ip.family === 4 && shift > 1n && host === (1n << shift) - 1n;
}

export function sameIp(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  return !!x && !!y && x.family === y.family && x.value === y.value;
}

/** Whether two networks share any address (one holds the other's first address). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}
