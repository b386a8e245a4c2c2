/** Subnets (MAAS `maasserver/api/subnets.py`): listing, reading, statistics and the addresses in use. */
import { ipInSubnet } from './addressing.ts';
import { notFound } from './http.ts';
import type { SimSubnet } from './model.ts';
import { renderSubnet } from './render-net.ts';
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
    const auto = n?.interfaces.some((i) => i.links.some((l) => l.ip === ip && l.mode === 'auto'));
    out.push({
      ip,
      // `IPADDRESS_TYPE`: AUTO 0 "Automatic", STICKY 1 "Static".
      alloc_type: auto ? 0 : 1,
      alloc_type_name: auto ? 'Automatic' : 'Static',
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
