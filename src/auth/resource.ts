/**
 * maas-mcp as an OAuth 2.1 resource server (README "Sign-in with OAuth"). A request's bearer token is, in order:
 *
 * 1. one of MCP_AUTH_TOKENS (compared in constant time);
 * 2. an access token of the built-in authorization server (checked against its records);
 * 3. a JWT access token of MCP_OAUTH_ISSUER, verified with `jose` against the issuer's published keys: signature,
 *    issuer, audience (this server, RFC 8707), expiry; the role from MCP_OAUTH_ROLE_CLAIM and MCP_OAUTH_ROLES.
 *
 * A refusal is an OAuth error (RFC 6750 §3) whose `WWW-Authenticate` challenge names the protected resource
 * metadata (RFC 9728 §5.1), which {@link ResourceServer.routes} serves. Tokens never reach a log or an error text.
 */
import type { Hono } from 'hono';
import { createRemoteJWKSet, customFetch, decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../base/clock.ts';
import type { FetchLike } from '../base/fetch.ts';
import { timingSafeEqual } from '../base/hmac.ts';
import type { Logger } from '../base/log.ts';
import { type OAuthConfig, oauthEnabled } from '../config/oauth.ts';
import type { Role } from '../config/shared.ts';
import type { AuthToken } from '../config.ts';
import { claimValues, personName, roleOfValues } from './claims.ts';

/** Who a bearer token speaks for, and how it was recognised. */
export interface Identity {
  id: string;
  role: Role;
  /** `token`: MCP_AUTH_TOKENS; `oauth`: the built-in authorization server; `jwt`: MCP_OAUTH_ISSUER. */
  how: 'token' | 'oauth' | 'jwt';
}

/** Why a request was refused: an RFC 6750 error, with a description that holds no token. */
export interface BearerRefusal {
  status: 400 | 401 | 403;
  /** Absent when the request carried no credentials at all (RFC 6750 §3.1: then no error code). */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  description: string;
}

export type Authentication = { ok: true; identity: Identity } | { ok: false; refusal: BearerRefusal };

/** The built-in authorization server's side of token checking (src/auth/authorization-server.ts). */
export interface IssuedTokens {
  /**
   * The identity an access token of the built-in server stands for, if it is one, unexpired, for one of
   * `audiences`; `no_role` when the person it was issued to has no role now.
   */
  identify(token: string, audiences: readonly string[]): Promise<Identity | 'no_role' | undefined>;
}

export interface ResourceServerOptions {
  authTokens: readonly AuthToken[];
  oauth: OAuthConfig;
  clock: Clock;
  log: Logger;
  fetch: FetchLike;
  /** The built-in authorization server, when OIDC_ISSUER is set. */
  issued?: IssuedTokens;
}

/** Where a resource's protected resource metadata lives (RFC 9728 §3.1: the path after the well-known name). */
export const PRM_PATH = '/.well-known/oauth-protected-resource';

/** The endpoint resources this server protects, besides the whole server (the origin itself). */
const RESOURCE_PATHS = ['/mcp'] as const;

/** Signatures a JWT access token may carry: asymmetric only (a shared-secret HS256 token proves nothing here). */
const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** Seconds of clock difference tolerated on `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_S = 30;

interface IssuerKeys {
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

export class ResourceServer {
  private keys: Promise<IssuerKeys> | undefined;

  constructor(private readonly opts: ResourceServerOptions) {}

  /** Whether a caller must present a token at all (otherwise, on a loopback HOST, callers are the local user). */
  get required(): boolean {
    return this.opts.authTokens.length > 0 || oauthEnabled(this.opts.oauth);
  }

  /** Whether OAuth is on: the metadata is served and challenges point to it. */
  get oauth(): boolean {
    return oauthEnabled(this.opts.oauth) && this.opts.oauth.publicUrl !== undefined;
  }

  /**
   * The canonical identifier of the resource at `path` (`/mcp`, or `/` for the whole server): what tokens must be
   * issued for (RFC 8707), and what its metadata names.
   */
  resource(path: string): string {
    const base = this.opts.oauth.publicUrl ?? '';
    return path === '/' ? base : `${base}${path}`;
  }

  /** The audiences a token for `path` may carry: the resource itself, or the whole server. */
  private audiences(path: string): string[] {
    const base = this.resource('/');
    return path === '/' ? [base, `${base}/`] : [this.resource(path), base, `${base}/`];
  }

  /** Checks a request's bearer token for the resource at `path` (e.g. `/mcp`). */
  async authenticate(req: Request, path: string): Promise<Authentication> {
    const header = req.headers.get('authorization');
    if (header === null || !/^bearer(\s|$)/i.test(header.trim())) {
      return refused(401, undefined, 'Unauthorized: send Authorization: Bearer <token>');
    }
    // Looser than RFC 6750's b64token: the built-in server's tokens hold ':' and '%'.
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
    if (!m) return refused(400, 'invalid_request', 'The Authorization header must be "Bearer <token>"');
    const token = m[1] as string;

    const fixed = this.fixedToken(token);
    if (fixed) return { ok: true, identity: fixed };
    const audiences = this.audiences(path);
    if (this.opts.issued && !looksLikeJwt(token)) {
      const found = await this.opts.issued.identify(token, audiences);
      if (found === 'no_role') return noRole('your account');
      if (found) return { ok: true, identity: found };
    }
    if (this.opts.oauth.issuer && looksLikeJwt(token)) return this.verifyJwt(token, audiences);
    return refused(401, 'invalid_token', 'The access token is unknown, expired or revoked');
  }

  /** The MCP_AUTH_TOKENS entry `token` is, compared with every entry in constant time. */
  private fixedToken(token: string): Identity | undefined {
    let found: AuthToken | undefined;
    for (const t of this.opts.authTokens) if (timingSafeEqual(t.token, token)) found = t;
    return found ? { id: found.principal, role: found.role, how: 'token' } : undefined;
  }

  private async verifyJwt(token: string, audiences: string[]): Promise<Authentication> {
    const { issuer, roleClaim, roleRules } = this.opts.oauth;
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      return refused(401, 'invalid_token', 'The access token is not a well-formed JWT');
    }
    // Said before any key is fetched: a token of another issuer cannot match this issuer's keys anyway.
    if (claims.iss !== issuer) {
      return refused(401, 'invalid_token', 'The access token was issued by another authorization server');
    }
    let keys: IssuerKeys;
    try {
      keys = await this.issuerKeys();
    } catch (err) {
      this.opts.log.warn('cannot read the keys of MCP_OAUTH_ISSUER', { error: err });
      return refused(
        401,
        'invalid_token',
        'The authorization server’s keys cannot be read now; try again soon',
      );
    }
    try {
      const { payload } = await jwtVerify(token, keys.jwks, {
        issuer,
        audience: audiences,
        algorithms: JWT_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(this.opts.clock.now()),
        requiredClaims: ['exp', 'sub'],
      });
      const id = personName(payload);
      if (!id) return refused(401, 'invalid_token', 'The access token names nobody (no sub claim)');
      const role = roleOfValues(claimValues(payload, roleClaim), roleRules);
      if (!role) return noRole(`the ${roleClaim} claim of this token`);
      return { ok: true, identity: { id, role, how: 'jwt' } };
    } catch (err) {
      return refused(401, 'invalid_token', jwtProblem(err));
    }
  }

  /** The issuer's signing keys (cached and refreshed by jose), found from its metadata once. */
  private issuerKeys(): Promise<IssuerKeys> {
    if (!this.keys) {
      const issuer = this.opts.oauth.issuer as string;
      const fetchImpl = this.opts.fetch;
      this.keys = discoverMetadata(issuer, fetchImpl).then(({ jwks_uri }) => ({
        jwks: createRemoteJWKSet(new URL(jwks_uri), {
          [customFetch]: (url: string, init: RequestInit) => fetchImpl(url, init),
        }),
      }));
      // A failure is not kept: the next request asks again.
      this.keys.catch(() => {
        this.keys = undefined;
      });
    }
    return this.keys;
  }

  /** The `WWW-Authenticate` value for a refusal of a request to `path`. */
  challenge(refusal: BearerRefusal, path: string): string {
    const parts = ['realm="maas-mcp"'];
    if (refusal.error)
      parts.push(`error="${refusal.error}"`, `error_description="${quoted(refusal.description)}"`);
    if (this.oauth) parts.push(`resource_metadata="${this.metadataUrl(path)}"`);
    return `Bearer ${parts.join(', ')}`;
  }

  /** Where the metadata of the resource at `path` is published. */
  metadataUrl(path: string): string {
    return `${this.resource('/')}${PRM_PATH}${path === '/' ? '' : path}`;
  }

  /** The RFC 9728 document for the resource at `path`. */
  metadata(path: string): Record<string, unknown> {
    const { issuer, oidc, publicUrl } = this.opts.oauth;
    const servers = [...(oidc && publicUrl ? [publicUrl] : []), ...(issuer ? [issuer] : [])];
    return {
      resource: this.resource(path),
      authorization_servers: servers,
      // The built-in server's one scope, for clients that pick scopes from here (an external issuer names its own).
      ...(oidc && !issuer ? { scopes_supported: ['mcp'] } : {}),
      bearer_methods_supported: ['header'],
      resource_name: 'maas-mcp',
    };
  }

  /** Serves the protected resource metadata: for the whole server and for each endpoint (RFC 9728 §3). */
  routes(app: Hono): void {
    if (!this.oauth) return;
    for (const path of ['/', ...RESOURCE_PATHS]) {
      app.get(`${PRM_PATH}${path === '/' ? '' : path}`, (c) =>
        c.json(this.metadata(path), 200, {
          'cache-control': 'public, max-age=300',
          // Browser-based clients read it cross-origin (RFC 9728 §3 permits any origin to fetch it).
          'access-control-allow-origin': '*',
        }),
      );
    }
  }
}

function refused(
  status: BearerRefusal['status'],
  error: BearerRefusal['error'],
  description: string,
): Authentication {
  return { ok: false, refusal: { status, ...(error ? { error } : {}), description } };
}

function noRole(whose: string): Authentication {
  return refused(
    403,
    'insufficient_scope',
    `Signed in, but ${whose} grants no role in maas-mcp: ask an administrator to add you to MCP_OAUTH_ROLES (or SLACK_ROLES)`,
  );
}

function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** A quoted-string value (RFC 9110 §5.6.4) with no character that could break the header. */
function quoted(text: string): string {
  return text.replace(/[\\"]/g, "'").replace(/[^\x20-\x7e]/g, '');
}

/** What is wrong with a JWT, for the caller: never the token. */
function jwtProblem(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The access token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud')
      return 'The access token is for another resource (its audience is not this server)';
    if (err.claim === 'iss') return 'The access token was issued by another authorization server';
    if (err.claim === 'nbf' || err.claim === 'iat') return 'The access token is not valid yet';
    return `The access token's ${err.claim} claim is missing or wrong`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return 'The access token’s signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey)
    return 'The access token is signed with a key the issuer does not publish';
  if (err instanceof errors.JOSEAlgNotAllowed)
    return 'The access token is signed with an algorithm this server refuses';
  return 'The access token is not a valid JWT';
}

/** The part of an authorization server's metadata (RFC 8414, or OpenID Connect Discovery) used here. */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  [field: string]: unknown;
}

/**
 * An issuer's metadata: OpenID Connect Discovery first (`<issuer>/.well-known/openid-configuration`, what most
 * providers publish), then RFC 8414 (`/.well-known/oauth-authorization-server` inserted before the issuer's path).
 * The document must name exactly this issuer (RFC 8414 §3.3).
 */
export async function discoverMetadata(issuer: string, fetchImpl: FetchLike): Promise<IssuerMetadata> {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/$/, '');
  const candidates = [
    `${u.origin}${path}/.well-known/openid-configuration`,
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
  ];
  let last = '';
  for (const url of candidates) {
    try {
      const res = await fetchImpl(url, { headers: { accept: 'application/json' } });
      if (!res.ok) {
        last = `${url} answered HTTP ${res.status}`;
        continue;
      }
      const doc = (await res.json()) as Partial<IssuerMetadata>;
      if (doc.issuer !== issuer) {
        throw new Error(`${url} names the issuer ${JSON.stringify(doc.issuer)}, not ${issuer}`);
      }
      if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`);
      return doc as IssuerMetadata;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
  }
  throw new Error(`cannot read the metadata of ${issuer}: ${last}`);
}
