/**
 * The links and MTUs part of a network plan: the entries for one interface are the links it should have (several
 * for IPv4 and IPv6); links already there are kept, others removed, missing ones made (MAAS `InterfaceLinkForm`,
 * `Interface.link_subnet`, `unlink_subnet`, `set_default_gateway`).
 */
import type { Subnet } from '../maas/schemas.ts';
import { cidrContains, isNetworkOrBroadcast, parseCidr, parseIp, sameIp } from './ip.ts';
import {
  containerOf,
  findSubnet,
  known,
  linkText,
  type NetDraft,
  type Nic,
  type NicLink,
  problem,
  vlanName,
} from './network-model.ts';
import type { InterfaceSpec } from './network-spec.ts';

interface Wanted {
  mode: string;
  subnet: Subnet | null;
  ip: string | null;
  gateway: boolean;
}

const family = (cidr: string | null) => (cidr?.includes(':') ? 'ipv6' : 'ipv4');

export function planLinks(d: NetDraft, entries: readonly InterfaceSpec[]): void {
  const byName = new Map<string, InterfaceSpec[]>();
  for (const e of entries) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  for (const [name, list] of byName) {
    const nic = d.nics.get(name);
    if (!nic) {
      const vlan = /^(.+)\.(\d+)$/.exec(name);
      problem(
        d,
        `${name} is not an interface of ${d.host.hostname}${vlan ? ` (to make it, add vlans: [{"parent": "${vlan[1]}", "vid": ${vlan[2]}}])` : ''} (it has ${known(d)})`,
      );
      continue;
    }
    const container = containerOf(d, name);
    if (container) {
      problem(
        d,
        `${name} is in ${container.name}: configure ${container.name} instead (MAAS links no subnet to a bond member)`,
      );
      continue;
    }
    const mtu = list.find((e) => e.mtu !== undefined)?.mtu;
    if (mtu !== undefined) planMtu(d, nic, mtu);
    const asked = list.filter((e) => e.ip_mode !== undefined);
    if (asked.length === 0) continue;
    const wanted: Wanted[] = [];
    for (const e of asked) {
      const w = wantedLink(d, nic, e);
      if (w) wanted.push(w);
    }
    if (wanted.length === asked.length) diffLinks(d, nic, wanted);
  }
}

function planMtu(d: NetDraft, nic: Nic, mtu: number): void {
  if (nic.effective === mtu) {
    d.plan.unchanged.push(`${nic.name} MTU ${mtu}`);
    return;
  }
  const create = d.plan.steps.find(
    (s) => (s.op === 'create_bond' || s.op === 'create_vlan') && s.name === nic.name,
  );
  if (create && (create.op === 'create_bond' || create.op === 'create_vlan')) create.mtu = mtu;
  else d.plan.steps.push({ op: 'update_interface', name: nic.name, changes: { mtu } });
  nic.mtu = nic.effective = mtu;
  for (const p of nic.parents) {
    const parent = d.nics.get(p);
    if (parent && parent.effective < mtu) {
      d.plan.notes.push(`MAAS raises ${p} to MTU ${mtu} with ${nic.name}`);
      parent.effective = mtu;
    }
  }
  if (mtu > nic.vlanMtu)
    d.plan.warnings.push(
      `${nic.name}: MTU ${mtu} is above its VLAN's ${nic.vlanMtu} (${vlanName(nic)}); the switches must carry it (a MAAS admin can raise the VLAN's MTU)`,
    );
}

/** One asked link, checked against the subnet, the interface's VLAN and the addresses in use. */
function wantedLink(d: NetDraft, nic: Nic, e: InterfaceSpec): Wanted | undefined {
  const mode = e.ip_mode as string;
  let subnet: Subnet | null = null;
  if (e.subnet) {
    subnet = findSubnet(d.world.subnets, e.subnet) ?? null;
    if (!subnet) {
      const cidrs = d.world.subnets.map((s) => s.cidr).join(', ');
      return problem(d, `${nic.name}: subnet ${e.subnet} is not in MAAS (it has ${cidrs})`);
    }
    const vlanId = subnet.vlan?.id ?? null;
    if (nic.vlanId !== null && vlanId !== nic.vlanId) {
      const there = `${subnet.vlan?.fabric ?? '?'} ${subnet.vlan?.vid ? `VLAN ${subnet.vlan.vid}` : 'untagged'}`;
      const tagged = subnet.vlan?.vid && subnet.vlan.fabric === nic.fabric;
      return problem(
        d,
        `${nic.name}: ${subnet.cidr} is on ${there} but ${nic.name} is on ${vlanName(nic)}${tagged ? `; link it on a VLAN interface: vlans [{"parent": "${nic.name}", "vid": ${subnet.vlan?.vid}}] and interfaces name ${nic.name}.${subnet.vlan?.vid}` : ''}`,
      );
    }
  }
  if (e.default_gateway && subnet && !subnet.gateway_ip)
    return problem(d, `${nic.name}: ${subnet.cidr} has no gateway, so it cannot be the default gateway`);
  let ip: string | null = null;
  if (mode === 'static' && e.ip_address && subnet) {
    ip = e.ip_address.trim();
    if (!staticAddressOk(d, nic, subnet, ip)) return undefined;
  }
  return { mode, subnet, ip, gateway: e.default_gateway ?? false };
}

function staticAddressOk(d: NetDraft, nic: Nic, subnet: Subnet, text: string): boolean {
  const ip = parseIp(text);
  const cidr = parseCidr(subnet.cidr);
  if (!ip || !cidr) return !!problem(d, `${nic.name}: ip_address ${text} is not an IP address`);
  if (!cidrContains(cidr, ip)) return !!problem(d, `${nic.name}: ${text} is not in ${subnet.cidr}`);
  if (isNetworkOrBroadcast(cidr, ip))
    return !!problem(d, `${nic.name}: ${text} is ${subnet.cidr}'s own network or broadcast address`);
  if (subnet.gateway_ip && sameIp(subnet.gateway_ip, text))
    return !!problem(d, `${nic.name}: ${text} is ${subnet.cidr}'s gateway`);
  if ((subnet.dns_servers ?? []).some((s) => sameIp(s, text)))
    return !!problem(d, `${nic.name}: ${text} is ${subnet.cidr}'s DNS server`);
  const holder = (d.world.addresses.get(subnet.id) ?? []).find((a) => sameIp(a.ip, text));
  if (!holder) return true;
  const mine = holder.node_summary?.system_id === d.host.systemId;
  if (!mine) {
    const who =
      holder.node_summary?.hostname ?? holder.node_summary?.system_id ?? holder.alloc_type_name ?? 'MAAS';
    return !!problem(
      d,
      `${nic.name}: ${text} is in use (${who}); pick a free address in ${subnet.cidr} or leave ip_address out`,
    );
  }
  // This machine's own address: fine where the plan keeps it on this interface or frees it first (a new bond's
  // members lose their links before the bond is linked).
  const holderNic = [...d.nics.values()].find((n) => n.links.some((l) => l.ip && sameIp(l.ip, text)));
  if (!holderNic || holderNic === nic) return true;
  return !!problem(
    d,
    `${nic.name}: ${text} is ${holderNic.name}'s on ${d.host.hostname}; unlink it there first`,
  );
}

function matches(l: NicLink, w: Wanted): boolean {
  if (l.mode !== w.mode) return false;
  if (w.subnet && l.subnetId !== w.subnet.id) return false;
  return !(w.mode === 'static' && w.ip && !(l.ip && sameIp(l.ip, w.ip)));
}

function diffLinks(d: NetDraft, nic: Nic, wanted: readonly Wanted[]): void {
  const kept: NicLink[] = [];
  const missing: Wanted[] = [];
  const pool = [...nic.links];
  for (const w of wanted) {
    const i = pool.findIndex((l) => matches(l, w));
    if (i < 0) missing.push(w);
    else kept.push(...pool.splice(i, 1));
  }
  const real = wanted.some((w) => w.mode !== 'link_up');
  // MAAS drops a LINK_UP placeholder itself when a real link comes; removing the last link brings one back.
  const removed = pool.filter((l) => !(real && l.mode === 'link_up'));
  for (const l of removed) {
    if (l.id === null) continue;
    d.plan.steps.push({ op: 'unlink_subnet', interface: nic.name, link_id: l.id, link: linkText(l) });
  }
  const links: NicLink[] = [...kept];
  for (const w of missing) {
    const reappears = w.mode === 'link_up' && removed.length > 0;
    if (!reappears) {
      d.plan.steps.push({
        op: 'link_subnet',
        interface: nic.name,
        mode: w.mode,
        subnet_id: w.subnet?.id,
        subnet: w.subnet?.cidr,
        ip_address: w.ip ?? undefined,
        default_gateway: w.gateway || undefined,
      });
    }
    // The LINK_UP MAAS brings back stays on the subnet of the link removed last (`Interface.unlink_ip_address`).
    const last = reappears && !w.subnet ? (removed.at(-1) ?? null) : null;
    links.push({
      id: null,
      mode: w.mode,
      subnetId: w.subnet?.id ?? last?.subnetId ?? null,
      cidr: w.subnet?.cidr ?? last?.cidr ?? null,
      ip: w.ip,
      gateway: w.gateway,
    });
    if (w.gateway) clearGateway(d, family(w.subnet?.cidr ?? null), links.at(-1) as NicLink);
  }
  wanted.forEach((w) => {
    const link = kept.find((l) => matches(l, w));
    if (!w.gateway || !link || link.gateway || link.id === null) return;
    d.plan.steps.push({
      op: 'set_default_gateway',
      interface: nic.name,
      link_id: link.id,
      subnet: link.cidr ?? '',
    });
    clearGateway(d, family(link.cidr), link);
    link.gateway = true;
  });
  if (missing.length === 0 && removed.length === 0) {
    d.plan.unchanged.push(`${nic.name} links (${kept.map(linkText).join('; ')})`);
  }
  nic.links = links;
}

/** One default gateway per address family: the new one replaces it everywhere else. */
function clearGateway(d: NetDraft, fam: 'ipv4' | 'ipv6', keep: NicLink): void {
  for (const n of d.nics.values())
    for (const l of n.links) if (l !== keep && family(l.cidr) === fam) l.gateway = false;
}
