/**
 * `/machines/{system_id}/` (MAAS `maasserver/api/machines.py` `MachineHandler`): GET, PUT, DELETE, power, locks,
 * annotations, storage and the restore ops. The life-cycle ops live in machine-ops.ts.
 */

import { updateStatus } from './engine.ts';
import {
  badRequest,
  CHOICE,
  choiceError,
  conflict,
  deletedResponse,
  fieldError,
  fieldErrors,
  optionalInt,
  stringBool,
  textResponse,
} from './http.ts';
import { DEFAULT_SERIES } from './images.ts';
import { restoreNetworking } from './interfaces.ts';
import {
  applyDefaultLayout,
  setStorageLayout as configureLayout,
  STORAGE_LAYOUT_NAMES,
  type StorageLayoutName,
} from './layouts.ts';
import { requestPower, startDeployment } from './lifecycle.ts';
import {
  cleanArchitecture,
  cleanHostname,
  cleanPowerParameters,
  cleanPowerType,
  type Errors,
} from './machine-form.ts';
import { cleanUserData, lifecycleOps, machineArg } from './machine-ops.ts';
import type { SimNode } from './model.ts';
import { renderMachine } from './render.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';
import { LOCKABLE, RESTORABLE, S } from './status.ts';

const reply = (ctx: AuthedCtx, n: SimNode) => renderMachine(ctx.svc.state, n);

const update: Handler = (ctx) => {
  const n = machineArg(ctx, 'admin');
  const d = ctx.data;
  const { state } = ctx.svc;
  const errors: Errors = {};
  const hostname = d.get('hostname');
  if (hostname !== undefined) cleanHostname(state, hostname, n, errors);
  const domain = d.has('domain') ? state.domainByName(d.get('domain') ?? '') : undefined;
  if (d.has('domain') && !domain) errors.domain = [CHOICE];
  const zone = d.has('zone') ? state.zoneByName(d.get('zone') ?? '') : undefined;
  if (d.has('zone') && !zone) errors.zone = [CHOICE];
  const pool = d.has('pool') ? state.poolByName(d.get('pool') ?? '') : undefined;
  if (d.has('pool') && !pool) errors.pool = [CHOICE];
  const arch = d.get('architecture');
  const cleanArch = arch ? cleanArchitecture(arch, d.get('subarchitecture'), errors) : undefined;
  const powerType = d.has('power_type') ? cleanPowerType(d.get('power_type') ?? '', errors) : n.powerType;
  const power = cleanPowerParameters(d, powerType === n.powerType ? n.powerParameters : {}, errors);
  const ints: Record<string, number | undefined> = {};
  for (const key of ['swap_size', 'cpu_count', 'memory']) {
    try {
      ints[key] = optionalInt(d, key);
    } catch {
      errors[key] = ['Enter a whole number.'];
    }
  }
  if (stringBool(d, 'disable_ipv4', false)) errors.disable_ipv4 = ['Disabling IPv4 is no longer supported.'];
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (hostname !== undefined) n.hostname = hostname.split('.')[0] ?? hostname;
  if (d.has('description')) n.description = d.get('description') ?? '';
  if (domain) {
    n.domainId = domain.id;
    state.touchDomains();
  }
  if (zone) n.zoneId = zone.id;
  if (pool) n.poolId = pool.id;
  if (cleanArch) n.architecture = cleanArch;
  if (d.has('min_hwe_kernel')) n.minHweKernel = d.get('min_hwe_kernel') ?? '';
  n.powerType = powerType;
  n.powerParameters = power;
  if (ints.swap_size !== undefined) n.swapSize = ints.swap_size;
  if (ints.cpu_count !== undefined) n.cpuCount = ints.cpu_count;
  if (ints.memory !== undefined) n.memory = ints.memory;
  return reply(ctx, n);
};

const remove: Handler = (ctx) => {
  const n = machineArg(ctx, 'admin');
  ctx.svc.engine.cancel(n);
  ctx.svc.state.removeNode(n);
  return deletedResponse();
};

const powerOn: Handler = (ctx) => {
  const n = machineArg(ctx, 'edit');
  const userData = cleanUserData(ctx);
  if (n.owner === null) throw conflict("Can't start node: it hasn't been allocated.");
  if (n.status === S.ALLOCATED) {
    // MAAS's power_on of an Allocated machine is a deployment with the defaults.
    n.userData = userData;
    n.osystem = 'ubuntu';
    n.distroSeries = n.distroSeries || DEFAULT_SERIES;
    startDeployment(ctx.svc.engine, n, ctx.user.username);
  } else {
    requestPower(ctx.svc.engine, n, 'on', ctx.user.username);
  }
  return reply(ctx, n);
};

const powerOff: Handler = (ctx) => {
  const n = machineArg(ctx, 'edit');
  const soft = (ctx.data.get('stop_mode') ?? 'hard') === 'soft';
  // A power driver that cannot stop the machine (manual) makes MAAS answer `null`.
  if (n.powerType === 'manual' || n.powerType === '') return null;
  requestPower(ctx.svc.engine, n, 'off', ctx.user.username, soft);
  return reply(ctx, n);
};

const lock: Handler = (ctx) => {
  const n = machineArg(ctx, 'lock');
  if (n.locked) throw conflict('Machine is already locked');
  if (!LOCKABLE.has(n.status)) throw conflict("Can't lock, node is not deployed or deploying");
  n.locked = true;
  ctx.svc.engine.request(n, 'User locking node', ctx.user.username, ctx.data.get('comment'));
  return reply(ctx, n);
};

const unlock: Handler = (ctx) => {
  const n = machineArg(ctx, 'lock');
  if (!n.locked) throw conflict('Machine is not locked');
  n.locked = false;
  ctx.svc.engine.request(n, 'User unlocking node', ctx.user.username, ctx.data.get('comment'));
  return reply(ctx, n);
};

const setAnnotations: Handler = (ctx) => {
  const n = machineArg(ctx, 'edit');
  if (n.owner !== ctx.user.username)
    throw conflict("Cannot set workload annotation: it hasn't been acquired.");
  const next = { ...n.ownerData };
  for (const key of ctx.data.keys()) {
    if (key === 'op') continue;
    const value = ctx.data.get(key) ?? '';
    if (value === '') delete next[key];
    else next[key] = value;
  }
  n.ownerData = next;
  return reply(ctx, n);
};

/** `set_storage_layout`: admin, Ready only, then the layout's own form (MAAS `MachineHandler.set_storage_layout`). */
const setStorageLayout: Handler = (ctx) => {
  const n = machineArg(ctx, 'admin');
  if (n.status !== S.READY)
    throw conflict('Cannot change the storage layout on a machine that is not Ready.');
  const layout = ctx.data.get('storage_layout');
  if (!layout) throw fieldError('storage_layout', 'This field is required.');
  if (!(STORAGE_LAYOUT_NAMES as readonly string[]).includes(layout)) {
    const choices = STORAGE_LAYOUT_NAMES.map((l) => `'${l}'`).join(', ');
    throw fieldError(
      'storage_layout',
      `'${layout}' is not a valid storage_layout.  It should be one of: ${choices}.`,
    );
  }
  configureLayout(ctx.svc.state, n, layout as StorageLayoutName, ctx.data);
  return reply(ctx, n);
};

function restore(what: 'networking' | 'storage' | 'default'): Handler {
  const text = {
    networking: 'restore networking configuration',
    storage: 'restore storage configuration.',
    default: 'restore default networking and storage configuration.',
  }[what];
  return (ctx) => {
    const n = machineArg(ctx, 'admin');
    if (!RESTORABLE.has(n.status))
      throw conflict(`Machine must be in a ready or failed testing state to ${text}`);
    if (what !== 'storage') restoreNetworking(ctx.svc.state, n);
    if (what !== 'networking') applyDefaultLayout(ctx.svc.state, n);
    return reply(ctx, n);
  };
}

const overrideFailedTesting: Handler = (ctx) => {
  const n = machineArg(ctx, 'admin');
  if (n.status !== S.FAILED_TESTING) {
    throw conflict("Unable to override node status. Node is not in 'Failed testing' status.");
  }
  ctx.svc.engine.request(
    n,
    "User overrode 'Failed testing' status",
    ctx.user.username,
    ctx.data.get('comment'),
  );
  updateStatus(n, n.osystem === '' ? S.READY : S.DEPLOYED);
  return reply(ctx, n);
};

const curtinConfig: Handler = (ctx) => {
  const n = machineArg(ctx, 'view');
  const deploying: number[] = [S.DEPLOYING, S.DEPLOYED, S.FAILED_DEPLOYMENT];
  if (!deploying.includes(n.status)) throw badRequest(`Machine ${n.hostname} is not in a deployment state.`);
  const lines = [
    'apt:',
    '  preserve_sources_list: false',
    'kernel:',
    `  package: linux-image-generic`,
    'partitioning_commands:',
    '  builtin: [curtin, block-meta, custom]',
    'storage:',
    '  version: 1',
    '  config:',
    ...n.blockDevices
      .filter((d) => d.type === 'physical')
      .flatMap((d) => [
        `  - id: ${d.name}`,
        '    type: disk',
        `    serial: ${d.serial}`,
        `    ptable: ${(d.partitionTableType ?? 'gpt').toLowerCase()}`,
      ]),
    'network:',
    '  version: 2',
    `verbosity: 3`,
    '',
  ];
  return textResponse(lines.join('\n'));
};

function special(mount: boolean): Handler {
  return (ctx) => {
    const n = machineArg(ctx, 'edit');
    if (n.status !== S.READY && n.status !== S.ALLOCATED) {
      throw conflict(
        `Cannot ${mount ? 'mount' : 'unmount'} the filesystem because the machine is not Ready or Allocated.`,
      );
    }
    const mountPoint = ctx.data.get('mount_point');
    if (!mountPoint) throw fieldError('mount_point', 'This field is required.');
    if (mount) {
      const fstype = ctx.data.get('fstype') ?? '';
      if (fstype !== 'tmpfs' && fstype !== 'ramfs') throw fieldError('fstype', choiceError(fstype));
      n.specialFilesystems.push({
        fstype,
        label: null,
        uuid: ctx.svc.state.rng.uuid(),
        mountPoint,
        mountOptions: ctx.data.get('mount_options') ?? null,
      });
    } else {
      const before = n.specialFilesystems.length;
      n.specialFilesystems = n.specialFilesystems.filter((f) => f.mountPoint !== mountPoint);
      if (n.specialFilesystems.length === before)
        throw fieldError('mount_point', `No special filesystem is mounted at ${mountPoint}.`);
    }
    return reply(ctx, n);
  };
}

export const machineResource: Resource = {
  name: 'MachineHandler',
  pattern: /^machines\/([^/]+)\/$/,
  handlers: {
    GET: (ctx) => reply(ctx, machineArg(ctx, 'view')),
    PUT: update,
    DELETE: remove,
    ...lifecycleOps,
    'POST power_on': powerOn,
    'POST power_off': powerOff,
    'GET query_power_state': (ctx) => {
      const n = machineArg(ctx, 'view');
      return { state: n.powerType === 'manual' ? 'unknown' : n.powerState };
    },
    'GET power_parameters': (ctx) => ({ ...machineArg(ctx, 'admin_read').powerParameters }),
    'POST lock': lock,
    'POST unlock': unlock,
    'POST set_workload_annotations': setAnnotations,
    'POST set_owner_data': setAnnotations,
    'POST set_storage_layout': setStorageLayout,
    'POST restore_networking_configuration': restore('networking'),
    'POST restore_storage_configuration': restore('storage'),
    'POST restore_default_configuration': restore('default'),
    'POST clear_default_gateways': (ctx) => {
      const n = machineArg(ctx, 'admin');
      n.gatewayLinkIpv4 = null;
      n.gatewayLinkIpv6 = null;
      return reply(ctx, n);
    },
    'POST override_failed_testing': overrideFailedTesting,
    'POST mount_special': special(true),
    'POST unmount_special': special(false),
    'GET get_curtin_config': curtinConfig,
  },
};
