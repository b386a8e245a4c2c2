/** The machine card of `machine_get` and its optional sections, built from one full machine answer. */
import * as z from 'zod/v4';
import { asData } from '../base/text.ts';
import { hostPart, looksLikeSystemId, matchHostname, notFound } from '../core/targets.ts';
import type { MaasClient } from '../maas/client.ts';
import { MaasNotFoundError } from '../maas/errors.ts';
import type { BlockDevice, Event, Interface, Machine, MachineParts } from '../maas/schemas.ts';
import { annotationsOf, gib } from './common.ts';

export const EventRow = z.object({
  id: z.number(),
  created: z.string(),
  level: z.string(),
  type: z.string(),
  description: z.string(),
});
export type EventRow = z.infer<typeof EventRow>;

export function eventRow(e: Event): EventRow {
  return { id: e.id, created: e.created, level: e.level, type: e.type, description: e.description };
}

export function renderEventLine(e: EventRow): string {
  return `${e.created} ${e.level === 'INFO' ? '' : `${e.level} `}${e.type}${e.description ? ` — ${asData(e.description)}` : ''}`;
}

const MachineCard = z.object({
  system_id: z.string(),
  hostname: z.string(),
  fqdn: z.string(),
  status: z.string(),
  status_code: z.number(),
  status_message: z.string(),
  error_description: z.string(),
  power_state: z.string(),
  power_type: z.string(),
  owner: z.string().nullable(),
  locked: z.boolean(),
  zone: z.string(),
  pool: z.string(),
  architecture: z.string(),
  cpu_count: z.number(),
  memory_mib: z.number(),
  storage_gb: z.number(),
  tags: z.array(z.string()),
  os: z.string().describe('Deployed OS as osystem/series, or empty'),
  ip_addresses: z.array(z.string()),
  description: z.string(),
  workload_annotations: z.record(z.string(), z.string()),
  commissioning: z.string(),
  testing: z.string(),
});

const Hardware = z.object({
  cpu_speed_mhz: z.number(),
  numa_nodes: z.number(),
  hwe_kernel: z.string(),
  min_hwe_kernel: z.string(),
  bios_boot_method: z.string(),
  info: z.record(z.string(), z.string()).describe('Vendor, product, firmware… (unknown values left out)'),
  tests: z.record(z.string(), z.string()),
});

const NetInterface = z.object({
  name: z.string(),
  type: z.string(),
  mac: z.string().nullable(),
  enabled: z.boolean(),
  vlan: z.string(),
  fabric: z.string(),
  mtu: z.number().nullable(),
  speed_mbps: z.number().nullable(),
  parents: z.array(z.string()),
  links: z.array(z.object({ mode: z.string(), subnet: z.string().nullable(), ip: z.string().nullable() })),
});

const Disk = z.object({
  name: z.string(),
  type: z.string(),
  model: z.string(),
  serial: z.string(),
  size_gb: z.number(),
  boot: z.boolean(),
  used_for: z.string(),
  tags: z.array(z.string()),
  partitions: z.array(
    z.object({ path: z.string(), size_gb: z.number(), fstype: z.string(), mount: z.string().nullable() }),
  ),
});

export const MachineDetail = z.object({
  machine: MachineCard,
  hardware: Hardware.optional(),
  network: z.object({ interfaces: z.array(NetInterface), boot_interface: z.string().nullable() }).optional(),
  storage: z.object({ disks: z.array(Disk) }).optional(),
  events: z.array(EventRow).optional(),
});
export type MachineDetail = z.infer<typeof MachineDetail>;

export type Section = 'hardware' | 'network' | 'storage' | 'events';

/**
 * Reads one machine in as few requests as MAAS allows: a system_id is one GET; a hostname is one filtered
 * list (which carries the full machine). Sections a MAAS version leaves out of machine JSON (2.9 has no
 * interface_set) are fetched from their own endpoints.
 */
export async function loadMachineDetail(
  maas: MaasClient,
  ref: string,
  sections: ReadonlySet<Section>,
  signal?: AbortSignal,
): Promise<MachineDetail> {
  const m = await loadMachine(
    maas,
    ref.trim(),
    { network: sections.has('network'), storage: sections.has('storage') },
    signal,
  );
  const out: MachineDetail = { machine: card(m) };
  const [interfaces, disks, events] = await Promise.all([
    sections.has('network')
      ? (m.interface_set ?? maas.machineInterfaces(m.system_id, { signal }))
      : undefined,
    sections.has('storage')
      ? (m.physicalblockdevice_set ?? maas.machineBlockDevices(m.system_id, { signal }))
      : undefined,
    sections.has('events') ? maas.events({ id: [m.system_id], limit: 10 }, { signal }) : undefined,
  ]);
  if (sections.has('hardware')) out.hardware = hardware(m);
  if (interfaces) {
    out.network = {
      interfaces: interfaces.map(netInterface),
      boot_interface: m.boot_interface?.name ?? null,
    };
  }
  if (disks) out.storage = { disks: disks.map((d) => disk(d, m.boot_disk?.id)) };
  if (events) out.events = events.events.map(eventRow);
  return out;
}

async function loadMachine(
  maas: MaasClient,
  ref: string,
  parts: MachineParts,
  signal?: AbortSignal,
): Promise<Machine> {
  if (looksLikeSystemId(ref)) {
    try {
      return await maas.getMachine(ref, parts, { signal });
    } catch (err) {
      if (!(err instanceof MaasNotFoundError)) throw err;
    }
  }
  const match = matchHostname(
    ref,
    await maas.listMachinesFull({ hostname: [hostPart(ref)] }, parts, { signal }),
  );
  if (!match) throw notFound([ref]);
  return match;
}

function card(m: Machine): z.infer<typeof MachineCard> {
  return {
    system_id: m.system_id,
    hostname: m.hostname,
    fqdn: m.fqdn,
    status: m.status_name,
    status_code: m.status,
    status_message: m.status_message,
    error_description: m.error_description,
    power_state: m.power_state,
    power_type: m.power_type,
    owner: m.owner,
    locked: m.locked,
    zone: m.zone?.name ?? '',
    pool: m.pool?.name ?? '',
    architecture: m.architecture,
    cpu_count: m.cpu_count,
    memory_mib: m.memory,
    storage_gb: Math.round(m.storage / 100) / 10,
    tags: m.tag_names,
    os: m.osystem ? `${m.osystem}/${m.distro_series}` : '',
    ip_addresses: m.ip_addresses,
    description: m.description,
    workload_annotations: annotationsOf(m),
    commissioning: m.commissioning_status_name ?? 'Unknown',
    testing: m.testing_status_name ?? 'Unknown',
  };
}

function hardware(m: Machine): z.infer<typeof Hardware> {
  const info: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.hardware_info ?? {})) if (v && v !== 'Unknown') info[k] = v;
  const tests: Record<string, string> = {};
  const t = {
    cpu: m.cpu_test_status_name,
    memory: m.memory_test_status_name,
    network: m.network_test_status_name,
    storage: m.storage_test_status_name,
  };
  for (const [k, v] of Object.entries(t)) if (v) tests[k] = v;
  return {
    cpu_speed_mhz: m.cpu_speed,
    numa_nodes: m.numanode_set?.length ?? 0,
    hwe_kernel: m.hwe_kernel ?? '',
    min_hwe_kernel: m.min_hwe_kernel ?? '',
    bios_boot_method: m.bios_boot_method ?? '',
    info,
    tests,
  };
}

function netInterface(i: Interface): z.infer<typeof NetInterface> {
  return {
    name: i.name,
    type: i.type,
    mac: i.mac_address ?? null,
    enabled: i.enabled ?? true,
    vlan: i.vlan ? (i.vlan.vid === 0 ? 'untagged' : `vid ${i.vlan.vid}`) : 'disconnected',
    fabric: i.vlan?.fabric ?? '',
    mtu: i.effective_mtu ?? i.vlan?.mtu ?? null,
    speed_mbps: i.link_speed ?? null,
    parents: i.parents,
    links: i.links.map((l) => ({ mode: l.mode, subnet: l.subnet?.cidr ?? null, ip: l.ip_address ?? null })),
  };
}

function disk(d: BlockDevice, bootId: number | undefined): z.infer<typeof Disk> {
  return {
    name: d.name,
    type: d.type,
    model: d.model ?? '',
    serial: d.serial ?? '',
    size_gb: Math.round(d.size / 1e8) / 10,
    boot: d.id === bootId,
    used_for: d.used_for,
    tags: d.tags,
    partitions: d.partitions.map((p) => ({
      path: p.path,
      size_gb: Math.round(p.size / 1e8) / 10,
      fstype: p.filesystem?.fstype ?? '',
      mount: p.filesystem?.mount_point ?? null,
    })),
  };
}

export function renderMachineDetail(d: MachineDetail): string {
  const m = d.machine;
  const lines = [
    `${m.hostname} (${m.system_id}) — ${m.status}${m.status_message && m.status_message !== m.status ? ` (${asData(m.status_message)})` : ''}${m.locked ? ', locked' : ''}`,
    `power ${m.power_state} (${m.power_type || 'no power type'}), owner ${m.owner ?? 'none'}, zone ${m.zone}, pool ${m.pool}`,
    `${m.architecture}, ${m.cpu_count} CPUs, ${gib(m.memory_mib)} RAM, ${m.storage_gb} GB storage${m.os ? `, runs ${m.os}` : ''}`,
  ];
  if (m.error_description) lines.push(`error: ${asData(m.error_description)}`);
  if (m.description) lines.push(`description: ${asData(m.description)}`);
  const notes = Object.entries(m.workload_annotations);
  if (notes.length)
    lines.push(`owner data: ${notes.map(([k, v]) => `${asData(k)}=${asData(v)}`).join(', ')}`);
  if (m.tags.length) lines.push(`tags: ${m.tags.join(', ')}`);
  if (m.ip_addresses.length) lines.push(`IPs: ${m.ip_addresses.join(', ')}`);
  if (d.hardware) {
    const h = d.hardware;
    const info = Object.entries(h.info).map(([k, v]) => `${k}=${v}`);
    lines.push(
      `hardware: ${h.cpu_speed_mhz} MHz, ${h.numa_nodes} NUMA node(s), kernel ${h.hwe_kernel || 'default'}, boot ${h.bios_boot_method || 'unknown'}`,
    );
    if (info.length) lines.push(`  ${info.join(', ')}`);
  }
  if (d.network) {
    lines.push('network:');
    for (const i of d.network.interfaces) {
      const links = i.links.map((l) => `${l.mode}${l.subnet ? ` ${l.subnet}` : ''}${l.ip ? ` ${l.ip}` : ''}`);
      lines.push(
        `  ${i.name} ${i.type} ${i.mac ?? ''} ${i.vlan}${i.fabric ? `@${i.fabric}` : ''}${i.speed_mbps ? ` ${i.speed_mbps}Mb/s` : ''}${links.length ? ` [${links.join('; ')}]` : ''}${i.name === d.network.boot_interface ? ' (boot)' : ''}`,
      );
    }
  }
  if (d.storage) {
    lines.push('storage:');
    for (const s of d.storage.disks) {
      lines.push(
        `  ${s.name} ${s.size_gb} GB ${s.model}${s.boot ? ' (boot)' : ''}${s.used_for ? ` — ${s.used_for}` : ''}`,
      );
    }
  }
  if (d.events) lines.push('events:', ...d.events.map((e) => `  ${renderEventLine(e)}`));
  return lines.join('\n');
}
