/**
 * The Worker's environment: the Durable Object binding, plus every setting as a string (`[vars]` in
 * wrangler.toml, secrets from `wrangler secret put`). Read here, once per request, and nowhere else.
 */
import { ConfigError } from '../config.ts';
import type { MaasMcpObject } from './object.ts';

/** What a Worker request and the Durable Object get as `env`. */
export interface Env {
  /** The one Durable Object that holds the store, runs the poller and (in demo mode) the simulator. */
  MAAS_MCP: DurableObjectNamespace<MaasMcpObject>;
  /**
   * Optional Workers VPC service (`[[vpc_services]]` binding) that reaches an on-prem MAAS through a Cloudflare
   * Tunnel without publishing it; when bound, every MAAS request goes through it.
   */
  MAAS_VPC?: Fetcher;
  /** `true` runs against a simulator living in the Durable Object instead of MAAS_URL. */
  MAAS_MCP_DEMO?: string;
  /** The demo simulator's time scale (simulated durations × this); default 0.05. */
  MAAS_MCP_DEMO_TIME_SCALE?: string;
  /** Everything else `parseConfig` reads: MAAS_URL, MAAS_API_KEY, HOST, MCP_AUTH_TOKENS, SLACK_*, … */
  [setting: string]: unknown;
}

/** The name of the single Durable Object instance: one store and one poller for the whole deployment. */
export const OBJECT_NAME = 'main';

/** The string-valued entries of `env` — settings, not bindings — as `parseConfig` takes them. */
export function settingsOf(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Whether the demo simulator replaces MAAS, and how fast its machines move. */
export interface DemoSettings {
  enabled: boolean;
  timeScale: number;
}

/** MAAS_MCP_DEMO and MAAS_MCP_DEMO_TIME_SCALE, checked like every other setting (one clear line). */
export function demoOf(env: Env): DemoSettings {
  const raw = String(env.MAAS_MCP_DEMO ?? '')
    .trim()
    .toLowerCase();
  let enabled: boolean;
  if (['1', 'true', 'yes', 'on'].includes(raw)) enabled = true;
  else if (['0', 'false', 'no', 'off', ''].includes(raw)) enabled = false;
  else throw new ConfigError('MAAS_MCP_DEMO must be true or false (also accepted: 1/0, yes/no, on/off)');
  const scaleRaw = String(env.MAAS_MCP_DEMO_TIME_SCALE ?? '').trim();
  const timeScale = scaleRaw === '' ? 0.05 : Number(scaleRaw);
  if (!Number.isFinite(timeScale) || timeScale < 0.0001 || timeScale > 100_000) {
    throw new ConfigError('MAAS_MCP_DEMO_TIME_SCALE must be a number from 0.0001 to 100000 (e.g. 0.05)');
  }
  return { enabled, timeScale };
}

/** The Durable Object stub every request and the poller share. */
export function objectStub(env: Env): DurableObjectStub<MaasMcpObject> {
  return env.MAAS_MCP.get(env.MAAS_MCP.idFromName(OBJECT_NAME));
}
