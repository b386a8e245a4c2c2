/**
 * Life-cycle ops on `/machines/{system_id}/` (MAAS `maasserver/api/machines.py`): permission, the op's own pre-check
 * with MAAS's exact message, then the status change through {@link updateStatus} and the timed completion.
 */

import { releaseAutoIps } from './addressing.ts';
import { updateStatus } from './engine.ts';
import {
  badRequest,
  conflict,
  djangoBool,
  fieldErrors,
  forbidden,
  SimHttpError,
  stringBool,
} from './http.ts';
import { cleanDistroSeries, cleanHweKernel } from './images.ts';
import { dropAcquiredBridges } from './interfaces.ts';
import { abortOperation, startCommissioning, startDeployment, startTesting } from './lifecycle.ts';
import { ScriptStatus, type SimNode } from './model.ts';
import { getNodeOr404, type Perm } from './perm.ts';
import { exitRescue, startRelease, startRescue } from './release.ts';
import { renderMachine } from './render.ts';
import type { AuthedCtx, Handler } from './router.ts';
import {
  ABORTABLE,
  COMMISSIONABLE,
  EXITABLE_RESCUE,
  invalidTransitionMessage,
  listedTransition,
  RELEASABLE,
  S,
  statusLabel,
  TESTABLE,
} from './status.ts';
import { dropAcquiredFilesystems, effectiveFs } from './storage-model.ts';

export function machineArg(ctx: AuthedCtx, perm: Perm): SimNode {
  return getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', perm, 'machine');
}

const reply = (ctx: AuthedCtx, n: SimNode) => renderMachine(ctx.svc.state, n);
const label = (n: SimNode) => statusLabel(n.status);
const unconfiguredPower = () =>
  new SimHttpError(500, 'Unconfigured power type. Please configure the power type and try again.');

/**
 * `user_data` is stored as given (MAAS `NodeUserData`): base64 is what MAAS documents, but plain `#cloud-config`
 * text is kept too and served raw. Omitted, the machine's user data is removed.
 */
export function cleanUserData(ctx: AuthedCtx): string | null {
  const v = ctx.data.get('user_data');
  return v === undefined || v === '' ? null : v;
}

/** `acquire()`: Ready → Allocated to the caller. */
export function acquire(ctx: AuthedCtx, n: SimNode): void {
  if (n.owner !== null && n.owner !== ctx.user.username) {
    throw conflict("Can't allocate a machine belonging to another user.");
  }
  updateStatus(n, S.ALLOCATED);
  n.owner = ctx.user.username;
  n.agentName = ctx.data.get('agent_name') ?? '';
  ctx.svc.engine.request(n, 'User acquiring node', ctx.user.username, ctx.data.get('comment'));
}

const deploy: Handler = (ctx) => {
  const n = machineArg(ctx, 'edit');
  const d = ctx.data;
  const userData = cleanUserData(ctx);
  const ephemeral = stringBool(d, 'ephemeral_deploy', false);
  const crashDump = stringBool(d, 'enable_kernel_crash_dump', false);
  const hwSync = stringBool(d, 'enable_hw_sync', false);
  if (n.status === S.READY) acquire(ctx, n);
  // The table itself, not canTransition: MAAS checks `DEPLOYING in NODE_TRANSITIONS[status]` (no same-status pass).
  if (!listedTransition(n.status, S.DEPLOYING)) {
    throw conflict(`Can't deploy a machine that is in the '${label(n)}' state`);
  }
  // Validation after acquire, as in MAAS; a 400 here rolls the acquire back with the rest of the request (MAAS
  // `ATOMIC_REQUESTS`), so the machine stays Ready.
  const os = cleanDistroSeries(d.get('distro_series'));
  const kernel = cleanHweKernel(d.get('hwe_kernel'), os.series, os.version, n.architecture);
  // `Node.retrieve_storage_layout_issues` (checked when the deployment starts): a machine installing to disk needs
  // a filesystem mounted at `/`. A machine without disks deploys to memory.
  const toMemory = ephemeral || n.blockDevices.length === 0;
  if (!toMemory && !rootMounted(n)) {
    throw fieldErrors({ storage: ["Mount the root '/' filesystem to be able to deploy this node."] });
  }
  n.osystem = os.osystem;
  n.distroSeries = os.series;
  n.hweKernel = kernel;
  n.userData = userData;
  n.ephemeralDeploy = toMemory;
  n.enableKernelCrashDump = crashDump;
  n.enableHwSync = hwSync;
  if (d.has('agent_name')) n.agentName = d.get('agent_name') ?? '';
  startDeployment(ctx.svc.engine, n, ctx.user.username);
  return reply(ctx, n);
};

const release: Handler = (ctx) => {
  const n = machineArg(ctx, 'edit');
  const d = ctx.data;
  const opts = {
    erase: djangoBool(d, 'erase', false),
    secure: djangoBool(d, 'secure_erase', false),
    quick: djangoBool(d, 'quick_erase', false),
  };
  if (n.status === S.READY || n.status === S.RELEASING) return reply(ctx, n);
  if (!RELEASABLE.has(n.status)) {
    throw conflict(`Machine cannot be released in its current state ('${label(n)}').`);
  }
  startRelease(ctx.svc.engine, n, ctx.user.username, opts, d.get('comment') ?? '');
  return reply(ctx, n);
};

const commission: Handler = (ctx) => {
  const n = machineArg(ctx, 'admin');
  if (!COMMISSIONABLE.has(n.status)) {
    throw fieldErrors({ __all__: ['Commission is not available because of the current state of the node.'] });
  }
  if (n.powerType === '') throw unconfiguredPower();
  const d = ctx.data;
  startCommissioning(ctx.svc.engine, n, ctx.user.username, {
    skipTests: (d.get('testing_scripts') ?? '').toLowerCase() === 'none',
    skipStorage: djangoBool(d, 'skip_storage', false),
  });
  return reply(ctx, n);
};

const test: Handler = (ctx) => {
  const n = machineArg(ctx, 'admin');
  if (!TESTABLE.has(n.status)) {
    throw fieldErrors({ __all__: ['Test is not available because of the current state of the node.'] });
  }
  if (n.status === S.NEW && n.scripts.commissioning !== ScriptStatus.PASSED) {
    throw badRequest('Unable to start machine testing; this node has never been commissioned.');
  }
  if ((ctx.data.get('testing_scripts') ?? '').toLowerCase() === 'none')
    throw badRequest('No testing scripts found!');
  if (n.powerType === '') throw unconfiguredPower();
  startTesting(ctx.svc.engine, n, ctx.user.username);
  return reply(ctx, n);
};

const abort: Handler = (ctx) => {
  const n = machineArg(ctx, 'edit');
  if (!ABORTABLE.has(n.status)) {
    throw conflict(`Cannot abort in current state: node ${n.systemId} is in state ${label(n)}.`);
  }
  abortOperation(ctx.svc.engine, n, ctx.user.username, ctx.data.get('comment') ?? '');
  return reply(ctx, n);
};

const markBroken: Handler = (ctx) => {
  const n = machineArg(ctx, 'edit');
  if (!ctx.user.isSuperuser && n.owner !== ctx.user.username) throw forbidden();
  const comment = ctx.data.get('comment') || ctx.data.get('error_description') || '';
  const engine = ctx.svc.engine;
  engine.request(n, 'User marking node broken', ctx.user.username, comment);
  engine.cancel(n, 'life');
  const releasing = RELEASABLE.has(n.status);
  updateStatus(n, S.BROKEN);
  if (releasing) {
    // `_release` first: the deployment is torn down and the machine powered off.
    n.osystem = '';
    n.distroSeries = '';
    n.ownerData = {};
    n.userData = null;
    releaseAutoIps(engine.state, n);
    dropAcquiredFilesystems(n);
    dropAcquiredBridges(engine.state, n);
    if (n.powerType !== 'manual') n.powerState = 'off';
  }
  n.owner = null;
  n.errorDescription = comment;
  engine.event(n, 'Marked broken', { description: comment });
  return reply(ctx, n);
};

const markFixed: Handler = (ctx) => {
  const n = machineArg(ctx, 'admin');
  if (n.status !== S.BROKEN) throw conflict("Can't mark a non-broken node as 'Ready'.");
  const target = n.previousStatus === S.DEPLOYED ? S.DEPLOYED : S.READY;
  ctx.svc.engine.request(n, 'User marking node fixed', ctx.user.username, ctx.data.get('comment'));
  updateStatus(n, target);
  n.errorDescription = '';
  if (target === S.READY) {
    n.osystem = '';
    n.distroSeries = '';
    n.hweKernel = null;
  }
  ctx.svc.engine.event(n, target === S.READY ? 'Ready' : 'Deployed');
  return reply(ctx, n);
};

const rescueMode: Handler = (ctx) => {
  const n = machineArg(ctx, 'admin');
  if (!listedTransition(n.status, S.ENTERING_RESCUE_MODE)) {
    throw conflict(invalidTransitionMessage(n.status, S.ENTERING_RESCUE_MODE));
  }
  startRescue(ctx.svc.engine, n, ctx.user.username);
  return reply(ctx, n);
};

const exitRescueMode: Handler = (ctx) => {
  const n = machineArg(ctx, 'admin');
  if (!EXITABLE_RESCUE.has(n.status)) {
    throw conflict(invalidTransitionMessage(n.status, S.EXITING_RESCUE_MODE));
  }
  exitRescue(ctx.svc.engine, n, ctx.user.username);
  return reply(ctx, n);
};

export const lifecycleOps: Record<string, Handler> = {
  'POST deploy': deploy,
  'POST release': release,
  'POST commission': commission,
  'POST test': test,
  'POST abort': abort,
  'POST mark_broken': markBroken,
  'POST mark_fixed': markFixed,
  'POST rescue_mode': rescueMode,
  'POST exit_rescue_mode': exitRescueMode,
};

/** Whether some filesystem of the machine is mounted at `/`. */
function rootMounted(n: SimNode): boolean {
  return n.blockDevices.some(
    (d) => effectiveFs(d)?.mountPoint === '/' || d.partitions.some((p) => effectiveFs(p)?.mountPoint === '/'),
  );
}
