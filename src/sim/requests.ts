/**
 * A bounded record of every request the simulator answered, for tests that assert on traffic. Secrets are redacted
 * as entries are recorded: values of secret-looking keys (BMC passwords, keys), also inside a `power_parameters`
 * JSON object, and the OAuth signature and token.
 */

export interface SimRequestEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  query: [string, string][];
  /** Form body pairs for POST/PUT, secret values redacted. */
  form: [string, string][];
  status: number;
  /** The Authorization header with its signature and token redacted. */
  authorization: string | null;
}

export const REDACTED = '[redacted]';
const SECRET_KEY = /pass|secret|key/i;
const OAUTH_SECRETS = new Set(['oauth_signature', 'oauth_token']);

const isSecretKey = (key: string) => SECRET_KEY.test(key) || OAUTH_SECRETS.has(key);

/** A PLAINTEXT signature is `consumer_secret&token_secret` (`%26` in a header): each part is masked, `&` kept. */
function redactSignature(sig: string): string {
  return sig
    .split(/(%26|&)/i)
    .map((part, i) => (i % 2 === 1 || part === '' ? part : REDACTED))
    .join('');
}

function redactValue(key: string, value: string): string {
  if (key === 'oauth_signature') return redactSignature(value);
  if (isSecretKey(key)) return REDACTED;
  if (key === 'power_parameters') return redactJson(value);
  return value;
}

/** `power_parameters` as JSON (python-libmaas, the MCP tools): secret-looking members masked. */
function redactJson(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return text;
  const entries = Object.entries(parsed);
  if (!entries.some(([k]) => isSecretKey(k))) return text;
  return JSON.stringify(Object.fromEntries(entries.map(([k, v]) => [k, isSecretKey(k) ? REDACTED : v])));
}

const redactPairs = (pairs: [string, string][]): [string, string][] =>
  pairs.map(([k, v]) => [k, redactValue(k, v)]);

/** `OAuth k="v", …` with the signature and token masked; any other scheme keeps only its name. */
function redactAuthorization(header: string | null): string | null {
  if (header === null) return null;
  if (!header.startsWith('OAuth ')) {
    const scheme = /^[A-Za-z]+ /.exec(header)?.[0];
    return scheme ? `${scheme}${REDACTED}` : REDACTED;
  }
  // Values are usually quoted; piston also takes them bare.
  return header.replace(/(\w+)=("?)([^",]*)\2/g, (whole, key: string, quote: string, value: string) =>
    OAUTH_SECRETS.has(key) ? `${key}=${quote}${redactValue(key, value)}${quote}` : whole,
  );
}

function redactEntry(e: SimRequestEntry): SimRequestEntry {
  return {
    ...e,
    query: redactPairs(e.query),
    form: redactPairs(e.form),
    authorization: redactAuthorization(e.authorization),
  };
}

export interface SimRequestLog {
  /** The last 10,000 requests, oldest first. */
  readonly entries: ReadonlyArray<SimRequestEntry>;
  count(filter?: { method?: string; pathPrefix?: string; op?: string }): number;
  clear(): void;
}

const REQUEST_LOG_SIZE = 10_000;

export class RequestLog implements SimRequestLog {
  private ring: SimRequestEntry[] = [];
  private start = 0;

  get entries(): ReadonlyArray<SimRequestEntry> {
    return this.start === 0 ? this.ring : [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }

  add(raw: SimRequestEntry): void {
    const entry = redactEntry(raw);
    if (this.ring.length < REQUEST_LOG_SIZE) {
      this.ring.push(entry);
      return;
    }
    this.ring[this.start] = entry;
    this.start = (this.start + 1) % REQUEST_LOG_SIZE;
  }

  count(filter: { method?: string; pathPrefix?: string; op?: string } = {}): number {
    let n = 0;
    for (const e of this.ring) {
      if (filter.method && e.method !== filter.method.toUpperCase()) continue;
      if (filter.pathPrefix && !e.path.startsWith(filter.pathPrefix)) continue;
      if (filter.op !== undefined && opOf(e) !== filter.op) continue;
      n++;
    }
    return n;
  }

  clear(): void {
    this.ring = [];
    this.start = 0;
  }
}

function opOf(e: SimRequestEntry): string | undefined {
  return e.query.find(([k]) => k === 'op')?.[1] || e.form.find(([k]) => k === 'op')?.[1] || undefined;
}
