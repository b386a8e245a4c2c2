/**
 * `/nodes/{system_id}/interfaces/` (MAAS `maasserver/api/interfaces.py`, forms in `maasserver/forms/interface.py`
 * and `interface_link.py`, rules in `maasserver/models/interface.py` and `models/signals/interfaces.py`): physical,
 * bond, VLAN and bridge interfaces, their links to subnets, the default gateway, PUT and DELETE. Machine interfaces
 * need admin on the machine and a machine in New, Ready, Failed testing, Allocated or Broken; device interfaces need
 * the device's owner or an admin.
 */
import { freeIp, ipInSubnet, ipInUse, nextFreeIp, rangeHolding, takeIp } from './addressing.ts';
import { canonicalMac, isMac } from './facts.ts';
import {
  badRequest,
  CHOICE,
  choiceError,
  conflict,
  deletedResponse,
  djangoBool,
  fieldErrors,
  forbidden,
  intField,
  mandatory,
  notFound,
  type Params,
  SimHttpError,
  stringBool,
} from './http.ts';
import type { LinkMode, SimInterface, SimLink, SimNode, SimState, SimSubnet } from './model.ts';
import { getNodeOr404, hasPerm } from './perm.ts';
import { explicitMtu, renderInterface } from './render-net.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';
import { INTERFACE_EDITABLE, S } from './status.ts';

type Errors = Record<string, string[]>;

export const BOND_MODES = [
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
const BRIDGE_TYPES = ['standard', 'ovs'];
const LINK_MODES: LinkMode[] = ['auto', 'dhcp', 'static', 'link_up'];
const NAME_RE = /^[\w\-_.:]{1,15}$/;
const MIN_MTU = 552;

// ---------------------------------------------------------------- lookups, permissions and the state gate

/** `raise_error_if_controller`. */
function notOnController(n: SimNode, operation: string): void {
  if (n.kind !== 'machine' && n.kind !== 'device')
    throw forbidden(`Cannot ${operation} interface on a controller.`);
}

/** `raise_error_for_invalid_state_on_allocated_operations` (machines only). */
function stateGate(n: SimNode, operation: string, extra: number[] = []): void {
  if (n.kind !== 'machine') return;
  if (!INTERFACE_EDITABLE.has(n.status) && !extra.includes(n.status)) {
    throw conflict(
      `Cannot ${operation} interface because the machine is not New, Ready, Allocated, or Broken.`,
    );
  }
}

/** An interface by id, name, IP or `ip/cidr` (`InterfaceQueriesMixin._add_default_query`). */
export function findInterface(n: SimNode, spec: string): SimInterface | undefined {
  const bare = spec.split('/')[0] ?? spec;
  return n.interfaces.find(
    (i) => String(i.id) === spec || i.name === spec || i.links.some((l) => l.ip !== null && l.ip === bare),
  );
}

/**
 * `Interface.objects.get_interface_or_404`: the interface on the node, then admin on a machine or controller, edit on
 * a device (403 empty).
 */
function interfaceArg(ctx: AuthedCtx, write: boolean): { n: SimNode; iface: SimInterface } {
  const n = ctx.svc.state.nodes.get(ctx.args[0] ?? '');
  const iface = n ? findInterface(n, ctx.args[1] ?? '') : undefined;
  if (!n || !iface) throw notFound('No Interface matches the given query.');
  const perm = !write ? 'view' : n.kind === 'device' ? 'edit' : 'admin';
  if (!hasPerm(ctx.user, n, perm)) throw forbidden();
  return { n, iface };
}

const byId = (n: SimNode, id: number) => n.interfaces.find((i) => i.id === id);
const childrenOf = (n: SimNode, iface: SimInterface) =>
  n.interfaces.filter((i) => i.parents.includes(iface.id));

// ---------------------------------------------------------------- MTU (`interface_mtu_params_update`)

function setParam(i: SimInterface, key: string, value: string | number | boolean | undefined): void {
  const next = { ...(i.params ?? {}) };
  if (value === undefined) delete next[key];
  else next[key] = value;
  i.params = Object.keys(next).length ? next : null;
}

/** A child's MTU raises its parents'; a parent's lower MTU lowers larger explicit child MTUs. */
function applyMtu(n: SimNode, i: SimInterface, mtu: number | undefined): void {
  setParam(i, 'mtu', mtu);
  if (mtu === undefined) return;
  for (const pid of i.parents) {
    const p = byId(n, pid);
    if (p && (explicitMtu(p) ?? 0) < mtu) applyMtu(n, p, mtu);
  }
  for (const child of childrenOf(n, i)) {
    const c = explicitMtu(child);
    if (c !== undefined && c > mtu) applyMtu(n, child, mtu);
  }
}

// ---------------------------------------------------------------- links and addresses

function dropLinks(
  state: SimState,
  n: SimNode,
  i: SimInterface,
  keep: (l: SimLink) => boolean = () => false,
): void {
  for (const l of i.links) {
    if (keep(l)) continue;
    if (l.ip) freeIp(state, l.ip);
    if (n.gatewayLinkIpv4 === l.id) n.gatewayLinkIpv4 = null;
    if (n.gatewayLinkIpv6 === l.id) n.gatewayLinkIpv6 = null;
  }
  i.links = i.links.filter(keep);
}

const newLink = (state: SimState, mode: LinkMode, subnetId: number | null, ip: string | null): SimLink => ({
  id: state.nextId('link'),
  mode,
  subnetId,
  ip,
});

/** `Interface.ensure_link_up`: an enabled interface on a VLAN gets a LINK_UP link when it has none. */
function ensureLinkUp(state: SimState, i: SimInterface): void {
  if (i.enabled && i.vlanId !== null && i.links.length === 0)
    i.links.push(newLink(state, 'link_up', null, null));
}

/** `str(subnet)` as MAAS prints it in messages. */
export function subnetText(state: SimState, s: SimSubnet): string {
  return `${s.name}:${s.cidr}(vid=${state.vlans.get(s.vlanId)?.vid ?? 0})`;
}

// ---------------------------------------------------------------- form fields

function tagsField(data: Params): string[] | undefined {
  const v = data.get('tags');
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

function choiceField(data: Params, key: string, choices: string[], errors: Errors): string | undefined {
  const v = data.get(key);
  if (v === undefined || v === '') return undefined;
  if (!choices.includes(v)) errors[key] = [choiceError(v)];
  return v;
}

/** `vlan`: a VLAN database id (a `ModelChoiceField`). Empty means disconnected. */
function vlanField(state: SimState, data: Params, errors: Errors): number | null | undefined {
  if (!data.has('vlan')) return undefined;
  const v = (data.get('vlan') ?? '').trim();
  if (v === '') return null;
  if (!/^\d+$/.test(v) || !state.vlans.has(Number(v))) {
    errors.vlan = [CHOICE];
    return undefined;
  }
  return Number(v);
}

/** `parents`: interface ids only (names are refused as not being choices). */
function parentsField(n: SimNode, data: Params, key: string, errors: Errors): SimInterface[] {
  const out: SimInterface[] = [];
  for (const v of data.getAll(key)) {
    const p = /^\d+$/.test(v.trim()) ? byId(n, Number(v)) : undefined;
    if (!p) {
      errors[key] = [choiceError(v)];
      return [];
    }
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

function nameField(n: SimNode, data: Params, self: SimInterface | null, errors: Errors): string | undefined {
  const name = data.get('name');
  if (name === undefined || name === '') return undefined;
  if (!NAME_RE.test(name)) {
    errors.name = ['Enter a valid value.'];
    return undefined;
  }
  if (n.interfaces.some((i) => i !== self && i.name === name)) {
    errors.name = [`Node ${n.systemId} (${n.hostname}) already has an interface named '${name}'.`];
  }
  return name;
}

/** Every node's interface holding a MAC (physical ones are unique across MAAS). */
function macOwner(state: SimState, mac: string, self: SimInterface | null): string | undefined {
  for (const node of state.nodes.values()) {
    for (const i of node.interfaces) {
      if (i !== self && i.type === 'physical' && i.mac.toLowerCase() === mac) {
        return `This MAC address is already in use by ${i.name} (${i.type}) on ${node.hostname}.`;
      }
    }
  }
  return undefined;
}

function macField(
  state: SimState,
  data: Params,
  self: SimInterface | null,
  errors: Errors,
  checkInUse: boolean,
): string | undefined {
  const v = data.get('mac_address');
  if (v === undefined || v === '') return undefined;
  if (!isMac(v)) {
    errors.mac_address = [`'${v}' is not a valid MAC address.`];
    return undefined;
  }
  const mac = canonicalMac(v);
  const taken = checkInUse ? macOwner(state, mac, self) : undefined;
  if (taken) errors.mac_address = [taken];
  return mac;
}

/** The bond parameters; on create, MAAS writes each omitted one's `initial` (the first choice, or the default). */
function bondParams(data: Params, errors: Errors, creating: boolean): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const set = (key: string, value: string | number | undefined, initial: string | number) => {
    if (value !== undefined) out[key] = value;
    else if (creating) out[key] = initial;
  };
  set('bond_mode', choiceField(data, 'bond_mode', BOND_MODES, errors), 'balance-rr');
  set('bond_miimon', intField(data, 'bond_miimon', errors, { min: 0 }), 100);
  set('bond_downdelay', intField(data, 'bond_downdelay', errors, { min: 0 }), 0);
  set('bond_updelay', intField(data, 'bond_updelay', errors, { min: 0 }), 0);
  set('bond_lacp_rate', choiceField(data, 'bond_lacp_rate', BOND_LACP_RATES, errors), 'fast');
  set(
    'bond_xmit_hash_policy',
    choiceField(data, 'bond_xmit_hash_policy', BOND_XMIT_HASH_POLICIES, errors),
    'layer2',
  );
  set('bond_num_grat_arp', intField(data, 'bond_num_grat_arp', errors, { min: 0, max: 255 }), 1);
  return out;
}

function bridgeParams(
  data: Params,
  errors: Errors,
  creating: boolean,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  const type = choiceField(data, 'bridge_type', BRIDGE_TYPES, errors);
  if (type !== undefined || creating) out.bridge_type = type ?? 'standard';
  if (data.has('bridge_stp') || creating) out.bridge_stp = djangoBool(data, 'bridge_stp', false);
  const fd = intField(data, 'bridge_fd', errors, { min: 0 });
  if (fd !== undefined || creating) out.bridge_fd = fd ?? 15;
  return out;
}

/** Parents already used by another bond or bridge (`Interfaces already in-use: …`). */
function inUse(n: SimNode, parents: SimInterface[], self: SimInterface | null): SimInterface[] {
  return parents.filter((p) =>
    childrenOf(n, p).some((c) => c !== self && (c.type === 'bond' || c.type === 'bridge')),
  );
}

const fail = (errors: Errors) => {
  if (Object.keys(errors).length) throw fieldErrors(errors);
};

/** The fields every interface form shares: tags, mtu, accept_ra, link_connected, interface_speed, link_speed. */
function commonFields(data: Params, errors: Errors) {
  return {
    tags: tagsField(data),
    mtu: data.has('mtu')
      ? data.get('mtu') === ''
        ? null
        : intField(data, 'mtu', errors, { min: MIN_MTU })
      : undefined,
    acceptRa: data.has('accept_ra')
      ? data.get('accept_ra') === ''
        ? null
        : djangoBool(data, 'accept_ra', false)
      : undefined,
    linkConnected: data.has('link_connected') ? djangoBool(data, 'link_connected', true) : undefined,
    interfaceSpeed: intField(data, 'interface_speed', errors, { min: 0 }),
    linkSpeed: intField(data, 'link_speed', errors, { min: 0 }),
  };
}

function applyCommon(n: SimNode, i: SimInterface, c: ReturnType<typeof commonFields>): void {
  if (c.tags !== undefined) i.tags = c.tags;
  if (c.mtu === null) setParam(i, 'mtu', undefined);
  else if (c.mtu !== undefined) applyMtu(n, i, c.mtu);
  if (c.acceptRa === null) setParam(i, 'accept-ra', undefined);
  else if (c.acceptRa !== undefined) setParam(i, 'accept-ra', c.acceptRa);
  if (c.linkConnected !== undefined) i.linkConnected = c.linkConnected;
  if (c.interfaceSpeed !== undefined) i.interfaceSpeed = c.interfaceSpeed;
  if (c.linkSpeed !== undefined) i.linkSpeed = c.linkSpeed;
}

function blankInterface(
  state: SimState,
  name: string,
  type: SimInterface['type'],
  mac: string,
): SimInterface {
  return {
    id: state.nextId('interface'),
    name,
    type,
    mac,
    vlanId: null,
    parents: [],
    enabled: true,
    tags: [],
    links: [],
    params: null,
    vendor: null,
    product: null,
    firmwareVersion: null,
    linkConnected: true,
    interfaceSpeed: 0,
    linkSpeed: 0,
    numaNode: 0,
    sriovMaxVf: 0,
  };
}

/** `Node.get_next_ifname`: the first free `eth<N>`. */
function nextIfname(n: SimNode): string {
  for (let i = 0; ; i++) if (!n.interfaces.some((x) => x.name === `eth${i}`)) return `eth${i}`;
}

/** A VLAN change drops the interface's IP links (`interface_vlan_update`). */
function changeVlan(state: SimState, n: SimNode, i: SimInterface, vlanId: number | null): void {
  if (i.vlanId === vlanId) return;
  i.vlanId = vlanId;
  dropLinks(state, n, i);
}

/**
 * `Interface._update_parents` on every save of a bond or bridge: each parent loses all its links (no LINK_UP comes
 * back) and takes the child's VLAN.
 */
function adoptParents(state: SimState, n: SimNode, child: SimInterface): void {
  for (const pid of child.parents) {
    const p = byId(n, pid);
    if (!p) continue;
    dropLinks(state, n, p);
    p.vlanId = child.vlanId;
  }
}

// ---------------------------------------------------------------- collection ops

/** `create_physical` (`PhysicalInterfaceForm`): machines (admin) and devices (owner or admin). */
const createPhysical: Handler = (ctx) => {
  const { state } = ctx.svc;
  const n = getNodeOr404(state, ctx.user, ctx.args[0] ?? '', 'edit', 'node');
  notOnController(n, 'create');
  if (n.kind === 'machine') {
    if (!hasPerm(ctx.user, n, 'admin')) throw forbidden();
    stateGate(n, 'create');
  }
  const d = ctx.data;
  const errors: Errors = {};
  const name = nameField(n, d, null, errors);
  const mac = macField(state, d, null, errors, true);
  if (!d.get('mac_address')) errors.mac_address = ['This field is required.'];
  const vlanId = vlanField(state, d, errors);
  const common = commonFields(d, errors);
  const numa = intField(d, 'numa_node', errors, { min: 0 });
  if (n.kind !== 'machine' && numa !== undefined) {
    errors.numa_node = ['Only interfaces for machines are linked to a NUMA node'];
  }
  if (d.getAll('parents').length) errors.parents = ['A physical interface cannot have parents.'];
  fail(errors);
  const iface = blankInterface(state, name ?? nextIfname(n), 'physical', mac as string);
  iface.vlanId = vlanId ?? null;
  iface.enabled = djangoBool(d, 'enabled', true);
  iface.numaNode = numa ?? 0;
  n.interfaces.push(iface);
  applyCommon(n, iface, common);
  state.macs.set(iface.mac, n.systemId);
  ensureLinkUp(state, iface);
  return renderInterface(state, n, iface);
};

/** `create_bond` (`BondInterfaceForm`): physical parents on one VLAN, not in another bond or bridge. */
const createBond: Handler = (ctx) => {
  const { state } = ctx.svc;
  const n = getNodeOr404(state, ctx.user, ctx.args[0] ?? '', 'admin', 'machine');
  stateGate(n, 'create bond');
  const d = ctx.data;
  const errors: Errors = {};
  const name = nameField(n, d, null, errors);
  if (!d.get('name')) errors.name = ['This field is required.'];
  const parents = parentsField(n, d, 'parents', errors);
  const mac = macField(state, d, null, errors, false);
  const vlanId = vlanField(state, d, errors);
  const common = commonFields(d, errors);
  const params = bondParams(d, errors, true);
  fail(errors);
  if (parents.length === 0) throw badRequest('A bond interface must have one or more parents.');
  if (parents.some((p) => p.type !== 'physical')) {
    throw fieldErrors({ parents: ['Only physical interfaces can be bonded.'] });
  }
  const taken = inUse(n, parents, null);
  if (taken.length)
    throw fieldErrors({ parents: [`Interfaces already in-use: ${taken.map((p) => p.name).join(', ')}.`] });
  if (new Set(parents.map((p) => p.vlanId)).size > 1) {
    throw fieldErrors({ parents: ['All parents must belong to the same VLAN.'] });
  }
  const first = parents[0] as SimInterface;
  const bond = blankInterface(state, name as string, 'bond', mac ?? first.mac);
  bond.parents = parents.map((p) => p.id);
  bond.vlanId = vlanId === undefined ? first.vlanId : vlanId;
  bond.params = params;
  n.interfaces.push(bond);
  applyCommon(n, bond, common);
  adoptParents(state, n, bond);
  ensureLinkUp(state, bond);
  return renderInterface(state, n, bond);
};

/** `create_vlan` (`VLANInterfaceForm`): one parent, a tagged VLAN on the parent's fabric; named `<parent>.<vid>`. */
const createVlan: Handler = (ctx) => {
  const { state } = ctx.svc;
  const n = getNodeOr404(state, ctx.user, ctx.args[0] ?? '', 'admin', 'machine');
  stateGate(n, 'create VLAN');
  const d = ctx.data;
  const errors: Errors = {};
  const parents = parentsField(n, d, 'parent', errors);
  const vlanId = vlanField(state, d, errors);
  const common = commonFields(d, errors);
  fail(errors);
  if (parents.length !== 1) errors.parent = ['A VLAN interface must have exactly one parent.'];
  const vlan = vlanId == null ? undefined : state.vlans.get(vlanId);
  const parent = parents[0];
  if (!vlan) errors.vlan = ['A VLAN interface must be connected to a tagged VLAN.'];
  else if (vlan.vid === 0) errors.vlan = ['A VLAN interface can only belong to a tagged VLAN.'];
  else if (parent) {
    const parentVlan = parent.vlanId === null ? undefined : state.vlans.get(parent.vlanId);
    if (parentVlan && parentVlan.fabricId !== vlan.fabricId) {
      errors.vlan = [
        'A VLAN interface can only belong to a tagged VLAN on the same fabric as its parent interface.',
      ];
    }
  }
  if (parent?.type === 'vlan')
    errors.parent = ["A VLAN interface can't have another VLAN interface as parent."];
  else if (parent && childrenOf(n, parent).some((c) => c.type === 'bond')) {
    errors.parent = ["A VLAN interface can't have a parent that is already in a bond."];
  }
  fail(errors);
  const p = parent as SimInterface;
  const name = `${p.name}.${vlan?.vid}`;
  if (n.interfaces.some((i) => i.name === name)) {
    throw fieldErrors({
      name: [`Node ${n.systemId} (${n.hostname}) already has an interface named '${name}'.`],
    });
  }
  const iface = blankInterface(state, name, 'vlan', p.mac);
  iface.parents = [p.id];
  iface.vlanId = vlanId ?? null;
  n.interfaces.push(iface);
  applyCommon(n, iface, common);
  ensureLinkUp(state, iface);
  return renderInterface(state, n, iface);
};

/**
 * `create_bridge` (`BridgeInterfaceForm`; `AcquiredBridgeInterfaceForm` on an Allocated machine, which ignores
 * `vlan`, moves the parent's IP links onto the bridge and marks it acquired).
 */
const createBridge: Handler = (ctx) => {
  const { state } = ctx.svc;
  const n = getNodeOr404(state, ctx.user, ctx.args[0] ?? '', 'admin', 'machine');
  stateGate(n, 'create bridge');
  const d = ctx.data;
  const errors: Errors = {};
  const name = nameField(n, d, null, errors);
  if (!d.get('name')) errors.name = ['This field is required.'];
  const parents = parentsField(n, d, 'parent', errors);
  const mac = macField(state, d, null, errors, false);
  const vlanId = vlanField(state, d, errors);
  const common = commonFields(d, errors);
  const params = bridgeParams(d, errors, true);
  if (parents.length !== 1 && !errors.parent)
    errors.parent = ['A bridge interface must have exactly one parent.'];
  if (!mac && parents.length !== 1) errors.mac_address = ['This field cannot be blank.'];
  fail(errors);
  const parent = parents[0] as SimInterface;
  if (parent.type === 'bridge') {
    throw fieldErrors({
      parent: ["A bridge interface can't have a parent that is already in a bond or a bridge."],
    });
  }
  if (inUse(n, [parent], null).length)
    throw fieldErrors({ parents: [`Interfaces already in-use: ${parent.name}.`] });
  const acquired = n.status === S.ALLOCATED;
  const bridge = blankInterface(state, name as string, 'bridge', mac ?? parent.mac);
  bridge.parents = [parent.id];
  bridge.vlanId = acquired || vlanId === undefined ? parent.vlanId : vlanId;
  bridge.params = params;
  if (acquired) {
    bridge.acquired = true;
    bridge.links = parent.links.filter((l) => l.mode !== 'link_up');
    parent.links = [];
  }
  n.interfaces.push(bridge);
  applyCommon(n, bridge, common);
  if (!acquired) adoptParents(state, n, bridge);
  else parent.vlanId = bridge.vlanId;
  ensureLinkUp(state, bridge);
  return renderInterface(state, n, bridge);
};

// ---------------------------------------------------------------- instance ops

/** PUT: the form of the interface's type; a Deployed machine only takes name, MAC and the link facts. */
const updateInterface: Handler = (ctx) => {
  const { state } = ctx.svc;
  const { n, iface } = interfaceArg(ctx, true);
  if (n.kind !== 'machine' && n.kind !== 'device' && iface.type === 'vlan') {
    throw forbidden('Cannot modify VLAN interface on controller.');
  }
  stateGate(n, 'update interface', [S.DEPLOYED]);
  const d = ctx.data;
  const errors: Errors = {};
  if (n.kind === 'machine' && n.status === S.DEPLOYED) {
    const name = nameField(n, d, iface, errors);
    const mac = macField(state, d, iface, errors, iface.type === 'physical');
    const linkConnected = d.has('link_connected') ? djangoBool(d, 'link_connected', true) : undefined;
    const interfaceSpeed = intField(d, 'interface_speed', errors, { min: 0 });
    const linkSpeed = intField(d, 'link_speed', errors, { min: 0 });
    fail(errors);
    if (name) iface.name = name;
    if (mac) iface.mac = mac;
    if (linkConnected !== undefined) iface.linkConnected = linkConnected;
    if (interfaceSpeed !== undefined) iface.interfaceSpeed = interfaceSpeed;
    if (linkSpeed !== undefined) iface.linkSpeed = linkSpeed;
    return renderInterface(state, n, iface);
  }
  if (
    iface.type !== 'physical' &&
    iface.type !== 'bond' &&
    iface.type !== 'vlan' &&
    iface.type !== 'bridge'
  ) {
    throw fieldErrors({ type: [`Invalid interface type '${iface.type}'.`] });
  }
  const name = iface.type === 'vlan' ? undefined : nameField(n, d, iface, errors);
  const mac =
    iface.type === 'vlan' ? undefined : macField(state, d, iface, errors, iface.type === 'physical');
  const vlanId = vlanField(state, d, errors);
  const common = commonFields(d, errors);
  const parentKey = iface.type === 'bond' ? 'parents' : 'parent';
  const parents =
    iface.type !== 'physical' && d.has(parentKey) ? parentsField(n, d, parentKey, errors) : undefined;
  const bond = iface.type === 'bond' ? bondParams(d, errors, false) : {};
  const bridge = iface.type === 'bridge' ? bridgeParams(d, errors, false) : {};
  let numa: number | undefined;
  if (iface.type === 'physical') {
    numa = intField(d, 'numa_node', errors, { min: 0 });
    if (n.kind !== 'machine' && d.has('numa_node')) {
      errors.numa_node = ['Only interfaces for machines are linked to a NUMA node'];
    }
  }
  if (parents && iface.type === 'bond') {
    if (parents.length === 0) errors.parents = ['A bond interface must have one or more parents.'];
    else if (parents.some((p) => p.type !== 'physical'))
      errors.parents = ['Only physical interfaces can be bonded.'];
    else if (new Set(parents.map((p) => p.vlanId)).size > 1)
      errors.parents = ['All parents must belong to the same VLAN.'];
    else {
      const taken = inUse(n, parents, iface);
      if (taken.length)
        errors.parents = [`Interfaces already in-use: ${taken.map((p) => p.name).join(', ')}.`];
    }
  }
  if (iface.type === 'vlan' && vlanId != null) {
    const vlan = state.vlans.get(vlanId);
    if (vlan?.vid === 0) errors.vlan = ['A VLAN interface can only belong to a tagged VLAN.'];
  }
  fail(errors);
  if (name) iface.name = name;
  if (mac) {
    if (iface.type === 'physical') {
      state.macs.delete(iface.mac.toLowerCase());
      state.macs.set(mac, n.systemId);
    }
    iface.mac = mac;
  }
  if (d.has('enabled')) {
    iface.enabled = djangoBool(d, 'enabled', true);
    // Disabling drops the links of the interface and of its disabled children (`interface_enabled_or_disabled`).
    if (!iface.enabled) dropLinks(state, n, iface);
  }
  if (numa !== undefined) iface.numaNode = numa;
  if (vlanId !== undefined) changeVlan(state, n, iface, vlanId);
  if (parents) iface.parents = parents.map((p) => p.id);
  if (Object.keys(bond).length || Object.keys(bridge).length)
    iface.params = { ...(iface.params ?? {}), ...bond, ...bridge };
  applyCommon(n, iface, common);
  if (iface.type === 'bond' || iface.type === 'bridge') adoptParents(state, n, iface);
  ensureLinkUp(state, iface);
  return renderInterface(state, n, iface);
};

/** DELETE: its addresses go; children that had it as their only parent go too (`delete_children_interface_handler`). */
export function removeInterface(state: SimState, n: SimNode, iface: SimInterface): void {
  for (const child of childrenOf(n, iface)) {
    if (child.parents.length === 1) removeInterface(state, n, child);
    else child.parents = child.parents.filter((p) => p !== iface.id);
  }
  dropLinks(state, n, iface);
  if (iface.type === 'physical' && state.macs.get(iface.mac.toLowerCase()) === n.systemId) {
    state.macs.delete(iface.mac.toLowerCase());
  }
  n.interfaces = n.interfaces.filter((i) => i !== iface);
  if (n.bootInterfaceId === iface.id) n.bootInterfaceId = n.interfaces[0]?.id ?? null;
}

const deleteInterface: Handler = (ctx) => {
  const { n, iface } = interfaceArg(ctx, true);
  notOnController(n, 'delete interface');
  stateGate(n, 'delete interface');
  removeInterface(ctx.svc.state, n, iface);
  return deletedResponse();
};

/** A subnet for `link_subnet`: on the interface's VLAN unless it has none or `force`. */
function subnetField(state: SimState, iface: SimInterface, spec: string, force: boolean): SimSubnet {
  const numeric = /^\d+$/.test(spec.trim());
  const subnet = state.subnetBySpec(spec);
  const allowed = subnet && (force || iface.vlanId === null || subnet.vlanId === iface.vlanId);
  if (!allowed) {
    throw fieldErrors({ subnet: [numeric ? `None found with id=${spec.trim()}.` : CHOICE] });
  }
  return subnet as SimSubnet;
}

/** `link_subnet` (`InterfaceLinkForm` and `Interface.link_subnet`). */
const linkSubnet: Handler = (ctx) => {
  const { state } = ctx.svc;
  const force = stringBool(ctx.form, 'force', false);
  const { n, iface } = interfaceArg(ctx, true);
  notOnController(n, 'link subnet');
  stateGate(n, 'link subnet');
  const allowed: LinkMode[] = n.kind === 'machine' ? LINK_MODES : ['static'];
  const d = ctx.data;
  const modeText = d.get('mode');
  if (!modeText) throw fieldErrors({ mode: ['This field is required.'] });
  const mode = modeText.toLowerCase() as LinkMode;
  if (!allowed.includes(mode)) {
    const choices = allowed.map((m) => `'${m}'`).join(', ');
    throw fieldErrors({ mode: [`'${mode}' is not a valid mode.  It should be one of: ${choices}.`] });
  }
  const bond = childrenOf(n, iface).find((c) => c.type === 'bond');
  if (bond) {
    throw fieldErrors({
      bond: [`Cannot link interface(${iface.name}) when interface is in a bond(${bond.name}).`],
    });
  }
  const spec = d.get('subnet');
  const subnet = spec ? subnetField(state, iface, spec, force) : null;
  const errors: Errors = {};
  if (!subnet && (mode === 'auto' || mode === 'static')) errors.subnet = ['This field is required.'];
  const requested = d.get('ip_address') || undefined;
  if (mode === 'static' && subnet && requested) {
    if (!ipInSubnet(requested, subnet)) {
      errors.ip_address = [`IP address is not in the given subnet '${subnetText(state, subnet)}'.`];
    } else {
      const dyn = rangeHolding(state, subnet, requested, 'dynamic');
      if (dyn) errors.ip_address = [`IP address is inside a dynamic range ${dyn.start} to ${dyn.end}.`];
    }
  }
  if (mode === 'dhcp' && !force && iface.links.some((l) => l.mode === 'dhcp')) {
    errors.mode = ['Interface is already set to DHCP.'];
  }
  if (mode === 'link_up' && !force && iface.links.some((l) => l.mode !== 'link_up')) {
    errors.mode = [
      'Cannot configure interface to link up (with no IP address) while other links are already configured. ' +
        'Specify force=True to override this behavior and delete all links.',
    ];
  }
  const gateway = djangoBool(d, 'default_gateway', false);
  if (gateway) {
    if (mode !== 'auto' && mode !== 'static') errors.default_gateway = [`Cannot use in mode '${mode}'.`];
    else if (subnet && !subnet.gatewayIp) {
      errors.default_gateway = [
        `Cannot set as default gateway because subnet ${subnetText(state, subnet)} doesn't provide a gateway IP address.`,
      ];
    }
  }
  fail(errors);
  if (force) {
    dropLinks(state, n, iface);
    if (subnet) iface.vlanId = null;
  }
  if (subnet && iface.vlanId === null) iface.vlanId = subnet.vlanId;
  if (mode === 'static' && subnet && requested && ipInUse(state, requested)) {
    throw new SimHttpError(404, 'IP address is already in use.');
  }
  let ip: string | null = null;
  if (mode === 'static' && subnet) {
    ip = requested ?? nextFreeIp(state, subnet);
    if (!ip) throw new SimHttpError(503, `No more IPs available in subnet: ${subnet.cidr}.`);
  }
  // A real link replaces the placeholder LINK_UP; LINK_UP (forced) replaces everything.
  dropLinks(state, n, iface, (l) => mode !== 'link_up' && l.mode !== 'link_up');
  if (ip) takeIp(state, n, ip);
  const link = newLink(state, mode, subnet?.id ?? null, ip);
  iface.links.push(link);
  if (gateway && subnet) {
    if (subnet.cidr.includes(':')) n.gatewayLinkIpv6 = link.id;
    else n.gatewayLinkIpv4 = link.id;
  }
  return renderInterface(state, n, iface);
};

/** `unlink_subnet` (`InterfaceUnlinkForm`): an enabled interface gets a LINK_UP back when no link is left. */
const unlinkSubnet: Handler = (ctx) => {
  const { state } = ctx.svc;
  const { n, iface } = interfaceArg(ctx, true);
  notOnController(n, 'unlink subnet');
  stateGate(n, 'unlink subnet');
  const id = ctx.data.get('id');
  if (!id) throw fieldErrors({ id: ['This field is required.'] });
  const link = iface.links.find((l) => String(l.id) === id.trim());
  if (!link) {
    const choices = iface.links.map((l) => `'${l.id}'`).join(', ');
    throw fieldErrors({ id: [`'${id}' is not a valid id.  It should be one of: ${choices}.`] });
  }
  dropLinks(state, n, iface, (l) => l !== link);
  if (iface.enabled && iface.links.length === 0 && iface.vlanId !== null) {
    iface.links.push(newLink(state, 'link_up', link.subnetId, null));
  }
  return renderInterface(state, n, iface);
};

/** `set_default_gateway` (`InterfaceSetDefaultGatwayForm`): answers the interface. */
const setDefaultGateway: Handler = (ctx) => {
  const { state } = ctx.svc;
  const { n, iface } = interfaceArg(ctx, true);
  notOnController(n, 'set default gateway');
  stateGate(n, 'set default gateway');
  const usable = iface.links.filter((l) => {
    const s = l.subnetId === null ? undefined : state.subnets.get(l.subnetId);
    return l.mode !== 'link_up' && !!s?.gatewayIp;
  });
  if (usable.length === 0) throw fieldErrors({ __all__: ['This interface has no usable gateways.'] });
  const family = (l: SimLink) => (state.subnets.get(l.subnetId ?? -1)?.cidr.includes(':') ? 6 : 4);
  const linkId = ctx.data.get('link_id');
  let chosen: SimLink[];
  if (linkId) {
    const link = usable.find((l) => String(l.id) === linkId.trim());
    if (!link) {
      const choices = usable.map((l) => `'${l.id}'`).join(', ');
      throw fieldErrors({
        link_id: [`'${linkId}' is not a valid link_id.  It should be one of: ${choices}.`],
      });
    }
    chosen = [link];
  } else {
    for (const fam of [4, 6]) {
      if (usable.filter((l) => family(l) === fam).length > 1) {
        throw fieldErrors({
          link_id: [`This field is required; Interface has more than one usable IPv${fam} gateway.`],
        });
      }
    }
    chosen = usable;
  }
  for (const l of chosen) {
    if (family(l) === 6) n.gatewayLinkIpv6 = l.id;
    else n.gatewayLinkIpv4 = l.id;
  }
  return renderInterface(state, n, iface);
};

/** `disconnect`: every address goes (discovered ones too) and the VLAN is cleared. */
const disconnect: Handler = (ctx) => {
  const { state } = ctx.svc;
  const { n, iface } = interfaceArg(ctx, true);
  notOnController(n, 'disconnect');
  stateGate(n, 'disconnect');
  dropLinks(state, n, iface);
  iface.vlanId = null;
  return renderInterface(state, n, iface);
};

function tagOp(add: boolean): Handler {
  return (ctx) => {
    const { n, iface } = interfaceArg(ctx, true);
    stateGate(n, add ? 'add tag' : 'remove tag', [S.DEPLOYED]);
    const tag = mandatory(ctx.form, 'tag');
    iface.tags = add
      ? iface.tags.includes(tag)
        ? iface.tags
        : [...iface.tags, tag]
      : iface.tags.filter((t) => t !== tag);
    return renderInterface(ctx.svc.state, n, iface);
  };
}

// ---------------------------------------------------------------- restore and release

/**
 * `Node.restore_network_interfaces` + `set_initial_networking_configuration`: interfaces commissioning did not find
 * go, the found ones return to their VLAN with no extra settings, every link and both default gateways are
 * cleared, then the boot interface links AUTO to the first subnet of its VLAN (DHCP when there is none) and every
 * other enabled interface gets LINK_UP.
 */
export function restoreNetworking(state: SimState, n: SimNode): void {
  for (const iface of [...n.interfaces]) {
    if (iface.type !== 'physical' || iface.discoveredVlanId === undefined) {
      if (n.interfaces.includes(iface)) removeInterface(state, n, iface);
    }
  }
  n.gatewayLinkIpv4 = null;
  n.gatewayLinkIpv6 = null;
  for (const iface of n.interfaces) {
    dropLinks(state, n, iface);
    iface.vlanId = iface.discoveredVlanId ?? null;
    iface.params = null;
    iface.enabled = true;
  }
  const boot = n.interfaces.find((i) => i.id === n.bootInterfaceId) ?? n.interfaces[0];
  for (const iface of n.interfaces) {
    if (iface === boot) {
      const subnet = [...state.subnets.values()].find((s) => s.vlanId === iface.vlanId);
      iface.links.push(newLink(state, subnet ? 'auto' : 'dhcp', subnet?.id ?? null, null));
    } else if (iface.enabled && iface.vlanId !== null) {
      iface.links.push(newLink(state, 'link_up', null, null));
    }
  }
}

/** Bridges made on an Allocated machine go on release, their links back to the parent. */
export function dropAcquiredBridges(state: SimState, n: SimNode): void {
  for (const bridge of n.interfaces.filter((i) => i.acquired)) {
    const parent = byId(n, bridge.parents[0] ?? -1);
    if (parent) parent.links = bridge.links.filter((l) => l.mode !== 'link_up');
    bridge.links = [];
    removeInterface(state, n, bridge);
    if (parent) ensureLinkUp(state, parent);
  }
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
      'POST create_physical': createPhysical,
      'POST create_bond': createBond,
      'POST create_vlan': createVlan,
      'POST create_bridge': createBridge,
    },
  },
  {
    name: 'InterfaceHandler',
    pattern: /^nodes\/([^/]+)\/interfaces\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => {
        const { n, iface } = interfaceArg(ctx, false);
        return renderInterface(ctx.svc.state, n, iface);
      },
      PUT: updateInterface,
      DELETE: deleteInterface,
      'POST link_subnet': linkSubnet,
      'POST unlink_subnet': unlinkSubnet,
      'POST set_default_gateway': setDefaultGateway,
      'POST disconnect': disconnect,
      'POST add_tag': tagOp(true),
      'POST remove_tag': tagOp(false),
    },
  },
];
