/**
 * The built-in OAuth 2.1 authorization server (README "Sign-in with OAuth"), for teams without one: Cloudflare's
 * `@cloudflare/workers-oauth-provider` does the protocol — client registration (RFC 7591), PKCE (S256 only),
 * resource indicators (RFC 8707), `iss` in answers (RFC 9207), short-lived access tokens with rotating refresh
 * tokens, refusal of a replayed code with revocation of what it issued — on Node and on Workers alike, with its
 * records in the Store. People sign in at the upstream OpenID Connect provider (OIDC_ISSUER), after a consent page
 * that says which client asks and where its tokens go.
 *
 * A person's role is worked out again on every request from what the provider said at sign-in (the values of the
 * role claim, or their Slack user id) and today's MCP_OAUTH_ROLES or SLACK_ROLES: a changed rule applies at once.
 */
import type { AuthRequest, OAuthAuthorizationServer, OAuthHelpers } from '@cloudflare/workers-oauth-provider';

/** The library's module, loaded on first use. */
type Library = typeof import('@cloudflare/workers-oauth-provider');

import type { Context } from 'hono';
import type { Clock } from '../base/clock.ts';
import type { FetchLike } from '../base/fetch.ts';
import type { Logger } from '../base/log.ts';
import type { OAuthConfig, OidcUpstream } from '../config/oauth.ts';
import type { Role } from '../config/shared.ts';
import type { Store } from '../store/types.ts';
import { storeKv } from './kv.ts';
import { consentPage, errorPage } from './pages.ts';
import { personOf, roleOfPerson, roleSetting, type SignedInPerson } from './person.ts';
import type { Identity, IssuedTokens } from './resource.ts';
import { OidcClient, type PendingSignIn, UpstreamError } from './upstream.ts';

/** How long an access token lasts: clients refresh it, and a changed role or a revoked grant bites soon. */
export const ACCESS_TOKEN_TTL_S = 10 * 60;
/** How long a refresh token lasts at most, and unused. */
export const REFRESH_TOKEN_TTL_S = 30 * 24 * 3600;
export const REFRESH_TOKEN_IDLE_TTL_S = 7 * 24 * 3600;

/** The scope every token carries: the MCP endpoint. What a person may do there is their role, not a scope. */
const SCOPES = ['mcp', 'offline_access'];

/**
 * The paths the built-in authorization server answers (Hono patterns): the consent page, the provider's callback,
 * and the library's token endpoint (which also revokes), client registration and metadata (RFC 8414).
 */
export const AUTHORIZATION_SERVER_PATHS = [
  '/authorize',
  '/oauth/callback',
  '/token',
  '/register',
  '/register/*',
  '/.well-known/oauth-authorization-server',
  '/.well-known/oauth-authorization-server/*',
] as const;

/** What a grant remembers of the person, encrypted at rest by the library (props). */
export type { SignedInPerson } from './person.ts';

export interface AuthorizationServerOptions {
  oauth: OAuthConfig & { publicUrl: string; oidc: OidcUpstream };
  store: Store;
  clock: Clock;
  log: Logger;
  fetch: FetchLike;
  /** A Slack user's role by SLACK_ROLES (user-group rules ask Slack), for Sign in with Slack. */
  slackRole?: (userId: string) => Promise<Role | undefined>;
  /**
   * Accept client ID metadata documents (clients named by an https URL). Only where outgoing fetches cannot reach
   * private addresses (Workers with `global_fetch_strictly_public`): the library fetches the URL a client names.
   */
  clientMetadataDocuments?: boolean;
}

/** The library's environment: its storage binding. */
interface LibraryEnv {
  OAUTH_KV: ReturnType<typeof storeKv>;
}

export class AuthorizationServer implements IssuedTokens {
  private readonly env: LibraryEnv;
  private readonly api: OAuthHelpers;
  private readonly oidc: OidcClient;
  private readonly resources: string[];
  private readonly serialise: <T>(work: () => Promise<T>) => Promise<T>;

  private constructor(
    private readonly opts: AuthorizationServerOptions,
    private readonly lib: Library,
    private readonly server: OAuthAuthorizationServer<LibraryEnv>,
    resources: string[],
  ) {
    this.env = { OAUTH_KV: storeKv(opts.store, opts.clock) };
    this.api = server.getOAuthApi(this.env);
    this.resources = resources;
    const { publicUrl, oidc } = opts.oauth;
    this.oidc = new OidcClient(oidc, `${publicUrl}/oauth/callback`, opts.fetch, opts.clock);
    // Token requests one at a time (the code's single use is a read then a write): a Worker forwards /token to its
    // Durable Object, so one process serves them there too.
    this.serialise = inOrder();
  }

  /** Builds the server (the library is loaded on first use: only deployments that sign people in need it). */
  static async create(opts: AuthorizationServerOptions): Promise<AuthorizationServer> {
    const lib = await loadLibrary(opts.log);
    const { publicUrl } = opts.oauth;
    const resources = [publicUrl, `${publicUrl}/mcp`];
    const log = opts.log;
    const server = new lib.OAuthAuthorizationServer<LibraryEnv>({
      issuer: publicUrl,
      resources,
      defaultResource: publicUrl,
      authorizeEndpoint: '/authorize',
      tokenEndpoint: '/token',
      clientRegistrationEndpoint: '/register',
      scopesSupported: SCOPES,
      accessTokenTTL: ACCESS_TOKEN_TTL_S,
      refreshTokenTTL: REFRESH_TOKEN_TTL_S,
      refreshTokenIdleTTL: REFRESH_TOKEN_IDLE_TTL_S,
      clientIdMetadataDocumentEnabled: opts.clientMetadataDocuments === true,
      // Each refusal is logged by what failed, never with the request (it may hold a code or a secret).
      onError: ({ code, status, internal }) => {
        log.info('OAuth request refused', {
          error: code,
          status,
          category: internal.category,
          reason: internal.reason,
        });
      },
    });
    return new AuthorizationServer(opts, lib, server, resources);
  }

  /** Answers a request to one of {@link AUTHORIZATION_SERVER_PATHS}. */
  handle(c: Context): Promise<Response> {
    const path = new URL(c.req.url).pathname;
    if (path === '/authorize') return c.req.method === 'POST' ? this.decide(c) : this.authorize(c);
    if (path === '/oauth/callback') return this.callback(c);
    const library = () => this.server.fetch(c.req.raw, this.env, executionContext(c));
    return path === '/token' ? this.serialise(library) : library();
  }

  /** GET /authorize: a valid request from a known client gets the consent page. */
  private async authorize(c: Context): Promise<Response> {
    let request: AuthRequest;
    try {
      request = await this.api.parseAuthRequest(c.req.raw);
    } catch (err) {
      return this.authorizationError(err);
    }
    const consent = await this.api.describeConsent(request);
    const transaction = await this.api.beginConsent(request);
    const html = consentPage(consent, transaction.handle, this.opts.oauth.oidc.issuer);
    const headers = new Headers(transaction.headers);
    headers.set('content-type', 'text/html; charset=utf-8');
    headers.set(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    return new Response(html, { status: 200, headers });
  }

  /** POST /authorize: the consent page's answer; on Allow, on to the upstream provider. */
  private async decide(c: Context): Promise<Response> {
    const origin = c.req.header('origin');
    if (origin && origin !== this.opts.oauth.publicUrl) {
      return errorPage(403, 'This form can only be sent from maas-mcp’s own consent page.');
    }
    const form = await c.req.raw
      .clone()
      .formData()
      .catch(() => undefined);
    const handle = form?.get('handle');
    if (typeof handle !== 'string') return errorPage(400, 'The consent form is incomplete.');
    try {
      if (form?.get('decision') !== 'allow') {
        const denied = await this.api.denyConsent(c.req.raw, handle);
        return redirect(denied.redirectTo, denied.headers);
      }
      const approved = await this.api.approveConsent(c.req.raw, handle, { scope: SCOPES });
      try {
        const upstream = await this.oidc.begin();
        const tx = await this.api.beginUpstream(approved.request, {
          data: upstream.pending,
          headers: approved.headers,
        });
        return redirect(upstream.url(tx.state), tx.headers);
      } catch (err) {
        if (!(err instanceof UpstreamError)) throw err;
        this.opts.log.warn('sign-in could not start', { error: err.description });
        return redirect(
          this.lib.authorizationErrorRedirect(approved.request, err.code, err.description),
          approved.headers,
        );
      }
    } catch (err) {
      return this.authorizationError(err);
    }
  }

  /** GET /oauth/callback: the provider's answer; the person's role decides whether they get a code. */
  private async callback(c: Context): Promise<Response> {
    let resumed: { request: AuthRequest; data: PendingSignIn; headers: Headers };
    try {
      resumed = await this.api.finishUpstream<PendingSignIn>(c.req.raw);
    } catch (err) {
      return this.authorizationError(err);
    }
    const { request, data, headers } = resumed;
    try {
      const claims = await this.oidc.finish(new URL(c.req.url).searchParams, data);
      const person = personOf(this.opts, claims);
      if (!person) throw new UpstreamError('access_denied', 'The provider did not say who you are');
      const role = await roleOfPerson(this.opts, person);
      if (!role) {
        this.opts.log.info('sign-in refused: no role', { principal: person.id });
        throw new UpstreamError(
          'access_denied',
          `${person.id} has no role in maas-mcp; ask an administrator to add you to ${roleSetting(this.opts.oauth.oidc)}`,
        );
      }
      const { redirectTo } = await this.api.completeAuthorization({
        request,
        // The library's user id may not hold ':'.
        userId: encodeURIComponent(person.id),
        metadata: { signedInAt: new Date(this.opts.clock.now()).toISOString() },
        scope: request.scope.filter((s) => SCOPES.includes(s)),
        props: person,
      });
      this.opts.log.info('signed in', { principal: person.id, role, client: request.clientId });
      return redirect(redirectTo, headers);
    } catch (err) {
      if (!(err instanceof UpstreamError)) {
        this.opts.log.error('sign-in failed', { error: err });
        return redirect(
          this.lib.authorizationErrorRedirect(
            request,
            'server_error',
            'maas-mcp could not finish the sign-in',
          ),
          headers,
        );
      }
      return redirect(this.lib.authorizationErrorRedirect(request, err.code, err.description), headers);
    }
  }

  async identify(token: string, audiences: readonly string[]): Promise<Identity | 'no_role' | undefined> {
    // The library's tokens are `user:grant:secret`.
    if (token.split(':').length !== 3) return undefined;
    for (const resource of this.resources.filter((r) => audiences.includes(r))) {
      const valid = await this.server
        .validateToken<SignedInPerson>(resource, token, this.env)
        .catch(() => null);
      if (!valid) continue;
      const role = await roleOfPerson(this.opts, valid.props);
      return role ? { id: valid.props.id, role, how: 'oauth' } : 'no_role';
    }
    return undefined;
  }

  /** A refused authorization request: back to the client when that is safe, otherwise a page here. */
  private authorizationError(err: unknown): Response {
    if (err instanceof this.lib.AuthorizationError) {
      if (err.redirectTo) return redirect(err.redirectTo, new Headers());
      return errorPage(400, `This sign-in request cannot be served: ${err.description}`);
    }
    this.opts.log.error('authorization request failed', { error: err });
    return errorPage(500, 'maas-mcp could not handle this sign-in request.');
  }
}

/**
 * The library, imported once. On load it warns on the console that client ID metadata documents are off unless
 * workerd's `global_fetch_strictly_public` flag is on, naming a wrangler file: on Node (where they stay off, see
 * {@link AuthorizationServerOptions.clientMetadataDocuments}) that line would break the JSON log, so it is said in
 * the log instead, and every other console line passes.
 */
let library: Promise<Library> | undefined;
function loadLibrary(log: Logger): Promise<Library> {
  if (!library) {
    // biome-ignore lint/suspicious/noConsole: the library's console line is held back here, nothing is written.
    const warn = console.warn;
    let cimdOff = false;
    console.warn = (...args: unknown[]) => {
      if (
        typeof args[0] === 'string' &&
        args[0].startsWith('CIMD (Client ID Metadata Document) is disabled')
      ) {
        cimdOff = true;
        return;
      }
      warn(...args);
    };
    library = import('@cloudflare/workers-oauth-provider').finally(() => {
      console.warn = warn;
      if (cimdOff) log.info('OAuth clients register dynamically; client ID metadata documents are off here');
    });
  }
  return library;
}

function redirect(location: string, headers: Headers): Response {
  const h = new Headers(headers);
  h.set('location', location);
  h.set('cache-control', 'no-store');
  return new Response(null, { status: 302, headers: h });
}

/** The request's Workers execution context, or one that runs deferred work on (Node has none). */
function executionContext(c: Context): ExecutionContextLike {
  try {
    return c.executionCtx as unknown as ExecutionContextLike;
  } catch {
    return {
      waitUntil: (p) => {
        p.catch(() => undefined);
      },
      passThroughOnException: () => undefined,
      props: {},
    };
  }
}

interface ExecutionContextLike {
  waitUntil(p: Promise<unknown>): void;
  passThroughOnException(): void;
  props: unknown;
}

/** Runs work one piece at a time, in the order asked. */
function inOrder(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}
