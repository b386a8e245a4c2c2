/**
 * Signing a person in at the upstream OpenID Connect provider (OIDC_ISSUER): maas-mcp is an ordinary confidential
 * client there (authorization code, with PKCE when the provider offers it, a nonce, and `iss` checked per
 * RFC 9207). Works with any provider that publishes OpenID Connect Discovery, Slack's "Sign in with Slack" too.
 */
import { createRemoteJWKSet, customFetch, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../base/clock.ts';
import type { FetchLike } from '../base/fetch.ts';
import { randomBase64url } from '../base/ids.ts';
import type { OidcUpstream } from '../config/oauth.ts';
import { discoverMetadata, type IssuerMetadata } from './resource.ts';

/** A sign-in that failed at or after the provider: `description` is safe to show (no code, token or secret). */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly code: 'access_denied' | 'server_error' | 'temporarily_unavailable',
    readonly description: string,
  ) {
    super(description);
  }
}

/** What the callback needs to finish a sign-in: saved, sealed, by the authorization server library. */
export interface PendingSignIn {
  nonce: string;
  verifier?: string;
}

interface Provider {
  meta: IssuerMetadata & { authorization_endpoint: string; token_endpoint: string };
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

const CLOCK_TOLERANCE_S = 60;

export class OidcClient {
  private provider: Promise<Provider> | undefined;

  constructor(
    private readonly upstream: OidcUpstream,
    /** Where the provider sends the person back: `<MCP_PUBLIC_URL>/oauth/callback`. */
    private readonly callbackUrl: string,
    private readonly fetch: FetchLike,
    private readonly clock: Clock,
  ) {}

  /** The issuer's metadata and keys, read once (a failure is forgotten, so the next sign-in tries again). */
  private discover(): Promise<Provider> {
    if (!this.provider) {
      const fetchImpl = this.fetch;
      this.provider = discoverMetadata(this.upstream.issuer, fetchImpl).then((meta) => {
        if (typeof meta.authorization_endpoint !== 'string' || typeof meta.token_endpoint !== 'string') {
          throw new Error(`${this.upstream.issuer} publishes no authorization or token endpoint`);
        }
        return {
          meta: meta as Provider['meta'],
          jwks: createRemoteJWKSet(new URL(meta.jwks_uri), {
            [customFetch]: (url: string, init: RequestInit) => fetchImpl(url, init),
          }),
        };
      });
      this.provider.catch(() => {
        this.provider = undefined;
      });
    }
    return this.provider;
  }

  /**
   * Starts a sign-in: what the callback will need, and where to send the browser given the `state` that brings it
   * back to this sign-in.
   */
  async begin(): Promise<{ pending: PendingSignIn; url: (state: string) => string }> {
    const { meta } = await this.discover().catch((err: unknown) => {
      throw new UpstreamError('temporarily_unavailable', unreachable(this.upstream.issuer, err));
    });
    const pending: PendingSignIn = { nonce: randomBase64url(16) };
    const url = new URL(meta.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.upstream.clientId);
    url.searchParams.set('redirect_uri', this.callbackUrl);
    url.searchParams.set('scope', this.upstream.scopes.join(' '));
    url.searchParams.set('nonce', pending.nonce);
    const methods = meta.code_challenge_methods_supported;
    if (Array.isArray(methods) && methods.includes('S256')) {
      pending.verifier = randomBase64url(32);
      url.searchParams.set('code_challenge', await s256(pending.verifier));
      url.searchParams.set('code_challenge_method', 'S256');
    }
    return {
      pending,
      url: (state) => {
        url.searchParams.set('state', state);
        return url.href;
      },
    };
  }

  /** Ends a sign-in at the callback: the person's verified claims (ID token, and user info when offered). */
  async finish(params: URLSearchParams, pending: PendingSignIn): Promise<JWTPayload> {
    const error = params.get('error');
    if (error) {
      throw new UpstreamError(
        'access_denied',
        `${this.upstream.issuer} did not sign you in (${safe(error)}${params.get('error_description') ? `: ${safe(params.get('error_description') ?? '')}` : ''})`,
      );
    }
    const { meta, jwks } = await this.discover().catch((err: unknown) => {
      throw new UpstreamError('temporarily_unavailable', unreachable(this.upstream.issuer, err));
    });
    // RFC 9207: an answer that says it comes from another issuer is a mix-up attack, not a sign-in.
    const iss = params.get('iss');
    if (iss !== null ? iss !== meta.issuer : meta.authorization_response_iss_parameter_supported === true) {
      throw new UpstreamError('access_denied', 'The sign-in answer did not come from the expected provider');
    }
    const code = params.get('code');
    if (!code) throw new UpstreamError('access_denied', 'The provider sent no authorization code back');
    const tokens = await this.redeem(meta, code, pending);
    let claims: JWTPayload;
    try {
      const verified = await jwtVerify(tokens.id_token, jwks, {
        issuer: meta.issuer,
        audience: this.upstream.clientId,
        algorithms: idTokenAlgorithms(meta),
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      claims = verified.payload;
    } catch {
      throw new UpstreamError('access_denied', 'The provider’s ID token did not verify');
    }
    if (claims.nonce !== pending.nonce) {
      throw new UpstreamError('access_denied', 'The provider’s ID token is not for this sign-in (nonce)');
    }
    if (claims.azp !== undefined && claims.azp !== this.upstream.clientId) {
      throw new UpstreamError('access_denied', 'The provider’s ID token was issued to another client');
    }
    // Some providers put groups and e-mail only in the user info; the ID token's own claims win.
    if (typeof meta.userinfo_endpoint === 'string' && tokens.access_token) {
      const info = await this.userInfo(meta.userinfo_endpoint, tokens.access_token);
      if (info?.sub === claims.sub) claims = { ...info, ...claims };
    }
    return claims;
  }

  private async redeem(
    meta: Provider['meta'],
    code: string,
    pending: PendingSignIn,
  ): Promise<{ id_token: string; access_token?: string }> {
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.callbackUrl,
    });
    if (pending.verifier) body.set('code_verifier', pending.verifier);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const methods = meta.token_endpoint_auth_methods_supported;
    // client_secret_basic is the default (OpenID Connect Discovery); some providers only take the secret posted.
    if (
      Array.isArray(methods) &&
      !methods.includes('client_secret_basic') &&
      methods.includes('client_secret_post')
    ) {
      body.set('client_id', this.upstream.clientId);
      body.set('client_secret', this.upstream.clientSecret);
    } else {
      const user = encodeURIComponent(this.upstream.clientId);
      const pass = encodeURIComponent(this.upstream.clientSecret);
      headers.authorization = `Basic ${btoa(`${user}:${pass}`)}`;
    }
    let res: Response;
    try {
      res = await this.fetch(meta.token_endpoint, { method: 'POST', headers, body: body.toString() });
    } catch (err) {
      throw new UpstreamError('temporarily_unavailable', unreachable(this.upstream.issuer, err));
    }
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    // Slack's token endpoint answers HTTP 200 with ok: false.
    if (!res.ok || answer.ok === false || typeof answer.id_token !== 'string') {
      const why = typeof answer.error === 'string' ? safe(answer.error) : `HTTP ${res.status}`;
      throw new UpstreamError('access_denied', `The provider refused to finish the sign-in (${why})`);
    }
    return {
      id_token: answer.id_token,
      ...(typeof answer.access_token === 'string' ? { access_token: answer.access_token } : {}),
    };
  }

  private async userInfo(endpoint: string, accessToken: string): Promise<JWTPayload | undefined> {
    try {
      const res = await this.fetch(endpoint, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      });
      if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return undefined;
      const info = (await res.json()) as JWTPayload & { ok?: boolean };
      return info.ok === false ? undefined : info;
    } catch {
      return undefined;
    }
  }
}

/** The ID token signatures accepted: what the provider says it uses, never `none` nor a shared secret. */
function idTokenAlgorithms(meta: IssuerMetadata): string[] {
  const said = meta.id_token_signing_alg_values_supported;
  const algs = Array.isArray(said) ? said.filter((a): a is string => typeof a === 'string') : ['RS256'];
  return algs.filter((a) => a !== 'none' && !a.startsWith('HS'));
}

function unreachable(issuer: string, err: unknown): string {
  return `Cannot reach the sign-in provider ${issuer} now (${err instanceof Error ? safe(err.message) : 'unknown error'}); try again soon`;
}

/** Text from the provider, kept short and printable. */
function safe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '').slice(0, 200);
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function s256(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}
