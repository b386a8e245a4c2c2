/** Read-only network inventory: subnets (§6.6), fabrics, VLANs and domains (the URLs nested objects point at). */
import { ipInSubnet } from './addressing.ts';
import { notFound } from './http.ts';
import type { SimSubnet } from './model.ts';
import { API } from './paths.ts';
import { renderDomain } from './render.ts';
import { renderSubnet, renderVlan } from './render-net.ts';
import type { AuthedCtx, Resource } from './router.ts';

function subnetArg(ctx: AuthedCtx): SimSubnet {
  const s = ctx.svc.state.subnetBySpec(ctx.args[0] ?? '');
  if (!s) throw notFound('No Subnet matches the given query.');
  return s;
}

function statistics(ctx: AuthedCtx): Record<string, unknown> {
  const s = subnetArg(ctx);
  let used = 0;
  for (const ip of ctx.svc.state.ips.keys()) if (ipInSubnet(ip, s)) used++;
  const prefix = Number(s.cidr.split('/')[1] ?? 0);
  const total = s.cidr.includes(':') ? 2 ** 64 - 2 : 2 ** (32 - prefix) - 2;
  return {
    num_available: total - used,
    largest_available: total - used,
    num_unavailable: used,
    total_addresses: total,
    usage: used / total,
    usage_string: `${((used / total) * 100).toFixed(0)}%`,
    available_string: `${(((total - used) / total) * 100).toFixed(0)}%`,
    first_address: '',
    last_address: '',
    ip_version: s.cidr.includes(':') ? 6 : 4,
  };
}

function ipAddresses(ctx: AuthedCtx): unknown[] {
  const s = subnetArg(ctx);
  const { state } = ctx.svc;
  const out: unknown[] = [];
  for (const [ip, sid] of state.ips) {
    if (!ipInSubnet(ip, s)) continue;
    const n = state.nodes.get(sid);
    out.push({
      ip,
      alloc_type: 1,
      alloc_type_name: 'Automatic',
      user: n?.owner ?? null,
      node_summary: n
        ? { system_id: n.systemId, hostname: n.hostname, node_type: n.kind === 'device' ? 1 : 0 }
        : null,
    });
  }
  return out;
}

export const subnetsResource: Resource = {
  name: 'SubnetsHandler',
  pattern: /^subnets\/$/,
  handlers: { GET: (ctx) => [...ctx.svc.state.subnets.values()].map((s) => renderSubnet(ctx.svc.state, s)) },
};

export const subnetResource: Resource = {
  name: 'SubnetHandler',
  pattern: /^subnets\/([^/]+)\/$/,
  handlers: {
    GET: (ctx) => renderSubnet(ctx.svc.state, subnetArg(ctx)),
    'GET statistics': statistics,
    'GET ip_addresses': ipAddresses,
  },
};

function renderFabric(ctx: AuthedCtx, id: number): Record<string, unknown> {
  const { state } = ctx.svc;
  const f = state.fabrics.get(id);
  if (!f) throw notFound('No Fabric matches the given query.');
  const vlans = [...state.vlans.values()].filter((v) => v.fabricId === id).map((v) => renderVlan(state, v));
  return { class_type: f.classType, name: f.name, id: f.id, vlans, resource_uri: `${API}fabrics/${f.id}/` };
}

export const networkResources: Resource[] = [
  {
    name: 'FabricsHandler',
    pattern: /^fabrics\/$/,
    handlers: { GET: (ctx) => [...ctx.svc.state.fabrics.keys()].map((id) => renderFabric(ctx, id)) },
  },
  {
    name: 'FabricHandler',
    pattern: /^fabrics\/(\d+)\/$/,
    handlers: { GET: (ctx) => renderFabric(ctx, Number(ctx.args[0])) },
  },
  {
    name: 'VlansHandler',
    pattern: /^fabrics\/(\d+)\/vlans\/$/,
    handlers: {
      GET: (ctx) => {
        renderFabric(ctx, Number(ctx.args[0]));
        const { state } = ctx.svc;
        return [...state.vlans.values()]
          .filter((v) => v.fabricId === Number(ctx.args[0]))
          .map((v) => renderVlan(state, v));
      },
    },
  },
  {
    name: 'VlanHandler',
    pattern: /^vlans\/(\d+)\/$/,
    handlers: {
      GET: (ctx) => {
        const v = ctx.svc.state.vlans.get(Number(ctx.args[0]));
        if (!v) throw notFound('No VLAN matches the given query.');
        return renderVlan(ctx.svc.state, v);
      },
    },
  },
  {
    name: 'DomainsHandler',
    pattern: /^domains\/$/,
    handlers: {
      GET: (ctx) => [...ctx.svc.state.domains.keys()].map((id) => renderDomain(ctx.svc.state, id)),
    },
  },
  {
    name: 'DomainHandler',
    pattern: /^domains\/(\d+)\/$/,
    handlers: {
      GET: (ctx) => {
        if (!ctx.svc.state.domains.has(Number(ctx.args[0])))
          throw notFound('No Domain matches the given query.');
        return renderDomain(ctx.svc.state, Number(ctx.args[0]));
      },
    },
  },
];
