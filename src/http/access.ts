/**
 * Who is calling over HTTP, and whether the request may be answered at all: one check for /mcp, /healthz and the
 * status page (README "Status page"), so a new way to sign in is added in one place. Who a bearer token speaks for
 * is the resource server's business (src/auth/: MCP_AUTH_TOKENS, the built-in authorization server's tokens, an
 * external issuer's JWTs); this decides what a request without sign-in configured is, and how a refusal is said.
 */
import type { BearerRefusal, ResourceServer } from '../auth/index.ts';
import type { PageSignIn } from '../auth/page-session.ts';
import { isLoopbackHost } from '../config.ts';
import type { Principal } from '../core/access.ts';

export type { BearerRefusal } from '../auth/index.ts';

/** The resource tokens are checked for: /mcp's (a token for it, or for the whole server, is accepted everywhere). */
const RESOURCE_PATH = '/mcp';

export interface Callers {
  /**
   * The caller of `req`: with no sign-in configured (only allowed on a loopback HOST) the local principal, else
   * the principal its bearer token speaks for, or why it is refused.
   */
  callerOf(req: Request): Promise<Principal | BearerRefusal>;
  /**
   * The caller of a request to the status page's own routes: as {@link callerOf}, and without an Authorization
   * header, the person a page session cookie speaks for (browser sign-in). Never for /mcp: a browser sends cookies
   * with requests other sites make it send, so a cookie must not authorise MCP calls.
   */
  pageCallerOf(req: Request): Promise<Principal | BearerRefusal>;
  /** Browser sign-in for the page, when the built-in sign-in is configured (OIDC_ISSUER) and the server has a key. */
  pageSignIn?: PageSignIn;
  /** The WWW-Authenticate header that goes with a refusal (it points OAuth clients to the metadata). */
  challenge(refusal: BearerRefusal): { 'WWW-Authenticate': string };
}

export function callers(resource: ResourceServer, local: Principal, pageSignIn?: PageSignIn): Callers {
  const callerOf = async (req: Request): Promise<Principal | BearerRefusal> => {
    if (!resource.required) return local;
    const a = await resource.authenticate(req, RESOURCE_PATH);
    return a.ok ? { id: a.identity.id, role: a.identity.role, via: 'mcp' } : a.refusal;
  };
  return {
    callerOf,
    async pageCallerOf(req) {
      if (!resource.required || !pageSignIn || req.headers.has('authorization')) return callerOf(req);
      const session = await pageSignIn.session(req);
      if (!session) return callerOf(req);
      return session.ok ? session.principal : { status: session.status, description: session.description };
    },
    ...(pageSignIn ? { pageSignIn } : {}),
    challenge: (refusal) => ({ 'WWW-Authenticate': resource.challenge(refusal, RESOURCE_PATH) }),
  };
}

/** Whether {@link Callers.callerOf} found a caller (rather than a refusal). */
export function isPrincipal(who: Principal | BearerRefusal): who is Principal {
  return 'via' in who;
}

/**
 * DNS-rebinding and cross-site protection (MCP spec, Streamable HTTP "Security Warning"): a server bound to
 * loopback answers only requests addressed to a loopback name, and a browser Origin must be the server's own
 * or explicitly allowed.
 */
export function checkHostAndOrigin(
  req: Request,
  boundHost: string,
  allowedOrigins: readonly string[],
): string | undefined {
  const host = req.headers.get('host') ?? new URL(req.url).host;
  const hostname = host.replace(/:\d+$/, '');
  if (isLoopbackHost(boundHost) && !isLoopbackHost(hostname)) {
    return `Forbidden: this server only answers requests addressed to localhost (Host: ${host})`;
  }
  const origin = req.headers.get('origin');
  if (origin === null) return undefined;
  if (allowedOrigins.includes(origin)) return undefined;
  try {
    if (new URL(origin).host === host) return undefined;
  } catch {
    // "null" or garbage: refused below.
  }
  return `Forbidden: origin ${origin} is not allowed (set MCP_ALLOWED_ORIGINS to allow it)`;
}
