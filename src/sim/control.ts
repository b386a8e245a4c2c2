/**
 * `sim.control`: the simulator's public test and control API. Tests use it instead of reaching into the
 * simulator's state: put a machine in a status, fail requests or a step of a machine's asynchronous transition the
 * way MAAS fails, move time, and read what clients sent.
 */
import { type Clock, isAdvanceable } from './clock.ts';
import type { Engine } from './engine.ts';
import {
  type ArmedRequestFailure,
  FAIL_ACTIONS,
  type FailAction,
  type Faults,
  type RequestFailure,
  type TransitionFailure,
} from './faults.ts';
import type { PowerState, SimNode, SimState } from './model.ts';
import type { RequestLog, SimRequestLog } from './requests.ts';
import { isStatus, S, type Status } from './status.ts';
import { touch } from './tx.ts';

/** What {@link SimControl.setMachine} can change. */
export interface SimMachinePatch {
  /** A MAAS status value (`4` Ready, `10` Allocated, `6` Deployed …); set as is, whatever the transition table says. */
  status?: number;
  /** Username, or null for unowned. Default when only `status` is given: null for New/Ready, else unchanged. */
  owner?: string | null;
  power?: PowerState;
  locked?: boolean;
  /** `uefi` (the seeded default) or a BIOS method such as `pxe`; changes the partition-table overhead. */
  biosBootMethod?: string;
  errorDescription?: string;
}

/** The user data a deploy stored, and what cloud-init would be served. */
export interface SimUserData {
  /** Exactly as the client sent it (MAAS stores it as given). */
  stored: string;
  /** Base64-decoded when it round-trips as base64 (with or without whitespace), else the stored text. */
  served: string;
}

export interface SimControl {
  /** A machine record by system_id or hostname (throws if there is none). Read it; change it through the API or here. */
  machine(ref: string): SimNode;
  /** The system_id of a hostname (or of a system_id). */
  systemId(ref: string): string;
  /** Puts a machine straight into a state, cancelling what it was doing. Not a MAAS operation: no event, no check. */
  setMachine(ref: string, patch: SimMachinePatch): void;
  /**
   * The next matching requests fail with `status` and `body` (see {@link RequestFailure}); `when: 'after'` lets the
   * request take effect and loses the answer.
   */
  failRequests(rule: RequestFailure): ArmedRequestFailure;
  /**
   * The next `action` of that machine (commission, test, deploy, release, erase, rescue, exit_rescue) ends in
   * MAAS's failure status with `message` as `error_description` and status message, at the last step or at the step
   * named by `at`.
   */
  failTransition(ref: string, action: FailAction, failure?: TransitionFailure): void;
  /** Disarms every request rule, transition failure, outage and latency. */
  clearFailures(): void;
  /** The user data of the machine's deployment, or null when it has none. */
  userData(ref: string): SimUserData | null;
  /** Moves time forward on the simulator's clock (it must be a manual clock with `advance(ms)`). */
  advance(ms: number): Promise<void>;
  /** Runs every pending timed transition to completion now. */
  settle(): Promise<void>;
  /** What the machine's life cycle is doing (`deploy`, `commission` …), if anything. */
  activity(ref: string): string | undefined;
  /** Every request the simulator answered (secrets redacted). */
  readonly requests: SimRequestLog;
}

/** Decodes standard base64 (whitespace ignored) to UTF-8, or null if `text` is not base64 that round-trips. */
export function decodeBase64Text(text: string): string | null {
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  let binary: string;
  try {
    binary = atob(compact);
  } catch {
    return null;
  }
  if (btoa(binary) !== compact) return null;
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

export function createControl(deps: {
  state: SimState;
  engine: Engine;
  faults: Faults;
  clock: Clock;
  requests: RequestLog;
}): SimControl {
  const { state, engine, faults, clock, requests } = deps;
  const machine = (ref: string): SimNode => {
    const n = state.machine(ref) ?? state.machineByHostname(ref);
    if (!n) throw new Error(`sim.control: no machine ${ref}`);
    return n;
  };
  return {
    machine,
    systemId: (ref) => machine(ref).systemId,
    setMachine(ref, patch) {
      const n = machine(ref);
      touch(n);
      if (patch.status !== undefined) {
        if (!isStatus(patch.status)) throw new Error(`sim.control: ${patch.status} is not a MAAS status`);
        engine.cancel(n);
        if (n.status !== patch.status) n.previousStatus = n.status;
        n.status = patch.status as Status;
        if (patch.owner === undefined && (n.status === S.NEW || n.status === S.READY)) n.owner = null;
      }
      if (patch.owner !== undefined) n.owner = patch.owner;
      if (patch.power !== undefined) n.powerState = patch.power;
      if (patch.locked !== undefined) n.locked = patch.locked;
      if (patch.biosBootMethod !== undefined) n.biosBootMethod = patch.biosBootMethod;
      if (patch.errorDescription !== undefined) n.errorDescription = patch.errorDescription;
    },
    failRequests: (rule) => faults.failRequests(rule),
    failTransition(ref, action, failure = {}) {
      if (!FAIL_ACTIONS.includes(action)) throw new Error(`sim.control: unknown action ${action}`);
      faults.failTransition(machine(ref).systemId, action, failure);
    },
    clearFailures: () => faults.reset(),
    userData(ref) {
      const stored = machine(ref).userData;
      if (stored === null) return null;
      return { stored, served: decodeBase64Text(stored) ?? stored };
    },
    async advance(ms) {
      if (!isAdvanceable(clock)) {
        throw new Error('sim.control.advance needs a clock with advance(ms) (pass one to createSimulator)');
      }
      await clock.advance(ms);
    },
    settle: () => engine.settle(),
    activity: (ref) => engine.activity(machine(ref)),
    requests,
  };
}
