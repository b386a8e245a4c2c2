/**
 * Who is calling over HTTP, and whether the request may be answered at all: one check for /mcp, /healthz and the
 * status page (README "Status page"), so a new way to sign in is added in one place.
 */
import { type AuthToken, type Config, isLoopbackHost } from '../config.ts';
import type { Principal } from '../core/access.ts';
import { timingSafeEqual } from '../slack/verify.ts';

export const BEARER_CHALLENGE = 'Bearer realm="maas-mcp"';

/**
 * The caller of `req`: with no MCP_AUTH_TOKENS (only allowed on a loopback HOST) the local principal, else the
 * principal of the bearer token it presents; undefined when it presents none that is known.
 */
export function callerOf(
  req: Request,
  config: Pick<Config, 'authTokens'>,
  local: Principal,
): Principal | undefined {
  return authenticate(req, config.authTokens, local);
}

function authenticate(req: Request, tokens: readonly AuthToken[], local: Principal): Principal | undefined {
  if (tokens.length === 0) return local;
  const header = req.headers.get('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return undefined;
  const presented = m[1] as string;
  let found: AuthToken | undefined;
  // Compare against every token in constant time per token so timing reveals nothing about which matched.
  for (const t of tokens) if (timingSafeEqual(t.token, presented)) found = t;
  return found ? { id: found.principal, role: found.role, via: 'mcp' } : undefined;
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
