/**
 * Release, disk erasure and rescue mode as timed steps (MAAS `maasserver/models/node.py`): `_finalize_release` clears
 * the deployment; rescue mode returns to the status it was entered from.
 */

import { releaseAutoIps } from './addressing.ts';
import { type Engine, type Step, updateStatus } from './engine.ts';
import { dropAcquiredBridges } from './interfaces.ts';
import { pxe, SEC, setPower } from './lifecycle.ts';
import { ScriptStatus, type SimNode } from './model.ts';
import { canTransition, S, type Status } from './status.ts';
import { dropAcquiredFilesystems } from './storage-model.ts';

// ---------------------------------------------------------------- release and erase

export interface EraseOptions {
  erase: boolean;
  secure: boolean;
  quick: boolean;
}

/** `Node.release`: erase → Disk erasing; power already off → Ready now; otherwise Releasing. */
export function startRelease(
  engine: Engine,
  node: SimNode,
  user: string,
  opts: EraseOptions,
  comment = '',
): void {
  engine.cancel(node, 'life');
  engine.request(node, 'User releasing node', user, comment);
  if (opts.erase || opts.secure || opts.quick) {
    updateStatus(node, S.DISK_ERASING);
    engine.event(node, 'Erasing disk', {
      description: opts.secure ? 'secure erase' : opts.quick ? 'quick erase' : '',
    });
    engine.run(node, 'erase', erasingSteps(engine, node, opts));
    return;
  }
  if (node.powerState === 'off' || node.powerType === 'manual') {
    finalizeRelease(engine, node);
    return;
  }
  updateStatus(node, S.RELEASING);
  engine.event(node, 'Releasing');
  engine.run(node, 'release', releasingSteps(engine, node));
}

export function releasingSteps(engine: Engine, node: SimNode): Step[] {
  return [
    { delayMs: 20 * SEC, run: () => engine.event(node, 'Powering off', { level: 'DEBUG' }) },
    {
      delayMs: 25 * SEC,
      run: () => {
        if (engine.failIfArmed(node, 'release')) return;
        finalizeRelease(engine, node);
      },
    },
  ];
}

export function erasingSteps(engine: Engine, node: SimNode, opts: EraseOptions): Step[] {
  const wipe = opts.quick ? 60 : opts.secure ? 300 : 180;
  return [
    ...pxe(engine, node, 40 * SEC),
    {
      delayMs: 20 * SEC,
      label: 'Wiping disks',
      run: () => engine.event(node, 'Erasing disk', { description: 'Wiping disks' }),
    },
    {
      delayMs: wipe * SEC,
      run: () => {
        if (engine.failIfArmed(node, 'erase')) {
          setPower(engine, node, 'off');
          return;
        }
        finalizeRelease(engine, node);
      },
    },
  ];
}

/** `_finalize_release`: Ready (or New if never commissioned), owner and deployment settings cleared. */
function finalizeRelease(engine: Engine, node: SimNode): void {
  let target: Status = node.scripts.commissioning === ScriptStatus.PASSED ? S.READY : S.NEW;
  if (!canTransition(node.status, target)) target = S.READY;
  updateStatus(node, target); // New or Ready: the owner goes too
  node.osystem = '';
  node.distroSeries = '';
  node.hweKernel = null;
  node.ownerData = {};
  node.agentName = '';
  node.userData = null;
  node.ephemeralDeploy = false;
  node.enableKernelCrashDump = false;
  node.errorDescription = '';
  node.netboot = true;
  releaseAutoIps(engine.state, node);
  dropAcquiredFilesystems(node);
  dropAcquiredBridges(engine.state, node);
  setPower(engine, node, 'off');
  engine.event(node, 'Released');
}

// ---------------------------------------------------------------- rescue mode

export function startRescue(engine: Engine, node: SimNode, user: string): void {
  const from = node.status;
  updateStatus(node, S.ENTERING_RESCUE_MODE);
  node.rescueReturnStatus = from;
  node.owner = user;
  engine.request(node, 'User starting rescue mode', user);
  engine.event(node, 'Entering rescue mode');
  engine.run(node, 'rescue', rescueSteps(engine, node));
}

function rescueSteps(engine: Engine, node: SimNode): Step[] {
  return [
    ...pxe(engine, node, 40 * SEC),
    {
      delayMs: 30 * SEC,
      run: () => {
        if (engine.failIfArmed(node, 'rescue')) return;
        updateStatus(node, S.RESCUE_MODE);
        engine.event(node, 'Rescue mode');
      },
    },
  ];
}

export function exitRescue(engine: Engine, node: SimNode, user: string): void {
  engine.cancel(node, 'life');
  updateStatus(node, S.EXITING_RESCUE_MODE);
  engine.request(node, 'User stopping rescue mode', user);
  engine.event(node, 'Exiting rescue mode');
  engine.run(node, 'exit_rescue', [
    {
      delayMs: 60 * SEC,
      run: () => {
        if (engine.failIfArmed(node, 'exit_rescue')) return;
        let target = node.rescueReturnStatus ?? S.READY;
        if (!canTransition(S.EXITING_RESCUE_MODE, target)) target = S.READY;
        updateStatus(node, target);
        node.rescueReturnStatus = null;
        setPower(engine, node, target === S.DEPLOYED ? 'on' : 'off');
        engine.event(node, 'Exited rescue mode');
      },
    },
  ]);
}
