/**
 * The asynchronous life-cycle flows a real MAAS drives through BMCs, PXE and node callbacks (MAAS
 * `maasserver/models/node.py`): commissioning, testing, deployment, abort and power changes, as timed steps with the
 * event trail MAAS leaves (`EVENT_DETAILS_MAP` descriptions). Durations are realistic at `timeScale` 1 (a deploy
 * takes about 8 minutes). Release, erase and rescue mode live in release.ts.
 */

import { claimAutoIps, releaseAutoIps } from './addressing.ts';
import { type Engine, type Step, updateStatus } from './engine.ts';
import { revealHardware } from './hardware.ts';
import { applyDefaultLayout } from './layouts.ts';
import { ScriptStatus, type SimNode } from './model.ts';
import { canTransition, S, type Status } from './status.ts';

export const SEC = 1000;
const { RUNNING, PASSED, FAILED, ABORTED } = ScriptStatus;

export function pxe(engine: Engine, node: SimNode, delayMs: number): Step[] {
  return [
    {
      delayMs,
      label: 'Performing PXE boot',
      run: () => {
        setPower(engine, node, 'on');
        engine.event(node, 'Performing PXE boot');
      },
    },
    { delayMs: 30 * SEC, label: 'Loading ephemeral', run: () => engine.event(node, 'Loading ephemeral') },
  ];
}

export function setPower(engine: Engine, node: SimNode, state: 'on' | 'off'): void {
  if (node.powerType === 'manual' || node.powerState === state) return;
  node.powerState = state;
  engine.event(node, state === 'on' ? 'Node powered on' : 'Node powered off', { level: 'DEBUG' });
}

// ---------------------------------------------------------------- commissioning and testing

export function startCommissioning(
  engine: Engine,
  node: SimNode,
  user: string,
  opts: { skipTests: boolean; skipStorage: boolean },
): void {
  updateStatus(node, S.COMMISSIONING);
  node.owner = user;
  node.errorDescription = '';
  node.scripts.commissioning = RUNNING;
  node.scripts.commissioningResultId = engine.state.nextId('result', 100);
  engine.request(node, 'User starting commissioning', user);
  engine.event(node, 'Commissioning');
  engine.run(node, 'commission', commissioningSteps(engine, node, opts));
}

/** The remaining steps of a commissioning run; `fromStep` resumes a seeded one part-way. */
export function commissioningSteps(
  engine: Engine,
  node: SimNode,
  opts: { skipTests: boolean; skipStorage: boolean },
  fromStep = 0,
): Step[] {
  const steps: Step[] = [
    ...pxe(engine, node, 40 * SEC),
    {
      delayMs: 60 * SEC,
      label: 'Gathering hardware information',
      run: () => engine.event(node, 'Commissioning', { description: 'Gathering hardware information' }),
    },
    {
      delayMs: 120 * SEC,
      run: () => {
        if (engine.failIfArmed(node, 'commission')) {
          node.scripts.commissioning = FAILED;
          setPower(engine, node, 'off');
          return;
        }
        node.scripts.commissioning = PASSED;
        revealHardware(engine.state, node);
        if (!opts.skipStorage) applyDefaultLayout(engine.state, node);
        if (opts.skipTests) {
          updateStatus(node, S.READY);
          setPower(engine, node, 'off');
          engine.event(node, 'Ready');
          return;
        }
        beginTesting(engine, node, S.COMMISSIONING);
        engine.run(node, 'test', testingSteps(engine, node, true));
      },
    },
  ];
  return steps.slice(fromStep);
}

export function startTesting(engine: Engine, node: SimNode, user: string): void {
  const from = node.status;
  beginTesting(engine, node, from);
  if (node.owner === null) node.owner = user;
  engine.request(node, 'User starting testing', user);
  engine.run(node, 'test', testingSteps(engine, node, false));
}

function beginTesting(engine: Engine, node: SimNode, from: Status): void {
  node.testReturnStatus = from;
  updateStatus(node, S.TESTING);
  node.scripts.testing = RUNNING;
  node.scripts.testingResultId = engine.state.nextId('result', 100);
  engine.event(node, 'Testing');
}

export function testingSteps(
  engine: Engine,
  node: SimNode,
  afterCommissioning: boolean,
  fromStep = 0,
): Step[] {
  const boot = afterCommissioning ? [] : pxe(engine, node, 40 * SEC);
  const steps: Step[] = [
    ...boot,
    {
      delayMs: 30 * SEC,
      label: 'Running test scripts',
      run: () => engine.event(node, 'Testing', { description: 'Running test scripts' }),
    },
    { delayMs: 60 * SEC, run: () => finishTesting(engine, node) },
  ];
  return steps.slice(fromStep);
}

function finishTesting(engine: Engine, node: SimNode): void {
  if (engine.failIfArmed(node, 'test')) {
    setScriptTests(node, FAILED);
    return;
  }
  setScriptTests(node, PASSED);
  const target = testingReturn(node);
  updateStatus(node, target);
  node.testReturnStatus = null;
  setPower(engine, node, target === S.DEPLOYED ? 'on' : 'off');
  if (target === S.READY) engine.event(node, 'Ready');
  else engine.event(node, 'Testing', { description: 'All tests passed' });
}

/** `NODE_TESTING_RESET_READY_TRANSITIONS`: after commissioning-type starts the machine becomes Ready. */
function testingReturn(node: SimNode): Status {
  const from = node.testReturnStatus ?? S.READY;
  const toReady: Status[] = [S.COMMISSIONING, S.FAILED_COMMISSIONING, S.FAILED_TESTING, S.NEW];
  if (toReady.includes(from) || !canTransition(S.TESTING, from)) return S.READY;
  return from;
}

function setScriptTests(node: SimNode, status: ScriptStatus): void {
  node.scripts.testing = status;
  for (const k of ['cpu', 'memory', 'network', 'interface', 'other'] as const) node.scripts[k] = PASSED;
  node.scripts.storage = status;
}

// ---------------------------------------------------------------- deployment

/** `_start_deployment`: Allocated → Deploying, auto IPs claimed, then the install on timers. */
export function startDeployment(engine: Engine, node: SimNode, user: string): void {
  updateStatus(node, S.DEPLOYING);
  claimAutoIps(engine.state, node);
  node.netboot = true;
  engine.request(node, 'User starting deployment', user);
  engine.event(node, 'Deploying');
  engine.run(node, 'deploy', deploymentSteps(engine, node));
}

export function deploymentSteps(engine: Engine, node: SimNode, fromStep = 0): Step[] {
  const install: Step[] = node.ephemeralDeploy
    ? []
    : [
        { delayMs: 60 * SEC, label: 'Installing OS', run: () => engine.event(node, 'Installing OS') },
        { delayMs: 240 * SEC, label: 'Configuring OS', run: () => engine.event(node, 'Configuring OS') },
      ];
  const steps: Step[] = [
    ...pxe(engine, node, 45 * SEC),
    ...install,
    { delayMs: 60 * SEC, label: 'Rebooting', run: () => engine.event(node, 'Rebooting') },
    {
      delayMs: 45 * SEC,
      run: () => {
        if (engine.failIfArmed(node, 'deploy')) return;
        updateStatus(node, S.DEPLOYED);
        node.netboot = false;
        node.scripts.installationResultId = engine.state.nextId('result', 100);
        setPower(engine, node, 'on');
        engine.event(node, 'Deployed');
      },
    },
  ];
  return steps.slice(fromStep);
}

// ---------------------------------------------------------------- abort and power

/** `Node.abort_operation` results (§4.5 `abort`). */
export function abortOperation(engine: Engine, node: SimNode, user: string, comment = ''): void {
  engine.cancel(node, 'life');
  switch (node.status) {
    case S.COMMISSIONING:
      engine.request(node, 'User aborting commissioning', user, comment);
      node.scripts.commissioning = ABORTED;
      updateStatus(node, S.NEW);
      engine.event(node, 'Aborted commissioning');
      break;
    case S.DEPLOYING:
      engine.request(node, 'User aborting deployment', user, comment);
      updateStatus(node, S.ALLOCATED);
      releaseAutoIps(engine.state, node);
      engine.event(node, 'Aborted deployment');
      break;
    case S.TESTING: {
      engine.request(node, 'User aborting testing', user, comment);
      node.scripts.testing = ABORTED;
      updateStatus(node, testingReturn(node));
      node.testReturnStatus = null;
      engine.event(node, 'Aborted testing');
      break;
    }
    case S.DISK_ERASING:
      engine.request(node, 'User aborting disk erase', user, comment);
      updateStatus(node, S.FAILED_DISK_ERASING);
      engine.event(node, 'Aborted disk erasing');
      break;
  }
  setPower(engine, node, 'off');
}

/** A BMC power change lands a few seconds after the request. */
export function requestPower(
  engine: Engine,
  node: SimNode,
  state: 'on' | 'off',
  user: string,
  soft = false,
): void {
  engine.request(node, state === 'on' ? 'User powering up node' : 'User powering down node', user);
  if (node.powerType === 'manual') return;
  engine.run(
    node,
    `power_${state}`,
    [{ delayMs: (soft ? 15 : 5) * SEC, run: () => setPower(engine, node, state) }],
    'power',
  );
}
