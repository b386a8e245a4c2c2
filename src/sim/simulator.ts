/**
 * Builds the simulator with its internals (state, timer engine, fault switches) in reach, for the simulator's own
 * tests. Everyone else uses `createSimulator` from `index.ts`, which hands out only the public API (`sim.control`).
 */

import { Hono } from 'hono';
import { OAuthVerifier } from './auth.ts';
import { blockDeviceResources } from './blockdevices.ts';
import { type Clock, systemClock } from './clock.ts';
import { createControl, type SimControl } from './control.ts';
import { deviceResources } from './devices.ts';
import { dnsResources } from './dns.ts';
import { Engine } from './engine.ts';
import { eventsResource } from './events.ts';
import { fabricResources } from './fabrics.ts';
import { Faults, type SimFaults } from './faults.ts';
import { interfaceResources } from './interfaces.ts';
import { poolResource, poolsResource, zoneResource, zonesResource } from './inventory.ts';
import { commissioningSteps, deploymentSteps, testingSteps } from './lifecycle.ts';
import { machineResource } from './machine.ts';
import { machinesResource } from './machines.ts';
import { describeResource, userResources, versionResource } from './misc.ts';
import { SimState } from './model.ts';
import { subnetResource, subnetsResource } from './network.ts';
import { BASE_URL, ORIGIN } from './paths.ts';
import { erasingSteps, releasingSteps } from './release.ts';
import { RequestLog, type SimRequestLog } from './requests.ts';
import { type Resource, Router } from './router.ts';
import { seedState } from './seed.ts';
import { spaceResources } from './spaces.ts';
import { S } from './status.ts';
import { storageGroupResources } from './storage-groups.ts';
import { tagResource, tagsResource } from './tags.ts';

export interface SimulatorOptions {
  /** Fleet size; default 24. Values below 24 give the first N curated machines. */
  machines?: number;
  /** PRNG seed; same seed and size → byte-identical fleet. Default 1. */
  seed?: number;
  /** Multiplies every simulated duration (1 = realistic: a deploy takes ~8 min; 0.01 = 100× faster). */
  timeScale?: number;
  clock?: Clock;
  /** Machine field set to emit: '3.7' (default) or '2.9' (70 fields, `iscsiblockdevice_set`). */
  fieldSet?: '3.7' | '2.9';
}

export interface SimUser {
  username: string;
  /** `consumer_key:token_key:token_secret`. */
  apiKey: string;
  /** MAAS admin rights, as MAAS holds them now (`sim.control.setUser` changes them). */
  readonly isSuperuser: boolean;
}

export interface Simulator {
  readonly app: Hono;
  /** A fake origin for in-process use with {@link Simulator.fetch}. */
  readonly baseUrl: string;
  /** Straight into `app.fetch`; honours faults, including network-down. */
  readonly fetch: (input: Request | string | URL, init?: RequestInit) => Promise<Response>;
  readonly users: { admin: SimUser; operator: SimUser; other: SimUser; inactive: SimUser };
  /** Every request the simulator answered, secrets redacted (the same log as `control.requests`). */
  readonly requests: SimRequestLog;
  /** The test and control API: machine states, failures, time, the request log. */
  readonly control: SimControl;
  /** Runs every pending timed transition to completion now (as `control.settle()`). */
  settle(): Promise<void>;
  /** Cancels all pending timers. */
  close(): void;
}

/** The simulator with its internals, for the simulator's own tests (`test/sim/`). */
export interface SimulatorInternals extends Simulator {
  readonly state: SimState;
  /** The timer engine (`engine.pending`, `engine.activity(node)`). */
  readonly engine: Engine;
  readonly faults: SimFaults;
}

const DEFAULT_MACHINES = 24;

function simUser(state: SimState, username: string): SimUser {
  const u = state.users.get(username);
  if (!u) throw new Error(`seed is missing user ${username}`);
  return {
    username,
    apiKey: `${u.consumerKey}:${u.tokenKey}:${u.tokenSecret}`,
    get isSuperuser() {
      return u.isSuperuser;
    },
  };
}

/** Seeded machines caught mid-operation carry on from where their event trail stops. */
function resumeSeeded(engine: Engine): void {
  for (const n of engine.state.machines()) {
    switch (n.status) {
      case S.COMMISSIONING:
        engine.run(
          n,
          'commission',
          commissioningSteps(engine, n, { skipTests: false, skipStorage: true }, 1),
        );
        break;
      case S.DEPLOYING:
        engine.run(n, 'deploy', deploymentSteps(engine, n, 3));
        break;
      case S.TESTING:
        engine.run(n, 'test', testingSteps(engine, n, false));
        break;
      case S.RELEASING:
        engine.run(n, 'release', releasingSteps(engine, n));
        break;
      case S.DISK_ERASING:
        engine.run(
          n,
          'erase',
          erasingSteps(engine, n, { erase: true, secure: false, quick: false }).slice(1),
        );
        break;
    }
  }
}

export function createSimulator(opts: SimulatorOptions = {}): SimulatorInternals {
  const clock = opts.clock ?? systemClock;
  const seed = opts.seed ?? 1;
  const timeScale = Math.max(0, opts.timeScale ?? 1);
  const state = new SimState(seed, opts.fieldSet ?? '3.7');
  seedState(state, { machines: opts.machines ?? DEFAULT_MACHINES, seed, now: clock.now() });
  const faults = new Faults();
  const engine = new Engine(state, clock, timeScale, faults);
  resumeSeeded(engine);
  const requests = new RequestLog();
  const auth = new OAuthVerifier(state, clock);
  const resources: Resource[] = [
    versionResource,
    machinesResource,
    machineResource,
    eventsResource,
    zonesResource,
    zoneResource,
    poolsResource,
    poolResource,
    tagsResource,
    tagResource,
    subnetsResource,
    subnetResource,
    ...fabricResources,
    ...dnsResources,
    ...spaceResources,
    ...deviceResources,
    ...interfaceResources,
    ...blockDeviceResources,
    ...storageGroupResources,
    ...userResources,
  ];
  resources.push(describeResource(() => resources));
  const router = new Router({ state, engine, clock, faults, requests, auth }, resources);
  const control = createControl({ state, engine, faults, clock, requests });
  const app = new Hono();
  app.all('*', (c) => router.handle(c.req.raw));

  const fetch = (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    if (faults.networkDown) return Promise.reject(new TypeError('fetch failed'));
    const target = typeof input === 'string' && input.startsWith('/') ? `${ORIGIN}${input}` : input;
    const req = target instanceof Request && init === undefined ? target : new Request(target, init);
    return Promise.resolve(app.fetch(req));
  };

  return {
    app,
    baseUrl: BASE_URL,
    fetch,
    users: {
      admin: simUser(state, 'admin'),
      operator: simUser(state, 'alice'),
      other: simUser(state, 'bob'),
      inactive: simUser(state, 'node-init'),
    },
    faults,
    state,
    requests,
    engine,
    control,
    settle: () => engine.settle(),
    close: () => engine.close(),
  };
}
