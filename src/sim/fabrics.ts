/**
 * Fabrics and VLANs (MAAS `maasserver/api/fabrics.py`, `vlans.py`; rules in `maasserver/models/fabric.py` and
 * `vlan.py`). Any logged-in user reads; writes are for admins (`@admin_method` on create, the object check on
 * update and delete).
 */
import {
  adminOnly,
  badRequest,
  CHOICE,
  deletedResponse,
  djangoBool,
  fieldErrors,
  forbidden,
  intField,
  notFound,
} from './http.ts';
import { subnetText } from './interfaces.ts';
import type { SimFabric, SimState, SimVlan } from './model.ts';
import { API } from './paths.ts';
import { isRack } from './perm.ts';
import { renderVlan } from './render-net.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';

type Errors = Record<string, string[]>;

const vlansOf = (state: SimState, fabricId: number) =>
  [...state.vlans.values()].filter((v) => v.fabricId === fabricId).sort((a, b) => a.id - b.id);

/** A fabric's default VLAN is its first one (`Fabric.get_default_vlan`). */
export function defaultVlan(state: SimState, fabricId: number): SimVlan | undefined {
  return vlansOf(state, fabricId)[0];
}

export function fabricName(f: SimFabric): string {
  return f.name || `fabric-${f.id}`;
}

function renderFabric(state: SimState, f: SimFabric): Record<string, unknown> {
  return {
    class_type: f.classType,
    name: fabricName(f),
    description: f.description,
    id: f.id,
    vlans: vlansOf(state, f.id).map((v) => renderVlan(state, v)),
    resource_uri: `${API}fabrics/${f.id}/`,
  };
}

function fabricArg(ctx: AuthedCtx, spec = ctx.args[0] ?? ''): SimFabric {
  const { state } = ctx.svc;
  const f = /^\d+$/.test(spec)
    ? state.fabrics.get(Number(spec))
    : [...state.fabrics.values()].find((x) => fabricName(x) === spec);
  if (!f) throw notFound('No Fabric matches the given query.');
  return f;
}

/** `FabricForm`: `name` (unique), `description`, `class_type`. */
function fabricFields(ctx: AuthedCtx, self: SimFabric | null): Partial<SimFabric> {
  const d = ctx.data;
  const out: Partial<SimFabric> = {};
  const name = d.get('name');
  if (name !== undefined && name !== '') {
    if ([...ctx.svc.state.fabrics.values()].some((f) => f !== self && fabricName(f) === name)) {
      throw fieldErrors({ name: ['Fabric with this Name already exists.'] });
    }
    out.name = name;
  }
  if (d.has('description')) out.description = d.get('description') ?? '';
  if (d.has('class_type')) out.classType = d.get('class_type') || null;
  return out;
}

const createFabric: Handler = (ctx) => {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const { state } = ctx.svc;
  const fields = fabricFields(ctx, null);
  const id = state.nextId('fabric', 100);
  const f: SimFabric = { id, name: '', classType: null, description: '', ...fields };
  state.fabrics.set(id, f);
  // Every fabric starts with its default, untagged VLAN.
  const vlanId = state.nextId('vlan', 6000);
  state.vlans.set(vlanId, newVlan(vlanId, id, 0, 'untagged'));
  return renderFabric(state, f);
};

const updateFabric: Handler = (ctx) => {
  const f = fabricArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  Object.assign(f, fabricFields(ctx, f));
  return renderFabric(ctx.svc.state, f);
};

/** `Fabric.delete`: never the default fabric, never with subnets on it. */
const deleteFabric: Handler = (ctx) => {
  const f = fabricArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  const { state } = ctx.svc;
  if (f.id === 0) throw badRequest('This fabric is the default fabric, it cannot be deleted.');
  const vlanIds = new Set(vlansOf(state, f.id).map((v) => v.id));
  const subnets = [...state.subnets.values()].filter((s) => vlanIds.has(s.vlanId));
  if (subnets.length) {
    throw badRequest(
      `Can't delete fabric; the following subnets are still present: ${subnets.map((s) => subnetText(state, s)).join(', ')}`,
    );
  }
  for (const n of state.nodes.values()) {
    for (const i of n.interfaces) if (i.vlanId !== null && vlanIds.has(i.vlanId)) i.vlanId = null;
  }
  for (const id of vlanIds) state.vlans.delete(id);
  state.fabrics.delete(f.id);
  return deletedResponse();
};

// ---------------------------------------------------------------- VLANs

function newVlan(id: number, fabricId: number, vid: number, name: string | null): SimVlan {
  return {
    id,
    vid,
    name,
    description: '',
    fabricId,
    mtu: 1500,
    dhcpOn: false,
    externalDhcp: null,
    primaryRack: null,
    secondaryRack: null,
    relayVlanId: null,
    spaceId: null,
  };
}

/**
 * `VLANForm`: name, description, vid (`VID must be between 0 and 4094.`), mtu (`MTU must be between 552 and
 * 65535.`), dhcp_on, primary_rack, secondary_rack, relay_vlan, space (a specifier; `undefined` is none).
 */
function vlanFields(ctx: AuthedCtx, fabricId: number, self: SimVlan | null): Partial<SimVlan> {
  const { state } = ctx.svc;
  const d = ctx.data;
  const errors: Errors = {};
  const out: Partial<SimVlan> = {};
  const vid = intField(d, 'vid', errors);
  if (vid !== undefined) {
    if (vid < 0 || vid > 4094) errors.vid = ['VID must be between 0 and 4094.'];
    out.vid = vid;
  } else if (!self && !errors.vid) errors.vid = ['This field is required.'];
  const mtu = intField(d, 'mtu', errors);
  if (mtu !== undefined) {
    if (mtu < 552 || mtu > 65535) errors.mtu = ['MTU must be between 552 and 65535.'];
    out.mtu = mtu;
  }
  if (d.has('name')) out.name = d.get('name') || null;
  if (d.has('description')) out.description = d.get('description') ?? '';
  if (d.has('dhcp_on')) out.dhcpOn = djangoBool(d, 'dhcp_on', false);
  for (const [key, field] of [
    ['primary_rack', 'primaryRack'],
    ['secondary_rack', 'secondaryRack'],
  ] as const) {
    if (!d.has(key)) continue;
    const v = d.get(key) ?? '';
    const rack = v === '' ? undefined : state.nodes.get(v);
    if (v !== '' && (!rack || !isRack(rack))) errors[key] = [CHOICE];
    else out[field] = v === '' ? null : v;
  }
  if (d.has('relay_vlan')) {
    const v = d.get('relay_vlan') ?? '';
    if (v !== '' && !state.vlans.has(Number(v))) errors.relay_vlan = [CHOICE];
    else out.relayVlanId = v === '' ? null : Number(v);
  }
  if (d.has('space')) {
    const v = d.get('space') ?? '';
    if (v === '' || v === 'undefined') out.spaceId = null;
    else {
      const space = state.spaceBySpec(v);
      if (!space) errors.space = [CHOICE];
      else out.spaceId = space.id;
    }
  }
  const finalVid = out.vid ?? self?.vid;
  if (
    finalVid !== undefined &&
    !errors.vid &&
    vlansOf(state, fabricId).some((v) => v !== self && v.vid === finalVid)
  ) {
    errors.__all__ = ['VLAN with this Fabric and Vid already exists.'];
  }
  if (Object.keys(errors).length) throw fieldErrors(errors);
  return out;
}

/** `/vlans/{id}/` (404 `VLAN with specified ID does not exist.`) or `/fabrics/{fabric}/vlans/{vid}/`. */
function vlanArg(ctx: AuthedCtx, byFabric: boolean): SimVlan {
  const { state } = ctx.svc;
  if (!byFabric) {
    const v = state.vlans.get(Number(ctx.args[0]));
    if (!v || !/^\d+$/.test(ctx.args[0] ?? '')) throw notFound('VLAN with specified ID does not exist.');
    return v;
  }
  const f = fabricArg(ctx);
  const v = vlansOf(state, f.id).find((x) => String(x.vid) === ctx.args[1]);
  if (!v) throw notFound('No VLAN matches the given query.');
  return v;
}

const createVlan: Handler = (ctx) => {
  const f = fabricArg(ctx);
  if (!ctx.user.isSuperuser) throw adminOnly();
  const { state } = ctx.svc;
  const fields = vlanFields(ctx, f.id, null);
  const id = state.nextId('vlan', 6000);
  const v: SimVlan = { ...newVlan(id, f.id, fields.vid ?? 0, null), ...fields };
  state.vlans.set(id, v);
  return renderVlan(state, v);
};

function updateVlan(byFabric: boolean): Handler {
  return (ctx) => {
    const v = vlanArg(ctx, byFabric);
    if (!ctx.user.isSuperuser) throw forbidden();
    Object.assign(v, vlanFields(ctx, v.fabricId, v));
    return renderVlan(ctx.svc.state, v);
  };
}

/**
 * `VLAN.delete`: never a fabric's default VLAN. VLAN interfaces on it are deleted, other interfaces and its subnets
 * move to the fabric's default VLAN (`manage_connected_interfaces`, `manage_connected_subnets`).
 */
function deleteVlan(byFabric: boolean): Handler {
  return (ctx) => {
    const v = vlanArg(ctx, byFabric);
    if (!ctx.user.isSuperuser) throw forbidden();
    const { state } = ctx.svc;
    const dflt = defaultVlan(state, v.fabricId);
    if (!dflt || dflt.id === v.id) {
      throw badRequest('This VLAN is the default VLAN in the fabric, it cannot be deleted.');
    }
    for (const s of state.subnets.values()) if (s.vlanId === v.id) s.vlanId = dflt.id;
    for (const n of state.nodes.values()) {
      n.interfaces = n.interfaces.filter((i) => !(i.type === 'vlan' && i.vlanId === v.id));
      for (const i of n.interfaces) if (i.vlanId === v.id) i.vlanId = dflt.id;
    }
    state.vlans.delete(v.id);
    return deletedResponse();
  };
}

const readVlan =
  (byFabric: boolean): Handler =>
  (ctx) =>
    renderVlan(ctx.svc.state, vlanArg(ctx, byFabric));

export const fabricResources: Resource[] = [
  {
    name: 'FabricsHandler',
    pattern: /^fabrics\/$/,
    handlers: {
      GET: (ctx) => [...ctx.svc.state.fabrics.values()].map((f) => renderFabric(ctx.svc.state, f)),
      POST: createFabric,
    },
  },
  {
    name: 'FabricHandler',
    pattern: /^fabrics\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => renderFabric(ctx.svc.state, fabricArg(ctx)),
      PUT: updateFabric,
      DELETE: deleteFabric,
    },
  },
  {
    name: 'VlansHandler',
    pattern: /^fabrics\/([^/]+)\/vlans\/$/,
    handlers: {
      GET: (ctx) => vlansOf(ctx.svc.state, fabricArg(ctx).id).map((v) => renderVlan(ctx.svc.state, v)),
      POST: createVlan,
    },
  },
  {
    name: 'VlanHandler',
    pattern: /^fabrics\/([^/]+)\/vlans\/([^/]+)\/$/,
    handlers: { GET: readVlan(true), PUT: updateVlan(true), DELETE: deleteVlan(true) },
  },
  {
    name: 'VlanByIdHandler',
    pattern: /^vlans\/([^/]+)\/$/,
    handlers: { GET: readVlan(false), PUT: updateVlan(false), DELETE: deleteVlan(false) },
  },
];
