/**
 * Secret hygiene (README "Safety"). Two nets: structured values lose every field whose name looks secret,
 * and free text (error messages, log lines) loses every known secret string.
 */
import type { Config } from '../config.ts';

/** Field names whose values are never shown: BMC credentials, keys, tokens, cloud-init payloads. */
const SECRET_KEY =
  /(^|_|-)(pass|passwd|password|secret|token|api_?key|private_?key|credentials?|authorization|cookie|user_data|power_parameters|power_user)($|_|-)|password|passphrase|secret/i;

export const REDACTED = '[redacted]';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A deep copy of `value` with secret-looking fields replaced by "[redacted]". */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redact(v, depth + 1);
  return out;
}

/** Known secret strings (API key parts, tokens) to scrub from any text that leaves the process. */
export class SecretSet {
  private readonly values = new Set<string>();

  /** Registers secrets; short strings are ignored because scrubbing them would mangle ordinary words. */
  add(...secrets: (string | undefined)[]): this {
    for (const s of secrets) if (s && s.length >= 8) this.values.add(s);
    return this;
  }

  /** Registers a MAAS API key and each of its `consumer:token:secret` parts. */
  addApiKey(apiKey: string): this {
    return this.add(apiKey, ...apiKey.split(':'));
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.values) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** Scrubs every string inside a JSON-like value (a tool's structured answer), keeping its shape. */
  scrubDeep<T>(value: T): T {
    if (typeof value === 'string') return this.scrub(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.scrubDeep(v)) as T;
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.scrubDeep(v);
    return out as T;
  }
}

/**
 * Every secret string the settings hold: the Slack signing secret and tokens, the MCP auth tokens and the MAAS
 * API key with each of its parts. A MAAS key that is not a setting (the demo simulator's) is added where it is
 * chosen; the set is shared, so every logger and text already holding it scrubs that key too.
 */
export function secretsOf(config: Pick<Config, 'slack' | 'authTokens' | 'maasApiKey'>): SecretSet {
  const secrets = new SecretSet().add(
    config.slack.signingSecret,
    config.slack.botToken,
    config.slack.appToken,
  );
  for (const t of config.authTokens) secrets.add(t.token);
  if (config.maasApiKey) secrets.addApiKey(config.maasApiKey);
  return secrets;
}
