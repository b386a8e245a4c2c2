/** Signing and request helpers for simulator tests: PLAINTEXT OAuth with a fresh nonce and the clock's time. */
import type { Clock, SimUser, Simulator } from '../../src/sim/index.ts';
import type { SimNode } from '../../src/sim/model.ts';
import type { SimulatorInternals } from '../../src/sim/simulator.ts';

let nonceSeq = 0;

export interface SignOptions {
  clock?: Clock;
  nonce?: string;
  timestamp?: number;
  signature?: string;
  consumerKey?: string;
  tokenKey?: string;
}

/** The Authorization header a MAAS client sends (gomaasapi/python-libmaas style). */
export function authHeader(apiKey: string, opts: SignOptions = {}): string {
  const [ck, tk, secret] = apiKey.split(':');
  const ts = opts.timestamp ?? Math.floor((opts.clock?.now() ?? Date.now()) / 1000);
  const nonce = opts.nonce ?? `n${++nonceSeq}-${Math.random().toString(36).slice(2)}`;
  const sig = opts.signature ?? `%26${encodeURIComponent(secret ?? '')}`;
  return [
    'OAuth realm=""',
    'oauth_version="1.0"',
    'oauth_signature_method="PLAINTEXT"',
    `oauth_consumer_key="${opts.consumerKey ?? ck}"`,
    `oauth_token="${opts.tokenKey ?? tk}"`,
    `oauth_signature="${sig}"`,
    `oauth_nonce="${nonce}"`,
    `oauth_timestamp="${ts}"`,
  ].join(', ');
}

export type Who = SimUser | null;

export interface CallOptions extends SignOptions {
  form?: Record<string, string | string[]> | [string, string][];
  multipart?: boolean;
  headers?: Record<string, string>;
}

function toPairs(form: CallOptions['form']): [string, string][] {
  if (!form) return [];
  if (Array.isArray(form)) return form;
  return Object.entries(form).flatMap(([k, v]) =>
    Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v] as [string, string]],
  );
}

/** A signed request through `sim.fetch`; `path` is relative to /MAAS/api/2.0/ unless it starts with '/'. */
export function call(
  sim: Simulator,
  who: Who,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Response> {
  const url = path.startsWith('/')
    ? `${sim.baseUrl.replace(/\/MAAS$/, '')}${path}`
    : `${sim.baseUrl}/api/2.0/${path}`;
  const headers: Record<string, string> = { ...opts.headers };
  if (who) headers.Authorization = authHeader(who.apiKey, { ...opts, clock: opts.clock ?? clockOf(sim) });
  let body: string | FormData | undefined;
  const pairs = toPairs(opts.form);
  if (method === 'POST' || method === 'PUT') {
    if (opts.multipart) {
      const fd = new FormData();
      for (const [k, v] of pairs) fd.append(k, v);
      body = fd;
    } else {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(pairs).toString();
    }
  }
  return sim.fetch(url, { method, headers, body });
}

const clocks = new WeakMap<Simulator, Clock>();

/** Registers the clock a simulator was built with, so signed timestamps follow it. */
export function useClock<T extends Simulator>(sim: T, clock: Clock): T {
  clocks.set(sim, clock);
  return sim;
}

function clockOf(sim: Simulator): Clock | undefined {
  return clocks.get(sim);
}

export async function json<T = unknown>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export type MachineJson = Record<string, unknown> & {
  system_id: string;
  hostname: string;
  status: number;
  status_name: string;
  owner: string | null;
  power_state: string;
  status_message: string | null;
  locked: boolean;
};

export function sid(sim: Simulator, hostname: string): string {
  return sim.control.systemId(hostname);
}

export async function getMachine(sim: Simulator, who: Who, hostname: string): Promise<MachineJson> {
  const res = await call(sim, who, 'GET', `machines/${sid(sim, hostname)}/`);
  if (res.status !== 200) throw new Error(`GET ${hostname}: ${res.status} ${await res.text()}`);
  return json<MachineJson>(res);
}

export function op(
  sim: Simulator,
  who: Who,
  hostname: string,
  name: string,
  form: CallOptions['form'] = {},
  method = 'POST',
) {
  return call(sim, who, method, `machines/${sid(sim, hostname)}/?op=${name}`, { form });
}

/** Puts a machine straight into a status through `sim.control`, cancelling whatever it was doing. */
export function force(sim: Simulator, hostname: string, status: number, owner?: string | null) {
  sim.control.setMachine(hostname, {
    status,
    owner: owner !== undefined ? owner : status === 0 || status === 4 ? null : 'admin',
    locked: false,
    errorDescription: '',
  });
  return sim.control.machine(hostname);
}

/** The simulator's own record of a machine, to change what neither the API nor `sim.control` changes. */
export function record(sim: SimulatorInternals, ref: string): SimNode {
  const n = sim.state.machine(ref) ?? sim.state.machineByHostname(ref);
  if (!n) throw new Error(`no machine ${ref}`);
  return n;
}

/** An answer read once: status, content type and body (parse it with `json()`). */
export interface Answer {
  status: number;
  type: string | null;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** A signed request whose answer is read at once. */
export async function req(
  sim: Simulator,
  who: Who,
  method: string,
  path: string,
  form?: CallOptions['form'],
): Promise<Answer> {
  const res = await call(sim, who, method, path, form === undefined ? {} : { form });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    text,
    json: <T>() => JSON.parse(text) as T,
  };
}

/** `[status, body]`, the pair most refusals are checked by. */
export const answer = (a: Answer): [number, string] => [a.status, a.text];
