/**
 * `/nodes/{system_id}/interfaces/` (MAAS `maasserver/api/interfaces.py`): listing, `create_bond` with MAAS's real
 * defaults, and the per-interface `link_subnet` / `unlink_subnet` family behind the machine state gate.
 */

import { freeIp, ipInSubnet, nextFreeIp, takeIp } from './addressing.ts';
import {
  applyTagOp,
  badRequest,
  CHOICE,
  choiceError,
  conflict,
  deletedResponse,
  fieldError,
  fieldErrors,
  forbidden,
  notFound,
  SimHttpError,
  stringBool,
} from './http.ts';
import type { LinkMode, SimInterface, SimNode } from './model.ts';
import { getNodeOr404, type Perm } from './perm.ts';
import { renderInterface } from './render-net.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';
import { S, type Status } from './status.ts';

const EDITABLE: ReadonlySet<Status> = new Set([S.NEW, S.READY, S.FAILED_TESTING, S.ALLOCATED, S.BROKEN]);

const BOND_MODES = [
  'balance-rr',
  'active-backup',
  'balance-xor',
  'broadcast',
  '802.3ad',
  'balance-tlb',
  'balance-alb',
];
const BOND_LACP_RATES = ['fast', 'slow'];
const BOND_XMIT_HASH_POLICIES = ['layer2', 'layer2+3', 'layer3+4', 'encap2+3', 'encap3+4'];

/** Node lookup plus `raise_error_for_invalid_state_on_allocated_operations` and the controller rule. */
function editableNode(ctx: AuthedCtx, operation: string, perm: Perm): SimNode {
  const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', perm, 'node');
  if (n.kind !== 'machine' && n.kind !== 'device')
    throw forbidden(`Cannot ${operation} interface on a controller.`);
  if (n.kind === 'machine') {
    if (!EDITABLE.has(n.status)) {
      throw conflict(
        `Cannot ${operation} interface because the machine is not New, Ready, Allocated, or Broken.`,
      );
    }
    if (n.status !== S.ALLOCATED && !ctx.user.isSuperuser) throw forbidden();
  }
  return n;
}

function ifaceOf(n: SimNode, id: string | undefined): SimInterface {
  const iface = n.interfaces.find((i) => String(i.id) === id || i.name === id);
  if (!iface) throw notFound('No Interface matches the given query.');
  return iface;
}

function intField(
  ctx: AuthedCtx,
  key: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = ctx.data.get(key);
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v.trim())) throw fieldError(key, 'Enter a whole number.');
  const n = Number(v);
  if (n < min || n > max) throw fieldError(key, `Ensure this value is less than or equal to ${max}.`);
  return n;
}

function choiceField(ctx: AuthedCtx, key: string, choices: string[]): string {
  const v = ctx.data.get(key);
  if (v === undefined || v === '') return choices[0] ?? '';
  if (!choices.includes(v)) throw fieldError(key, choiceError(v));
  return v;
}

const createBond: Handler = (ctx) => {
  const n = editableNode(ctx, 'create bond', 'admin');
  const { state } = ctx.svc;
  const name = ctx.data.get('name');
  if (!name) throw fieldError('name', 'This field is required.');
  if (n.interfaces.some((i) => i.name === name))
    throw fieldError('name', `Interface with name '${name}' already exists on this node.`);
  const parentIds = ctx.data.getAll('parents');
  if (parentIds.length === 0) throw badRequest('A bond interface must have one or more parents.');
  const parents = parentIds.map((id) => {
    const p = n.interfaces.find((i) => String(i.id) === id);
    if (!p) throw fieldError('parents', choiceError(id));
    return p;
  });
  const taken = parents.filter((p) => n.interfaces.some((i) => i.parents.includes(p.id)));
  if (taken.length)
    throw fieldError('parents', `Interface(s) ${taken.map((p) => p.name).join(', ')} are already in use.`);
  if (new Set(parents.map((p) => p.vlanId)).size > 1) {
    throw fieldErrors({ parents: ['All parents must belong to the same VLAN.'] });
  }
  // The docstring says active-backup/slow; the form's initial values (first choices) are what MAAS applies.
  const params = {
    bond_mode: choiceField(ctx, 'bond_mode', BOND_MODES),
    bond_miimon: intField(ctx, 'bond_miimon', 100),
    bond_downdelay: intField(ctx, 'bond_downdelay', 0),
    bond_updelay: intField(ctx, 'bond_updelay', 0),
    bond_lacp_rate: choiceField(ctx, 'bond_lacp_rate', BOND_LACP_RATES),
    bond_xmit_hash_policy: choiceField(ctx, 'bond_xmit_hash_policy', BOND_XMIT_HASH_POLICIES),
    bond_num_grat_arp: intField(ctx, 'bond_num_grat_arp', 1, 0, 255),
  };
  const first = parents[0] as SimInterface;
  const vlanParam = ctx.data.get('vlan');
  const vlanId = vlanParam ? Number(vlanParam) : first.vlanId;
  if (vlanParam && !state.vlans.has(Number(vlanParam))) throw fieldError('vlan', CHOICE);
  for (const p of parents) {
    for (const l of p.links) if (l.ip) freeIp(state, l.ip);
    p.links = [];
  }
  const bond: SimInterface = {
    ...first,
    id: state.nextId('interface'),
    name,
    type: 'bond',
    mac: ctx.data.get('mac_address') ?? first.mac,
    vlanId,
    parents: parents.map((p) => p.id),
    tags: (ctx.data.get('tags') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    links: [{ id: state.nextId('link'), mode: 'link_up', subnetId: null, ip: null }],
    params,
    vendor: null,
    product: null,
    firmwareVersion: null,
    sriovMaxVf: 0,
    mtu: intField(ctx, 'mtu', 1500),
  };
  n.interfaces.push(bond);
  return renderInterface(state, n, bond);
};

const linkSubnet: Handler = (ctx) => {
  const n = editableNode(ctx, 'link subnet', 'edit');
  const iface = ifaceOf(n, ctx.args[1]);
  const { state } = ctx.svc;
  const bond = n.interfaces.find((i) => i.type === 'bond' && i.parents.includes(iface.id));
  if (bond)
    throw badRequest(`Cannot link interface(${iface.name}) when interface is in a bond(${bond.name}).`);
  const modeText = ctx.data.get('mode');
  if (!modeText) throw fieldError('mode', 'This field is required.');
  const mode = modeText.toLowerCase() as LinkMode;
  if (!['auto', 'dhcp', 'static', 'link_up'].includes(mode)) throw fieldError('mode', choiceError(modeText));
  if (n.kind === 'device' && mode !== 'static') throw fieldError('mode', choiceError(modeText));
  const force = stringBool(ctx.data, 'force', false);
  const subnetSpec = ctx.data.get('subnet');
  if (!subnetSpec && (mode === 'auto' || mode === 'static'))
    throw fieldError('subnet', 'This field is required.');
  const subnet = subnetSpec ? state.subnetBySpec(subnetSpec) : null;
  if (subnet === undefined) throw fieldError('subnet', CHOICE);
  if (subnet && !force && iface.vlanId !== null && subnet.vlanId !== iface.vlanId) {
    throw fieldError('subnet', `Subnet ${subnet.cidr} is not on the same VLAN as the interface.`);
  }
  if (ctx.data.get('default_gateway') && mode !== 'auto' && mode !== 'static') {
    throw fieldError('default_gateway', `Cannot use in mode '${mode}'.`);
  }
  let ip: string | null = null;
  const requested = ctx.data.get('ip_address');
  if (requested && mode !== 'static')
    throw fieldError('ip_address', `IP address can only be set in STATIC mode.`);
  if (mode === 'static' && subnet) {
    if (requested) {
      if (!ipInSubnet(requested, subnet))
        throw fieldError('ip_address', `IP address is not in the given subnet '${subnet.cidr}'.`);
      if (state.ips.has(requested)) throw fieldError('ip_address', `IP address is already in use.`);
      ip = requested;
    } else {
      ip = nextFreeIp(state, subnet);
      if (!ip)
        throw new SimHttpError(503, `${n.systemId}: Unable to allocate static IP due to address exhaustion.`);
    }
  }
  const real = iface.links.filter((l) => l.mode !== 'link_up');
  if (mode === 'link_up' && real.length && !force) {
    throw fieldError(
      'mode',
      'Cannot configure interface to link up (with no IP address) while other links are already configured. Specify force=True to override this behavior and delete all links.',
    );
  }
  if (mode === 'link_up') {
    for (const l of iface.links) if (l.ip) freeIp(state, l.ip);
    iface.links = [];
  } else {
    iface.links = real;
  }
  if (subnet && iface.vlanId === null) iface.vlanId = subnet.vlanId;
  iface.links.push({ id: state.nextId('link'), mode, subnetId: subnet?.id ?? null, ip });
  if (ip) takeIp(state, n, ip);
  return renderInterface(state, n, iface);
};

const unlinkSubnet: Handler = (ctx) => {
  const n = editableNode(ctx, 'unlink subnet', 'edit');
  const iface = ifaceOf(n, ctx.args[1]);
  const id = ctx.data.get('id');
  if (!id) throw fieldError('id', 'This field is required.');
  const link = iface.links.find((l) => String(l.id) === id);
  if (!link) throw fieldError('id', CHOICE);
  if (link.ip) freeIp(ctx.svc.state, link.ip);
  iface.links = iface.links.filter((l) => l !== link);
  if (iface.links.length === 0)
    iface.links.push({ id: ctx.svc.state.nextId('link'), mode: 'link_up', subnetId: null, ip: null });
  return renderInterface(ctx.svc.state, n, iface);
};

const deleteInterface: Handler = (ctx) => {
  const n = editableNode(ctx, 'delete', 'edit');
  const iface = ifaceOf(n, ctx.args[1]);
  for (const l of iface.links) if (l.ip) freeIp(ctx.svc.state, l.ip);
  n.interfaces = n.interfaces.filter((i) => i !== iface);
  for (const i of n.interfaces) i.parents = i.parents.filter((p) => p !== iface.id);
  if (n.bootInterfaceId === iface.id) n.bootInterfaceId = n.interfaces[0]?.id ?? null;
  return deletedResponse();
};

function tagOp(add: boolean): Handler {
  return (ctx) => {
    const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'edit', 'node');
    const iface = ifaceOf(n, ctx.args[1]);
    iface.tags = applyTagOp(ctx.data, iface.tags, add);
    return renderInterface(ctx.svc.state, n, iface);
  };
}

export const interfaceResources: Resource[] = [
  {
    name: 'InterfacesHandler',
    pattern: /^nodes\/([^/]+)\/interfaces\/$/,
    handlers: {
      GET: (ctx) => {
        const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', 'node');
        return n.interfaces.map((i) => renderInterface(ctx.svc.state, n, i));
      },
      'POST create_bond': createBond,
    },
  },
  {
    name: 'InterfaceHandler',
    pattern: /^nodes\/([^/]+)\/interfaces\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => {
        const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', 'node');
        return renderInterface(ctx.svc.state, n, ifaceOf(n, ctx.args[1]));
      },
      DELETE: deleteInterface,
      'POST link_subnet': linkSubnet,
      'POST unlink_subnet': unlinkSubnet,
      'POST add_tag': tagOp(true),
      'POST remove_tag': tagOp(false),
      'POST set_default_gateway': (ctx) => {
        const n = editableNode(ctx, 'set default gateway', 'edit');
        return renderInterface(ctx.svc.state, n, ifaceOf(n, ctx.args[1]));
      },
    },
  },
];
