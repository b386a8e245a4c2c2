/**
 * `/nodes/{system_id}/blockdevices/` (MAAS `maasserver/api/blockdevices.py`): listing and the per-device ops behind
 * the state gate.
 */

import {
  applyTagOp,
  badRequest,
  choiceError,
  conflict,
  fieldError,
  fieldErrors,
  forbidden,
  notFound,
  textResponse,
} from './http.ts';
import type { SimBlockDevice, SimNode } from './model.ts';
import { getNodeOr404 } from './perm.ts';
import { renderBlockDevice } from './render-net.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';
import { S } from './status.ts';

const FSTYPES = ['ext2', 'ext4', 'xfs', 'fat32', 'vfat', 'btrfs', 'swap', 'zfsroot'];

function deviceOf(n: SimNode, id: string | undefined): SimBlockDevice {
  const d = n.blockDevices.find((b) => String(b.id) === id);
  if (!d) throw notFound('No BlockDevice matches the given query.');
  return d;
}

/** The block-device state gate: Ready or Allocated; a Ready machine needs an admin. */
function gated(ctx: AuthedCtx, operation: string): { n: SimNode; dev: SimBlockDevice } {
  const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'edit', 'node');
  const dev = deviceOf(n, ctx.args[1]);
  if (n.status !== S.READY && n.status !== S.ALLOCATED) {
    throw conflict(`Cannot ${operation} block device because the machine is not Ready or Allocated.`);
  }
  if (n.status === S.READY && !ctx.user.isSuperuser) {
    throw forbidden(
      `Cannot ${operation} block device because you don't have the permissions on a Ready machine.`,
    );
  }
  return { n, dev };
}

const format: Handler = (ctx) => {
  const { n, dev } = gated(ctx, 'format');
  const fstype = ctx.data.get('fstype');
  if (!fstype) throw fieldError('fstype', 'This field is required.');
  if (!FSTYPES.includes(fstype)) throw fieldError('fstype', choiceError(fstype));
  if (dev.partitions.length) throw fieldErrors({ __all__: ['Cannot format block device with partitions.'] });
  dev.filesystem = {
    fstype,
    label: null,
    uuid: ctx.data.get('uuid') || ctx.svc.state.rng.uuid(),
    mountPoint: null,
    mountOptions: null,
  };
  return renderBlockDevice(n, dev);
};

const unformat: Handler = (ctx) => {
  const { n, dev } = gated(ctx, 'unformat');
  if (!dev.filesystem) throw badRequest('Block device is not formatted.');
  if (dev.filesystem.mountPoint) {
    throw badRequest(
      'Filesystem is mounted and cannot be unformatted. Unmount the filesystem before unformatting the block device.',
    );
  }
  dev.filesystem = null;
  return renderBlockDevice(n, dev);
};

const mount: Handler = (ctx) => {
  const { n, dev } = gated(ctx, 'mount');
  const mountPoint = ctx.data.get('mount_point');
  if (!mountPoint) throw fieldError('mount_point', 'This field is required.');
  if (!mountPoint.startsWith('/') && mountPoint !== 'none')
    throw fieldError('mount_point', 'Enter a valid value.');
  if (!dev.filesystem) throw badRequest('Cannot mount an unformatted block device.');
  dev.filesystem.mountPoint = mountPoint;
  dev.filesystem.mountOptions = ctx.data.get('mount_options') ?? null;
  return renderBlockDevice(n, dev);
};

const unmount: Handler = (ctx) => {
  const { n, dev } = gated(ctx, 'unmount');
  if (!dev.filesystem) throw badRequest('Cannot unmount a block device that has no filesystem.');
  if (!dev.filesystem.mountPoint) throw badRequest('Filesystem is already unmounted.');
  dev.filesystem.mountPoint = null;
  dev.filesystem.mountOptions = null;
  return renderBlockDevice(n, dev);
};

const setBootDisk: Handler = (ctx) => {
  const { n, dev } = gated(ctx, 'set boot disk for');
  if (!ctx.user.isSuperuser) throw forbidden();
  if (dev.type !== 'physical') throw badRequest('Cannot set a virtual block device as the boot disk.');
  n.bootDiskId = dev.id;
  // piston's rc.ALL_OK.
  return textResponse('OK');
};

function tagOp(add: boolean): Handler {
  return (ctx) => {
    const { n, dev } = gated(ctx, add ? 'add tag to' : 'remove tag from');
    dev.tags = applyTagOp(ctx.data, dev.tags, add);
    return renderBlockDevice(n, dev);
  };
}

export const blockDeviceResources: Resource[] = [
  {
    name: 'BlockDevicesHandler',
    pattern: /^nodes\/([^/]+)\/blockdevices\/$/,
    handlers: {
      GET: (ctx) => {
        const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', 'node');
        return n.blockDevices.map((d) => renderBlockDevice(n, d));
      },
    },
  },
  {
    name: 'BlockDeviceHandler',
    pattern: /^nodes\/([^/]+)\/blockdevices\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => {
        const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', 'node');
        return renderBlockDevice(n, deviceOf(n, ctx.args[1]));
      },
      'POST format': format,
      'POST unformat': unformat,
      'POST mount': mount,
      'POST unmount': unmount,
      'POST set_boot_disk': setBootDisk,
      'POST add_tag': tagOp(true),
      'POST remove_tag': tagOp(false),
    },
  },
];
