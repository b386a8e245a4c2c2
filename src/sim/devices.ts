/**
 * Devices, controllers and the generic `/nodes/` views (MAAS `maasserver/api/devices.py`, `rackcontrollers.py`).
 * Non-admins never see controllers.
 */

import { canonicalMac, POWER_TYPES } from './facts.ts';
import { visibleNodes } from './filters.ts';
import { makeNic } from './hardware.ts';
import { CHOICE, deletedResponse, fieldErrors, mandatory, streamResponse, textResponse } from './http.ts';
import { SERIES } from './images.ts';
import { jsonArrayStream } from './json.ts';
import { checkNewMacs, cleanHostname, type Errors } from './machine-form.ts';
import type { SimNode } from './model.ts';
import { getNodeOr404, isRack, isRegion } from './perm.ts';
import { renderAnyNode, renderController, renderDevice } from './render.ts';
import type { AnonHandler, AuthedCtx, Ctx, Handler, Resource } from './router.ts';
import { blankNode, VLAN } from './seed-inventory.ts';
import { isTransientStatus, S } from './status.ts';

const createDevice: Handler = (ctx) => {
  const { state } = ctx.svc;
  const d = ctx.data;
  const errors: Errors = {};
  const macs = d.getAll('mac_addresses');
  checkNewMacs(state, macs, errors);
  const hostname = d.get('hostname');
  if (hostname !== undefined) cleanHostname(state, hostname, null, errors);
  const domain = d.get('domain') ? state.domainByName(d.get('domain') ?? '') : state.defaultDomain();
  if (!domain) errors.domain = [CHOICE];
  const parent = d.get('parent');
  if (parent && !state.nodes.has(parent)) errors.parent = [CHOICE];
  if (Object.keys(errors).length) throw fieldErrors(errors);
  const n = blankNode(
    state.newSystemId(),
    hostname?.split('.')[0] || `device-${state.nextId('devicename')}`,
    'device',
  );
  n.owner = ctx.user.username;
  n.description = d.get('description') ?? '';
  n.domainId = domain?.id ?? 0;
  n.parent = parent || null;
  n.interfaces = macs.map((m, i) => {
    const nic = makeNic(state, state.rng, `eth${i}`, VLAN.untagged, false);
    nic.mac = canonicalMac(m);
    return nic;
  });
  state.addNode(n);
  return renderDevice(state, n);
};

const deviceArg = (ctx: AuthedCtx, perm: 'view' | 'edit' | 'admin') =>
  getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', perm, 'device');

const updateDevice: Handler = (ctx) => {
  const n = deviceArg(ctx, 'edit');
  const { state } = ctx.svc;
  const d = ctx.data;
  const errors: Errors = {};
  const hostname = d.get('hostname');
  if (hostname !== undefined) cleanHostname(state, hostname, n, errors);
  const zone = d.has('zone') ? state.zoneByName(d.get('zone') ?? '') : undefined;
  if (d.has('zone') && !zone) errors.zone = [CHOICE];
  const domain = d.has('domain') ? state.domainByName(d.get('domain') ?? '') : undefined;
  if (d.has('domain') && !domain) errors.domain = [CHOICE];
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (hostname !== undefined) n.hostname = hostname.split('.')[0] ?? hostname;
  if (d.has('description')) n.description = d.get('description') ?? '';
  if (d.has('parent')) n.parent = d.get('parent') || null;
  if (zone) n.zoneId = zone.id;
  if (domain) {
    n.domainId = domain.id;
    state.touchDomains();
  }
  return renderDevice(state, n);
};

const deleteDevice: Handler = (ctx) => {
  ctx.svc.state.removeNode(deviceArg(ctx, 'edit'));
  return deletedResponse();
};

function controllers(kind: 'rack' | 'region'): Resource[] {
  const plural = kind === 'rack' ? 'rackcontrollers' : 'regioncontrollers';
  const test = kind === 'rack' ? isRack : isRegion;
  const extra: Record<string, Handler> =
    kind === 'rack'
      ? {
          'GET describe_power_types': () =>
            POWER_TYPES.map((name) => ({ name, description: name, fields: [] })),
        }
      : {};
  return [
    {
      name: kind === 'rack' ? 'RackControllersHandler' : 'RegionControllersHandler',
      pattern: new RegExp(`^${plural}/$`),
      handlers: {
        GET: (ctx) => visibleNodes(ctx, test).map((n) => renderController(ctx.svc.state, n, kind)),
        ...extra,
      },
    },
    {
      name: kind === 'rack' ? 'RackControllerHandler' : 'RegionControllerHandler',
      pattern: new RegExp(`^${plural}/([^/]+)/$`),
      handlers: {
        GET: (ctx) =>
          renderController(
            ctx.svc.state,
            getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', kind),
            kind,
          ),
        ...(kind === 'rack'
          ? {
              'GET list_boot_images': (ctx: AuthedCtx) => {
                getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', 'rack');
                return {
                  images: SERIES.map(([s]) => ({
                    name: `ubuntu/${s}`,
                    architecture: 'amd64',
                    subarches: 'generic',
                  })),
                  connected: true,
                  status: 'synced',
                };
              },
              'POST import_boot_images': (ctx: AuthedCtx) => {
                const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'admin', 'rack');
                return textResponse(`Import of boot images started on ${n.hostname}`);
              },
            }
          : {}),
      },
    },
  ];
}

function byMac(ctx: Ctx): SimNode | undefined {
  const sid = ctx.svc.state.macs.get(canonicalMac(mandatory(ctx.query, 'mac_address')));
  const n = sid ? ctx.svc.state.nodes.get(sid) : undefined;
  return n && n.status !== S.RETIRED ? n : undefined;
}

/** `NodesHandler`'s MAC lookups, inherited by `/machines/`; anonymous callers get them too. */
export const macLookupOps: Record<string, AnonHandler> = {
  'GET is_registered': (ctx) => byMac(ctx) !== undefined,
  'GET is_action_in_progress': (ctx) => {
    const n = byMac(ctx);
    return n !== undefined && isTransientStatus(n.status);
  },
};

export const deviceResources: Resource[] = [
  {
    name: 'DevicesHandler',
    pattern: /^devices\/$/,
    handlers: {
      GET: (ctx) => visibleNodes(ctx, (n) => n.kind === 'device').map((n) => renderDevice(ctx.svc.state, n)),
      POST: createDevice,
    },
  },
  {
    name: 'DeviceHandler',
    pattern: /^devices\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => renderDevice(ctx.svc.state, deviceArg(ctx, 'view')),
      PUT: updateDevice,
      DELETE: deleteDevice,
      'POST restore_networking_configuration': (ctx) => renderDevice(ctx.svc.state, deviceArg(ctx, 'admin')),
      'POST restore_default_configuration': (ctx) => renderDevice(ctx.svc.state, deviceArg(ctx, 'admin')),
    },
  },
  ...controllers('rack'),
  ...controllers('region'),
  {
    name: 'NodesHandler',
    pattern: /^nodes\/$/,
    handlers: {
      GET: (ctx) => {
        const nodes = visibleNodes(ctx, () => true);
        return streamResponse(jsonArrayStream(nodes, (n) => renderAnyNode(ctx.svc.state, n)));
      },
      ...macLookupOps,
    },
    anon: macLookupOps,
  },
  {
    name: 'NodeHandler',
    pattern: /^nodes\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) =>
        renderAnyNode(
          ctx.svc.state,
          getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', 'node'),
        ),
    },
  },
];
