/**
 * Browser sign-in for the status page (README "Status page"): a person's browser cannot send a bearer token, so
 * with the built-in sign-in configured (OIDC_ISSUER) the page signs them in at the same provider, with the same
 * client code and the same rules as the built-in authorization server (upstream.ts, person.ts), and keeps who they
 * are in a cookie sealed with the server's key (AES-GCM). The cookie holds what the provider said (never a code
 * or a token) and when it lapses; the role is worked out from it on every request. It speaks for the person on the
 * page's routes only, never on /mcp (src/http/access.ts): a browser sends cookies with other sites' requests too.
 *
 * Stateless, so it holds on Workers, where every request may meet another isolate.
 */
import { type AeadKey, derivedKey, seal, unseal } from '../base/aead.ts';
import type { Clock } from '../base/clock.ts';
import type { FetchLike } from '../base/fetch.ts';
import { timingSafeEqual } from '../base/hmac.ts';
import { randomBase64url } from '../base/ids.ts';
import type { Logger } from '../base/log.ts';
import { isLoopbackHost } from '../config/shared.ts';
import type { Principal } from '../core/access.ts';
import { type PersonRules, personOf, roleOfPerson, roleSetting, type SignedInPerson } from './person.ts';
import { OidcClient, UpstreamError } from './upstream.ts';

/** Where the provider sends the browser back: register `<MCP_PUBLIC_URL>/login/callback` there. */
export const PAGE_CALLBACK_PATH = '/login/callback';
/** How long a page session lasts from sign-in (a working day). */
export const SESSION_TTL_MS = 12 * 3600_000;
/** How long a sign-in may take at the provider. */
export const LOGIN_TTL_MS = 10 * 60_000;
/** A sealed cookie larger than this keeps only the claim values today's rules name (browsers cap a cookie at 4 KB). */
const COOKIE_MAX = 3500;

export interface PageSignInOptions extends PersonRules {
  oauth: PersonRules['oauth'] & { publicUrl: string };
  /** The server's key (Deps.sealKey): the cookies are sealed under a key made from it for this use alone. */
  sealKey: string;
  fetch: FetchLike;
  clock: Clock;
  log: Logger;
}

/** A browser's session, as a caller check sees it. */
export type PageSession =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; description: string };

/** What a finished sign-in answers: on to the page with the session cookie, or a page that says why not. */
export type SignInResult =
  | { ok: true; principal: Principal; cookies: string[] }
  | { ok: false; status: 400 | 403 | 503; description: string; cookies: string[] };

interface LoginState {
  state: string;
  nonce: string;
  verifier?: string;
  until: number;
}

interface SessionState {
  person: SignedInPerson;
  until: number;
}

export class PageSignIn {
  private readonly oidc: OidcClient;
  private key: Promise<AeadKey> | undefined;
  /** Cookies marked Secure (and `__Host-` named) unless the page is served from this machine over http. */
  private readonly secure: boolean;

  constructor(private readonly opts: PageSignInOptions) {
    const { publicUrl, oidc } = opts.oauth;
    this.oidc = new OidcClient(oidc, `${publicUrl}${PAGE_CALLBACK_PATH}`, opts.fetch, opts.clock);
    const url = new URL(publicUrl);
    this.secure = url.protocol === 'https:' || !isLoopbackHost(url.hostname);
  }

  private get sessionCookie(): string {
    return this.secure ? '__Host-maas-mcp-page' : 'maas-mcp-page';
  }

  private get loginCookie(): string {
    return this.secure ? '__Host-maas-mcp-login' : 'maas-mcp-login';
  }

  private sealKey(): Promise<AeadKey> {
    this.key ??= derivedKey(this.opts.sealKey, 'page session');
    return this.key;
  }

  private cookie(name: string, value: string, maxAgeS: number): string {
    return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${this.secure ? '; Secure' : ''}`;
  }

  /** Set-Cookie lines that remove the session (and a sign-in under way). */
  clearCookies(): string[] {
    return [this.cookie(this.sessionCookie, '', 0), this.cookie(this.loginCookie, '', 0)];
  }

  /** Whether `req` carries a session cookie at all (valid or not). */
  hasSession(req: Request): boolean {
    return cookieOf(req, this.sessionCookie) !== undefined;
  }

  /** GET /login: where to send the browser (the provider), and the sealed, short-lived cookie that ties it back. */
  async begin(): Promise<{ location: string; cookies: string[] } | { status: 503; description: string }> {
    let started: Awaited<ReturnType<OidcClient['begin']>>;
    try {
      started = await this.oidc.begin();
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      this.opts.log.warn('page sign-in could not start', { error: err.description });
      return { status: 503, description: err.description };
    }
    const login: LoginState = {
      state: randomBase64url(24),
      ...started.pending,
      until: this.opts.clock.now() + LOGIN_TTL_MS,
    };
    const sealed = await seal(await this.sealKey(), JSON.stringify(login), 'login');
    return {
      location: started.url(login.state),
      cookies: [this.cookie(this.loginCookie, sealed, LOGIN_TTL_MS / 1000)],
    };
  }

  /** GET /login/callback: checks the state, finishes the sign-in at the provider, and opens a session. */
  async finish(req: Request): Promise<SignInResult> {
    const cleared = [this.cookie(this.loginCookie, '', 0)];
    const params = new URL(req.url).searchParams;
    const raw = cookieOf(req, this.loginCookie);
    const text = raw ? await unseal(await this.sealKey(), raw, 'login') : undefined;
    const login = text ? (JSON.parse(text) as LoginState) : undefined;
    if (!login || login.until < this.opts.clock.now()) {
      return refusal(
        400,
        'This sign-in has expired or was started in another browser; sign in again',
        cleared,
      );
    }
    if (!timingSafeEqual(params.get('state') ?? '', login.state)) {
      return refusal(
        400,
        'This sign-in answer is not for the sign-in this browser started (state); sign in again',
        cleared,
      );
    }
    let person: SignedInPerson | undefined;
    try {
      const claims = await this.oidc.finish(params, {
        nonce: login.nonce,
        ...(login.verifier ? { verifier: login.verifier } : {}),
      });
      person = personOf(this.opts, claims);
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      this.opts.log.info('page sign-in refused', { error: err.description });
      return refusal(err.code === 'temporarily_unavailable' ? 503 : 403, err.description, cleared);
    }
    if (!person) return refusal(403, 'The provider did not say who you are', cleared);
    const role = await roleOfPerson(this.opts, person);
    if (!role) {
      this.opts.log.info('page sign-in refused: no role', { principal: person.id });
      return refusal(
        403,
        `${person.id} has no role in maas-mcp; ask an administrator to add you to ${roleSetting(this.opts.oauth.oidc)}`,
        cleared,
      );
    }
    const until = this.opts.clock.now() + SESSION_TTL_MS;
    const sealed = await this.sealSession(person, until);
    this.opts.log.info('signed in to the status page', { principal: person.id, role });
    return {
      ok: true,
      principal: { id: person.id, role, via: 'mcp' },
      cookies: [...cleared, this.cookie(this.sessionCookie, sealed, SESSION_TTL_MS / 1000)],
    };
  }

  private async sealSession(person: SignedInPerson, until: number): Promise<string> {
    const key = await this.sealKey();
    const sealed = await seal(key, JSON.stringify({ person, until } satisfies SessionState), 'session');
    if (sealed.length <= COOKIE_MAX) return sealed;
    // A person in hundreds of groups: keep the ones today's rules name (a rule added later needs a new sign-in).
    const named = new Set(this.opts.oauth.roleRules.map((r) => r.value));
    const kept = { ...person, values: person.values.filter((v) => named.has(v)) };
    return seal(key, JSON.stringify({ person: kept, until } satisfies SessionState), 'session');
  }

  /** The person a request's session cookie speaks for, with their role today; undefined without a cookie. */
  async session(req: Request): Promise<PageSession | undefined> {
    const raw = cookieOf(req, this.sessionCookie);
    if (raw === undefined) return undefined;
    const text = await unseal(await this.sealKey(), raw, 'session');
    let state: SessionState | undefined;
    try {
      state = text ? (JSON.parse(text) as SessionState) : undefined;
    } catch {
      state = undefined;
    }
    if (!state || typeof state.until !== 'number' || typeof state.person?.id !== 'string') {
      return { ok: false, status: 401, description: 'Your page session is not valid here; sign in again' };
    }
    if (state.until < this.opts.clock.now()) {
      return { ok: false, status: 401, description: 'Your page session has expired; sign in again' };
    }
    const role = await roleOfPerson(this.opts, state.person);
    if (!role) {
      return {
        ok: false,
        status: 403,
        description: `Signed in, but ${state.person.id} has no role in maas-mcp now: ask an administrator to add you to ${roleSetting(this.opts.oauth.oidc)}`,
      };
    }
    return { ok: true, principal: { id: state.person.id, role, via: 'mcp' } };
  }
}

function refusal(status: 400 | 403 | 503, description: string, cookies: string[]): SignInResult {
  return { ok: false, status, description, cookies };
}

/** The value of cookie `name` in `req`'s Cookie header. */
function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
