/**
 * Secret hygiene (README "Safety"). Two nets: structured values lose every field whose name looks secret,
 * and free text (error messages, log lines) loses every known secret string.
 */

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

/** A request's secret values shorter than this are not scrubbed verbatim (it would mangle ordinary words). */
const MIN_ECHOED = 4;
const POWER_PREFIX = 'power_parameters_';

/**
 * The secret values a MAAS request carries: every value under a secret-looking field, judging BMC settings one by
 * one — `power_parameters_power_pass` and `{"power_parameters": {"power_pass": …}}` are secret, `power_address` is
 * not. A value that is base64 text (user_data) counts decoded too, line by line.
 */
export function requestSecrets(...params: (Readonly<Record<string, unknown>> | undefined)[]): string[] {
  const out = new Set<string>();
  const walk = (key: string, value: unknown, secret: boolean) => {
    const name = key.startsWith(POWER_PREFIX) ? key.slice(POWER_PREFIX.length) : key;
    // power_parameters holds BMC settings: each is judged by its own name.
    const judged = secret || (name !== 'power_parameters' && isSecretKey(name));
    if (Array.isArray(value)) for (const v of value) walk(key, v, judged);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(k, v, judged);
    } else if (judged && (typeof value === 'string' || typeof value === 'number')) {
      const text = String(value);
      out.add(text);
      for (const decoded of base64Text(text)) out.add(decoded);
    }
  };
  for (const p of params) for (const [k, v] of Object.entries(p ?? {})) walk(k, v, false);
  return [...out].filter((v) => v.length >= MIN_ECHOED);
}

/** A base64 value's UTF-8 text and its longer lines, or nothing when it is not base64 text. */
function base64Text(value: string): string[] {
  if (value.length < 8 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return [];
  try {
    const bin = atob(value);
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
    return [
      text,
      ...text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length >= 8),
    ];
  } catch {
    return [];
  }
}

/** A key followed by `=` or `:` — `power_pass=…`, `"power_pass": "…"`, `'power_pass': '…'`, `\"power_pass\": …`. */
const KEYED = /(?:\\?["'])?([A-Za-z_][\w.-]*)(?:\\?["'])?(\s*([:=])\s*)/g;
const QUOTE = /^\\?["']/;
const BARE = /^[^\s"'\\,;&)}\]]+/;

/**
 * MAAS's error text without the secrets it may quote back (README "Safety"): the values of the request's own secret
 * fields ({@link requestSecrets}), and any value written next to a secret-looking key, as MAAS renders form data
 * or BMC settings (`power_pass=…`, `"power_pass": "…"`) — including BMC passwords of other machines that
 * maas-mcp never saw. `key: bare words` is left alone: that is how MAAS writes prose ("password: too short").
 */
export function scrubEchoed(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    const escaped = JSON.stringify(s).slice(1, -1);
    for (const form of escaped === s ? [s] : [s, escaped]) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
  }
  let result = '';
  let from = 0;
  for (const m of out.matchAll(KEYED)) {
    const key = m[1] as string;
    const name = key.startsWith(POWER_PREFIX) ? key.slice(POWER_PREFIX.length) : key;
    if ((m.index ?? 0) < from || name === 'power_parameters' || !isSecretKey(name)) continue;
    const start = (m.index ?? 0) + m[0].length;
    const rest = out.slice(start);
    const quote = QUOTE.exec(rest)?.[0];
    let keep: number; // where the redacted value ends
    if (quote) {
      let close = rest.indexOf(quote, quote.length);
      // A plain quote preceded by a backslash is inside the value ("a\"b").
      while (quote.length === 1 && close > 0 && rest[close - 1] === '\\')
        close = rest.indexOf(quote, close + 1);
      // No closing quote: redact to the end of the line rather than let the rest through.
      keep = close > 0 ? close : (/[\r\n]/.exec(rest)?.index ?? rest.length);
      result += out.slice(from, start + quote.length) + REDACTED;
    } else {
      const bare = m[3] === '=' ? BARE.exec(rest)?.[0].length : undefined;
      if (!bare) continue;
      keep = bare;
      result += out.slice(from, start) + REDACTED;
    }
    from = start + keep;
  }
  return result + out.slice(from);
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
    return scrubDeep(value, (text) => this.scrub(text));
  }
}

/** A copy of a JSON-like value with every string in it passed through `scrub`; the shape is kept. */
export function scrubDeep<T>(value: T, scrub: (text: string) => string, depth = 0): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, scrub, depth + 1);
  return out as T;
}
