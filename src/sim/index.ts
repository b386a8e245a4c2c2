/**
 * The embedded MAAS simulator: a Hono app serving `/MAAS/api/2.0/…` as MAAS 3.7.3 does (`src/maasserver/api/`),
 * with a seeded fleet, the real state machine on an injected clock, and fault injection. Runtime-neutral: Web APIs
 * only, so it runs in Node and in workerd.
 *
 * This is the simulator's public entry, and the only module of `src/sim/` that code and tests outside it import
 * (a dependency rule in scripts/layers.ts checks it): the factory, its options, `sim.control` and their types.
 * The simulator's state, timer engine and fault switches stay inside; its own tests reach them through
 * `simulator.ts`.
 */

import {
  createSimulator as createWithInternals,
  type Simulator,
  type SimulatorOptions,
} from './simulator.ts';

export type { Clock, TimerHandle } from './clock.ts';
export { systemClock } from './clock.ts';
export type {
  SimControl,
  SimEventLevel,
  SimMachine,
  SimMachinePatch,
  SimNetworkPatch,
  SimUserData,
  SimUserPatch,
} from './control.ts';
export type {
  ArmedRequestFailure,
  FailAction,
  RequestFailure,
  RequestMatch,
  TransitionFailure,
} from './faults.ts';
export type { PowerState as SimPowerState } from './model.ts';
export { REDACTED as SIM_REDACTED, type SimRequestEntry, type SimRequestLog } from './requests.ts';
export { CURATED_HOSTNAMES } from './seed-curated.ts';
export type { SimUser, Simulator, SimulatorOptions } from './simulator.ts';
export { S as SimStatus, type Status as SimStatusValue, statusLabel } from './status.ts';

/** A simulated MAAS: the Hono app, a fetch straight into it, its users' API keys, and `control`. */
export function createSimulator(opts: SimulatorOptions = {}): Simulator {
  const { app, baseUrl, fetch, users, requests, control, settle, close } = createWithInternals(opts);
  return { app, baseUrl, fetch, users, requests, control, settle, close };
}
