/**
 * `sim.control`: the simulator's public test and control API. Tests use it instead of reaching into the
 * simulator's state: read machines, put one in a status, fail requests or a step of a machine's asynchronous
 * transition the way MAAS fails, cut or slow the network, change what MAAS changes outside its REST API (a user's
 * admin rights, events machines report), move time, and read what clients sent.
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
import type { EventLevel, PowerState, SimNode, SimState } from './model.ts';
import type { RequestLog, SimRequestLog } from './requests.ts';
import { isStatus, S, type Status } from './status.ts';
import { touch } from './tx.ts';

/** A value read through `sim.control`: live (it follows the simulator), but not to be changed through it. */
export type ReadOnlyDeep<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly ReadOnlyDeep<U>[]
    : T extends object
      ? { readonly [K in keyof T]: ReadOnlyDeep<T[K]> }
      : T;

/** A machine as the simulator holds it, read-only: change it through the MAAS API or {@link SimControl.setMachine}. */
export type SimMachine = ReadOnlyDeep<SimNode>;

/** An event's level, as the events API names them (`AUDIT`, `DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`). */
export type SimEventLevel = EventLevel;

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

/** What {@link SimControl.setUser} can change: what a MAAS administrator changes in the web UI. */
export interface SimUserPatch {
  /** MAAS admin rights (`is_superuser`); the 2.0 REST API has no call that changes them. */
  isSuperuser?: boolean;
}

/** What {@link SimControl.setNetwork} can change: the path between the client and MAAS. */
export interface SimNetworkPatch {
  /** True: `sim.fetch` rejects with `TypeError('fetch failed')`, no HTTP answer at all (MAAS unreachable). */
  down?: boolean;
  /** Added, on the simulator's clock, before every API answer (a slow region); 0 for none. */
  latencyMs?: number;
}

/** The user data a deploy stored, and what cloud-init would be served. */
export interface SimUserData {
  /** Exactly as the client sent it (MAAS stores it as given). */
  stored: string;
  /** Base64-decoded when it round-trips as base64 (with or without whitespace), else the stored text. */
  served: string;
}

export interface SimControl {
  /** A machine by system_id or hostname (throws if there is none). Read it; change it through the API or here. */
  machine(ref: string): SimMachine;
  /** Every machine (no devices or controllers), in MAAS's list order (creation order). */
  machines(): SimMachine[];
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
  /** Takes the network down or brings it back, or slows every answer (until changed or {@link clearFailures}). */
  setNetwork(patch: SimNetworkPatch): void;
  /** Changes a user's rights as a MAAS administrator does in the web UI (throws for an unknown username). */
  setUser(username: string, patch: SimUserPatch): void;
  /**
   * Records an event on a machine as MAAS does when the machine or its rack controller reports one (cloud-init and
   * curtin through the metadata service, the rack through RPC; the REST API cannot create events). Level INFO by
   * default; the latest event at INFO or above is the machine's `status_message` (`type - description`).
   */
  logEvent(ref: string, type: string, opts?: { level?: SimEventLevel; description?: string }): void;
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
    machines: () => [...state.machines()],
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
    setNetwork(patch) {
      if (patch.down !== undefined) faults.networkDown = patch.down;
      if (patch.latencyMs !== undefined) {
        if (!Number.isFinite(patch.latencyMs) || patch.latencyMs < 0) {
          throw new Error(`sim.control: latencyMs must be 0 or more, not ${patch.latencyMs}`);
        }
        faults.latencyMs = patch.latencyMs;
      }
    },
    setUser(username, patch) {
      const user = state.users.get(username);
      if (!user) throw new Error(`sim.control: no user ${username}`);
      if (patch.isSuperuser !== undefined) user.isSuperuser = patch.isSuperuser;
    },
    logEvent(ref, type, opts = {}) {
      engine.event(machine(ref), type, opts);
    },
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
