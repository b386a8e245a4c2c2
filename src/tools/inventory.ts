/** Read tools for what surrounds the machines: devices, controllers, zones, pools, tags, subnets. */
import * as z from 'zod/v4';
import { asData } from '../base/text.ts';
import { defineTool } from '../core/tool.ts';
import { asList, limit, offset, oneOrMany, pageHeading, pageOf, pageShape, READ_ONLY } from './common.ts';

const contains = (hay: string, needle: string | undefined) =>
  !needle || hay.toLowerCase().includes(needle.toLowerCase());

const DeviceRow = z.object({
  hostname: z.string(),
  system_id: z.string(),
  owner: z.string().nullable(),
  zone: z.string(),
  parent: z.string().nullable(),
  ip_addresses: z.array(z.string()),
  mac_addresses: z.array(z.string()),
  tags: z.array(z.string()),
});

export const devicesList = defineTool({
  name: 'devices_list',
  title: 'List devices',
  description: 'List MAAS devices: things it tracks for IPs and DNS (switches, PDUs, BMCs).',
  toolset: 'inventory',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'devices',
  input: z.object({
    hostname: oneOrMany('Exact hostname(s)').optional(),
    zone: oneOrMany('Zone name(s)').optional(),
    limit: limit(50, 500),
    offset,
  }),
  output: z.object({ ...pageShape, rows: z.array(DeviceRow) }),
  async run(args, { deps, signal }) {
    const filters: { hostname?: string[]; zone?: string[] } = {};
    if (args.hostname) filters.hostname = asList(args.hostname);
    if (args.zone) filters.zone = asList(args.zone);
    const devices = await deps.maas.devices(filters, { signal });
    return pageOf(
      devices.map((d) => ({
        hostname: d.hostname,
        system_id: d.system_id,
        owner: d.owner ?? null,
        zone: d.zone?.name ?? '',
        parent: d.parent ?? null,
        ip_addresses: d.ip_addresses,
        mac_addresses: (d.interface_set ?? []).flatMap((i) => (i.mac_address ? [i.mac_address] : [])),
        tags: d.tag_names,
      })),
      args,
    );
  },
  render(out) {
    return [
      pageHeading('devices', out),
      ...out.rows.map(
        (d) =>
          `${d.hostname} ${d.system_id} zone ${d.zone}${d.parent ? ` parent ${d.parent}` : ''} ${d.ip_addresses.join(',') || 'no IP'} ${d.mac_addresses.join(',')}`,
      ),
    ].join('\n');
  },
});

const ControllerRow = z.object({
  hostname: z.string(),
  system_id: z.string(),
  kind: z.enum(['rack', 'region']),
  type: z.string(),
  version: z.string(),
  ip_addresses: z.array(z.string()),
  services_down: z.array(z.string()).describe('Services MAAS reports as not running'),
});

export const controllersList = defineTool({
  name: 'controllers_list',
  title: 'List controllers',
  description:
    'List rack and region controllers with their version and services down (MAAS admins’ keys only).',
  toolset: 'inventory',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'controllers',
  input: z.object({
    kind: z.enum(['rack', 'region', 'all']).default('all').describe('rack, region, or all (default)'),
  }),
  output: z.object({ controllers: z.array(ControllerRow), note: z.string().optional() }),
  async run(args, { deps, signal }) {
    const kinds = args.kind === 'all' ? (['region', 'rack'] as const) : ([args.kind] as const);
    const lists = await Promise.all(kinds.map((k) => deps.maas.controllers(k, { signal })));
    const seen = new Set<string>();
    const controllers: z.infer<typeof ControllerRow>[] = [];
    lists.forEach((list, i) => {
      for (const c of list) {
        // A region+rack controller appears in both lists; show it once.
        if (seen.has(c.system_id)) continue;
        seen.add(c.system_id);
        controllers.push({
          hostname: c.hostname,
          system_id: c.system_id,
          kind: kinds[i] as 'rack' | 'region',
          type: c.node_type_name,
          version: c.version ?? '',
          ip_addresses: c.ip_addresses,
          services_down: c.service_set
            .filter((s) => s.status !== 'running' && s.status !== 'off')
            .map((s) => `${s.name} (${s.status}${s.status_info ? `: ${s.status_info}` : ''})`),
        });
      }
    });
    const out: { controllers: typeof controllers; note?: string } = { controllers };
    if (controllers.length === 0) {
      // An empty list may only mean the API key is not an admin's: say so.
      const who = await deps.maas.me({ signal }).catch(() => undefined);
      if (who && !who.is_superuser) {
        out.note = `MAAS shows controllers only to admins, and ${who.username} is not one`;
      }
    }
    return out;
  },
  render(out) {
    if (out.controllers.length === 0) return out.note ?? 'No controllers.';
    return out.controllers
      .map(
        (c) =>
          `${c.hostname} ${c.system_id} ${c.type}${c.version ? ` v${c.version}` : ''} ${c.ip_addresses.join(',')}${c.services_down.length ? ` — down: ${c.services_down.join(', ')}` : ''}`,
      )
      .join('\n');
  },
});

const Named = z.object({ id: z.number(), name: z.string(), description: z.string() });

export const zonesList = defineTool({
  name: 'zones_list',
  title: 'List zones',
  description: 'List availability zones (racks, rooms, power feeds).',
  toolset: 'inventory',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'zones',
  input: z.object({ name: z.string().optional().describe('Only zones whose name contains this text') }),
  output: z.object({ zones: z.array(Named) }),
  async run(args, { deps, signal }) {
    const zones = await deps.maas.zones({ signal });
    return { zones: zones.filter((z) => contains(z.name, args.name)) };
  },
  render(out) {
    if (out.zones.length === 0) return 'No zones match.';
    return out.zones.map((z) => `${z.name}${z.description ? ` — ${asData(z.description)}` : ''}`).join('\n');
  },
});

export const poolsList = defineTool({
  name: 'pools_list',
  title: 'List resource pools',
  description: 'List resource pools (machines set aside for a team or purpose).',
  toolset: 'inventory',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'pools',
  input: z.object({ name: z.string().optional().describe('Only pools whose name contains this text') }),
  output: z.object({ pools: z.array(Named) }),
  async run(args, { deps, signal }) {
    const pools = await deps.maas.pools({ signal });
    return { pools: pools.filter((p) => contains(p.name, args.name)) };
  },
  render(out) {
    if (out.pools.length === 0) return 'No resource pools match.';
    return out.pools.map((p) => `${p.name}${p.description ? ` — ${asData(p.description)}` : ''}`).join('\n');
  },
});

export const tagsList = defineTool({
  name: 'tags_list',
  title: 'List tags',
  description: 'List tags; one with a definition (XPath) is automatic.',
  toolset: 'inventory',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'tags',
  input: z.object({ name: z.string().optional().describe('Only tags whose name contains this text') }),
  output: z.object({
    tags: z.array(
      z.object({ name: z.string(), comment: z.string(), definition: z.string(), kernel_opts: z.string() }),
    ),
  }),
  async run(args, { deps, signal }) {
    const tags = await deps.maas.tags({ signal });
    return {
      tags: tags
        .filter((t) => contains(t.name, args.name))
        .map((t) => ({
          name: t.name,
          comment: t.comment,
          definition: t.definition,
          kernel_opts: t.kernel_opts ?? '',
        })),
    };
  },
  render(out) {
    if (out.tags.length === 0) return 'No tags match.';
    return out.tags
      .map(
        (t) =>
          `${t.name}${t.comment ? ` — ${asData(t.comment)}` : ''}${t.definition ? ` [auto: ${t.definition}]` : ''}${t.kernel_opts ? ` kernel_opts=${t.kernel_opts}` : ''}`,
      )
      .join('\n');
  },
});

const SubnetRow = z.object({
  id: z.number(),
  cidr: z.string(),
  name: z.string(),
  vlan: z.string(),
  fabric: z.string(),
  space: z.string().nullable(),
  gateway_ip: z.string().nullable(),
  dns_servers: z.array(z.string()),
  managed: z.boolean(),
});

export const subnetsList = defineTool({
  name: 'subnets_list',
  title: 'List subnets',
  description: 'List subnets with their VLAN, fabric, space and gateway.',
  toolset: 'inventory',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'subnets',
  input: z.object({
    cidr: z.string().optional().describe('Only subnets whose CIDR contains this text (e.g. "10.20.")'),
    fabric: z.string().optional().describe('Only subnets on this fabric'),
    space: z.string().optional().describe('Only subnets in this space'),
    limit: limit(100, 500),
    offset,
  }),
  output: z.object({ ...pageShape, rows: z.array(SubnetRow) }),
  async run(args, { deps, signal }) {
    const subnets = await deps.maas.subnets({ signal });
    const rows = subnets
      .filter(
        (s) =>
          contains(s.cidr, args.cidr) &&
          (!args.fabric || s.vlan?.fabric === args.fabric) &&
          (!args.space || s.space === args.space),
      )
      .map((s) => ({
        id: s.id,
        cidr: s.cidr,
        name: s.name,
        vlan: s.vlan ? (s.vlan.vid === 0 ? 'untagged' : `vid ${s.vlan.vid}`) : '',
        fabric: s.vlan?.fabric ?? '',
        space: s.space ?? null,
        gateway_ip: s.gateway_ip ?? null,
        dns_servers: s.dns_servers,
        managed: s.managed ?? true,
      }));
    return pageOf(rows, args);
  },
  render(out) {
    return [
      pageHeading('subnets', out),
      ...out.rows.map(
        (s) =>
          `${s.cidr}${s.name && s.name !== s.cidr ? ` (${s.name})` : ''} ${s.vlan}@${s.fabric}${s.space ? ` space ${s.space}` : ''}${s.gateway_ip ? ` gw ${s.gateway_ip}` : ''}${s.managed ? '' : ' unmanaged'}`,
      ),
    ].join('\n');
  },
});

export const inventoryTools = [devicesList, controllersList, zonesList, poolsList, tagsList, subnetsList];
