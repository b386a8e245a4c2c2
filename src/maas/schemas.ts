/**
 * Zod schemas for MAAS API 2.0 answers (MAAS `maasserver/api/`). They keep only what maas-mcp reads
 * (unknown keys are dropped) and tolerate the field differences between MAAS 2.9 and 3.7: anything a version may
 * omit is optional with a neutral default. Secrets (power parameters, user_data) have no field here on purpose.
 */
import * as z from 'zod/v4';
import { cleanText, TEXT_MAX } from '../base/text.ts';

const str = z
  .string()
  .nullish()
  .transform((v) => v ?? '');
/**
 * Free text anyone with MAAS access can write (descriptions, comments, status and event messages): made inert at
 * the edge — control and invisible characters removed, length bounded (src/base/text.ts).
 */
const freeText = (max: number, oneLine = false) =>
  z
    .string()
    .nullish()
    .transform((v) => cleanText(v ?? '', max, oneLine));
/** Key → value text (owner data, workload annotations), each side made inert as {@link freeText} is. */
const freeRecord = z
  .record(z.string(), z.string())
  .nullish()
  .transform((r) =>
    r
      ? Object.fromEntries(
          Object.entries(r).map(([k, v]) => [cleanText(k, 100, true), cleanText(v, TEXT_MAX.value)]),
        )
      : r,
  );
const num = z
  .number()
  .nullish()
  .transform((v) => v ?? 0);
const strList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);

export const ZoneRef = z.object({
  id: z.number().optional(),
  name: z.string(),
  description: freeText(TEXT_MAX.paragraph).optional(),
});
export const PoolRef = ZoneRef;
export const DomainRef = z.object({ id: z.number().optional(), name: z.string() });

/** The fields a compact machine row needs; what the streaming list reader picks from each machine. */
export const MachineSummary = z.object({
  system_id: z.string(),
  hostname: z.string(),
  fqdn: str,
  status: z.number().int(),
  status_name: str,
  status_message: freeText(TEXT_MAX.line, true),
  error_description: freeText(TEXT_MAX.paragraph),
  power_state: z
    .string()
    .nullish()
    .transform((v) => v || 'unknown'),
  power_type: str,
  owner: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  locked: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  zone: ZoneRef.nullish(),
  pool: PoolRef.nullish(),
  architecture: str,
  cpu_count: num,
  memory: num,
  tag_names: strList,
  osystem: str,
  distro_series: str,
  ip_addresses: strList,
  /** A new one each deployment (MAAS `maasserver/api/machines.py` `DISPLAYED_MACHINE_FIELDS`): with the OS it tells one deployment from the next. */
  current_installation_result_id: z
    .number()
    .nullish()
    .transform((v) => v ?? null),
  /** A new one each commissioning: tells, after a restart, whether a commissioning asked for has happened. */
  current_commissioning_result_id: z
    .number()
    .nullish()
    .transform((v) => v ?? null),
});
export type MachineSummary = z.infer<typeof MachineSummary>;

/** Top-level keys of {@link MachineSummary}, for the streaming reader. */
export const MACHINE_SUMMARY_FIELDS: readonly string[] = Object.keys(MachineSummary.shape);

export const Vlan = z.object({
  id: z.number().optional(),
  vid: num,
  name: str,
  fabric: str,
  fabric_id: z.number().optional(),
  mtu: z.number().optional(),
  dhcp_on: z.boolean().optional(),
  space: z.string().nullish(),
});

export const Subnet = z.object({
  id: z.number(),
  name: str,
  description: freeText(TEXT_MAX.paragraph),
  cidr: z.string(),
  vlan: Vlan.nullish(),
  space: z.string().nullish(),
  gateway_ip: z.string().nullish(),
  dns_servers: strList,
  managed: z.boolean().optional(),
  active_discovery: z.boolean().optional(),
  allow_dns: z.boolean().optional(),
  allow_proxy: z.boolean().optional(),
});
export type Subnet = z.infer<typeof Subnet>;

export const InterfaceLink = z.object({
  id: z.number().optional(),
  mode: str,
  subnet: z.object({ id: z.number().optional(), cidr: z.string(), name: str.optional() }).nullish(),
  ip_address: z.string().nullish(),
});

export const Interface = z.object({
  id: z.number(),
  name: z.string(),
  type: str,
  mac_address: z.string().nullish(),
  enabled: z.boolean().optional(),
  vlan: Vlan.nullish(),
  links: z
    .array(InterfaceLink)
    .nullish()
    .transform((v) => v ?? []),
  parents: strList,
  children: strList,
  tags: strList,
  params: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
  effective_mtu: z.number().optional(),
  link_connected: z.boolean().optional(),
  link_speed: z.number().optional(),
  interface_speed: z.number().optional(),
  vendor: z.string().nullish(),
  product: z.string().nullish(),
});
export type Interface = z.infer<typeof Interface>;

export const Filesystem = z.object({
  fstype: str,
  label: z.string().nullish(),
  uuid: z.string().nullish(),
  mount_point: z.string().nullish(),
  mount_options: z.string().nullish(),
});

export const Partition = z.object({
  id: z.number(),
  path: str,
  size: num,
  type: str,
  bootable: z.boolean().optional(),
  filesystem: Filesystem.nullish(),
  used_for: str,
});

export const BlockDevice = z.object({
  id: z.number(),
  name: z.string(),
  type: str,
  path: str,
  model: z.string().nullish(),
  serial: z.string().nullish(),
  id_path: z.string().nullish(),
  size: num,
  block_size: z.number().optional(),
  available_size: z.number().optional(),
  used_size: z.number().optional(),
  used_for: str,
  tags: strList,
  filesystem: Filesystem.nullish(),
  partition_table_type: z.string().nullish(),
  partitions: z
    .array(Partition)
    .nullish()
    .transform((v) => v ?? []),
  storage_pool: z.string().nullish(),
  numa_node: z.number().nullish(),
});
export type BlockDevice = z.infer<typeof BlockDevice>;

export const NumaNode = z.object({
  index: z.number(),
  cores: z.array(z.number()).optional(),
  memory: z.number().optional(),
});

/** A machine's own fields, as `GET /machines/{id}/` returns them, minus what maas-mcp never shows. */
export const MachineCore = MachineSummary.extend({
  description: freeText(TEXT_MAX.paragraph),
  hardware_uuid: z.string().nullish(),
  domain: DomainRef.nullish(),
  owner_data: freeRecord,
  workload_annotations: freeRecord,
  min_hwe_kernel: z.string().nullish(),
  hwe_kernel: z.string().nullish(),
  cpu_speed: num,
  storage: num,
  swap_size: z.number().nullish(),
  numanode_set: z.array(NumaNode).nullish(),
  hardware_info: z.record(z.string(), z.string()).nullish(),
  bios_boot_method: z.string().nullish(),
  status_action: z.string().nullish(),
  netboot: z.boolean().optional(),
  ephemeral_deploy: z.boolean().optional(),
  commissioning_status_name: z.string().nullish(),
  testing_status_name: z.string().nullish(),
  cpu_test_status_name: z.string().nullish(),
  memory_test_status_name: z.string().nullish(),
  network_test_status_name: z.string().nullish(),
  storage_test_status_name: z.string().nullish(),
  pod: z.object({ id: z.number().optional(), name: z.string() }).nullish(),
});

/** The network part of a machine's JSON (MAAS 2.9 has no interface_set: read /nodes/{id}/interfaces/). */
export const MachineNetwork = z.object({
  interface_set: z.array(Interface).nullish(),
  boot_interface: Interface.nullish(),
});

/** The storage part of a machine's JSON. */
export const MachineStorage = z.object({
  boot_disk: BlockDevice.nullish(),
  physicalblockdevice_set: z.array(BlockDevice).nullish(),
  virtualblockdevice_set: z.array(BlockDevice).nullish(),
});

/** A whole machine. Its parts are parsed only when asked for (they are most of the 15–60 KB). */
export const Machine = MachineCore.extend(MachineNetwork.shape).extend(MachineStorage.shape);
export type Machine = z.infer<typeof MachineCore> &
  Partial<z.infer<typeof MachineNetwork>> &
  Partial<z.infer<typeof MachineStorage>>;

/** Which parts of a machine to parse beyond its own fields. */
export interface MachineParts {
  network?: boolean;
  storage?: boolean;
}

export const Event = z.object({
  id: z.number(),
  node: str,
  hostname: str,
  username: str,
  level: str,
  created: str,
  type: freeText(TEXT_MAX.line, true),
  description: freeText(TEXT_MAX.paragraph),
});
export type Event = z.infer<typeof Event>;

export const EventsPage = z.object({
  count: num,
  events: z.array(Event),
  next_uri: z.string().nullish(),
  prev_uri: z.string().nullish(),
});
export type EventsPage = z.infer<typeof EventsPage>;

export const Zone = z.object({ id: z.number(), name: z.string(), description: freeText(TEXT_MAX.paragraph) });
export type Zone = z.infer<typeof Zone>;
export const Pool = Zone;
export type Pool = Zone;

export const Tag = z.object({
  name: z.string(),
  definition: str,
  comment: freeText(TEXT_MAX.value),
  kernel_opts: z.string().nullish(),
});
export type Tag = z.infer<typeof Tag>;

export const Device = z.object({
  system_id: z.string(),
  hostname: z.string(),
  fqdn: str,
  description: freeText(TEXT_MAX.paragraph),
  owner: z.string().nullish(),
  ip_addresses: strList,
  zone: ZoneRef.nullish(),
  parent: z.string().nullish(),
  tag_names: strList,
  interface_set: z.array(Interface.pick({ name: true, mac_address: true })).nullish(),
});
export type Device = z.infer<typeof Device>;

export const Controller = z.object({
  system_id: z.string(),
  hostname: z.string(),
  fqdn: str,
  node_type: z.number().optional(),
  node_type_name: str,
  version: z.string().nullish(),
  architecture: z.string().nullish(),
  cpu_count: z.number().optional(),
  memory: z.number().optional(),
  ip_addresses: strList,
  zone: ZoneRef.nullish(),
  service_set: z
    .array(z.object({ name: z.string(), status: str, status_info: str }))
    .nullish()
    .transform((v) => v ?? []),
});
export type Controller = z.infer<typeof Controller>;

export const PowerState = z.object({ state: z.string() });

export const Version = z.object({
  version: z.string(),
  subversion: str,
  capabilities: strList,
});
export type Version = z.infer<typeof Version>;

export const Whoami = z.object({ username: z.string(), is_superuser: z.boolean(), email: str });
export type Whoami = z.infer<typeof Whoami>;
