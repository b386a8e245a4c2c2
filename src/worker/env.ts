/**
 * Reading the Worker's environment (its type, `Env`, is beside the Durable Object in src/worker/object.ts): every
 * setting as a string (`[vars]` in wrangler.toml, secrets from `wrangler secret put`). Read here, once per request,
 * and nowhere else.
 */
import { type Config, ConfigError, parseConfig } from '../config.ts';

/** The string-valued entries of `env` — settings, not bindings — as `parseConfig` takes them. */
export function settingsOf(env: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The settings as a Worker applies them. Workflows need a process that outlives a request (README "Workflows"), so
 * a Worker does not offer their toolset, whatever MAAS_MCP_TOOLSETS says.
 */
export function workerConfigOf(env: Readonly<Record<string, unknown>>): Config {
  const config = parseConfig(settingsOf(env));
  const toolsets = new Set(config.toolsets);
  toolsets.delete('workflows');
  return { ...config, toolsets };
}

/** Whether the demo simulator replaces MAAS, and how fast its machines move. */
export interface DemoSettings {
  enabled: boolean;
  timeScale: number;
}

/** MAAS_MCP_DEMO and MAAS_MCP_DEMO_TIME_SCALE, checked like every other setting (one clear line). */
export function demoOf(env: { MAAS_MCP_DEMO?: unknown; MAAS_MCP_DEMO_TIME_SCALE?: unknown }): DemoSettings {
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
