/**
 * OAuth 1.0 PLAINTEXT verification as MAAS (via piston) does it (MAAS `maasserver/api/auth.py`): the header parse,
 * the check order (version, consumer, token, timestamp, nonce, signature) and the exact 401 texts.
 */
import type { Clock } from './clock.ts';
import { forbidden, type Params, SimHttpError } from './http.ts';
import { pyRepr } from './json.ts';
import type { SimState, SimUserRecord } from './model.ts';

const REQUIRED = [
  'oauth_consumer_key',
  'oauth_token',
  'oauth_signature',
  'oauth_signature_method',
  'oauth_timestamp',
  'oauth_nonce',
] as const;

/** Seconds a timestamp may lag, and how long nonces are remembered (`OAuthServer.timestamp_threshold`). */
const TIMESTAMP_THRESHOLD = 300;

function unquote(s: string): string {
  // Python's `unquote` leaves `+` alone and passes malformed escapes through.
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** piston's `_split_header`: must start `OAuth `; parts containing "realm" are skipped. */
function parseOAuthHeader(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header?.startsWith('OAuth ')) return out;
  for (const part of header.slice(6).split(',')) {
    if (part.includes('realm')) continue;
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"+|"+$/g, '');
    out[key] = unquote(value);
  }
  return out;
}

const unauthorized = (message: string) =>
  new SimHttpError(401, `Authorization Error: ${message}`, { 'WWW-Authenticate': 'OAuth realm="OAuth"' });
const oauthError = (message: string) => unauthorized(pyRepr(message));

/** Anonymous (null) or the authenticated user; throws the 401/403 MAAS would give. */
export class OAuthVerifier {
  private readonly nonces = new Map<string, number>();
  private lastPrune = 0;

  constructor(
    private readonly state: SimState,
    private readonly clock: Clock,
  ) {}

  authenticate(header: string | null, query: Params, form: Params): SimUserRecord | null {
    const params: Record<string, string> = {};
    for (const p of [query, form]) for (const [k, v] of p.pairs) if (k.startsWith('oauth_')) params[k] = v;
    Object.assign(params, parseOAuthHeader(header));
    if (!REQUIRED.every((k) => params[k] !== undefined)) return null;
    const user = this.verify(params);
    if (!user.isActive) throw forbidden('User is not allowed access to this API.');
    return user;
  }

  private verify(p: Record<string, string>): SimUserRecord {
    const version = p.oauth_version;
    if (version !== undefined && version !== '1.0')
      throw oauthError(`OAuth version ${version} not supported.`);
    const consumerKey = p.oauth_consumer_key ?? '';
    const tokenKey = p.oauth_token ?? '';
    let consumerUser: SimUserRecord | undefined;
    for (const u of this.state.users.values()) if (u.consumerKey === consumerKey) consumerUser = u;
    if (!consumerUser) throw unauthorized('Invalid API key.');
    const user = consumerUser.tokenKey === tokenKey ? consumerUser : undefined;
    if (!user) throw oauthError(`Invalid access token: ${tokenKey}`);
    const nowSec = Math.floor(this.clock.now() / 1000);
    const tsText = p.oauth_timestamp ?? '';
    if (!/^\s*\d+\s*$/.test(tsText)) throw oauthError(`Invalid timestamp: ${tsText}`);
    const ts = Number.parseInt(tsText, 10);
    if (nowSec - ts > TIMESTAMP_THRESHOLD) {
      throw oauthError(
        `Expired timestamp: given ${ts} and now ${nowSec} has a greater difference than threshold ${TIMESTAMP_THRESHOLD}`,
      );
    }
    this.checkNonce(consumerKey, tokenKey, p.oauth_nonce ?? '');
    const method = p.oauth_signature_method ?? '';
    if (method !== 'PLAINTEXT' && method !== 'HMAC-SHA1') {
      throw oauthError(
        `Signature method ${method} not supported try one of the following: HMAC-SHA1, PLAINTEXT`,
      );
    }
    // The real message echoes the expected base string, i.e. the token secret; the simulator does not.
    if (method !== 'PLAINTEXT' || p.oauth_signature !== `&${user.tokenSecret}`) {
      throw oauthError('Invalid signature. Expected signature base string: &<token secret>');
    }
    return user;
  }

  /** piston stores the nonce before checking the signature, so even a rejected request uses it up. */
  private checkNonce(consumerKey: string, tokenKey: string, nonce: string): void {
    const now = this.clock.now();
    this.prune(now);
    const key = `${consumerKey}\u0000${tokenKey}\u0000${nonce}`;
    if (this.nonces.has(key)) throw oauthError(`Nonce already used: ${nonce}`);
    this.nonces.set(key, now);
  }

  /** Drops nonces older than the threshold; insertion order is time order, so this stops at the first young one. */
  private prune(now: number): void {
    if (now - this.lastPrune < 10_000 && this.nonces.size < 50_000) return;
    this.lastPrune = now;
    const cutoff = now - TIMESTAMP_THRESHOLD * 1000;
    for (const [k, t] of this.nonces) {
      if (t >= cutoff) break;
      this.nonces.delete(k);
    }
  }
}
