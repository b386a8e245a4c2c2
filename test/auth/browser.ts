/**
 * What a person and their MCP client do during an OAuth sign-in, without a browser: a cookie-keeping "browser" that
 * follows redirects and answers maas-mcp's consent page, and the official client's OAuth provider kept in memory.
 */
import {
  Client,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';

/** The client's loopback redirect: never listened on, the browser stops there. */
export const REDIRECT_URI = 'http://127.0.0.1:53682/callback';

/** A browser: one cookie jar per origin, redirects followed by hand, consent answered `decision`. */
export class Browser {
  /** Cookies by origin, as the server set them. */
  readonly jar = new Map<string, Map<string, string>>();
  /** Every URL visited, in order (the authorization request, the provider's pages, the callback). */
  readonly visited: string[] = [];

  constructor(private readonly decision: 'allow' | 'deny' = 'allow') {}

  /** Follows `start` until a URL that begins with `stop` (answered then, not requested). */
  async run(start: string, stop = REDIRECT_URI): Promise<URL> {
    let url = start;
    let init: RequestInit = {};
    for (let hop = 0; hop < 25; hop++) {
      if (url.startsWith(stop)) return new URL(url);
      this.visited.push(url);
      const u = new URL(url);
      const cookies = this.jar.get(u.origin) ?? new Map<string, string>();
      this.jar.set(u.origin, cookies);
      const res = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: {
          ...(init.headers as Record<string, string> | undefined),
          cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
      }
      init = {};
      const location = res.headers.get('location');
      if (location) {
        url = new URL(location, url).href;
        continue;
      }
      const body = await res.text();
      const handle = /name="handle" value="([^"]+)"/.exec(body)?.[1];
      if (res.status === 200 && handle) {
        // maas-mcp's consent page: the person presses Allow (or Deny).
        init = {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: u.origin },
          body: new URLSearchParams({ handle, decision: this.decision }).toString(),
        };
        url = new URL('/authorize', url).href;
        continue;
      }
      throw new Error(`the browser stopped at ${url}: HTTP ${res.status} ${body.slice(0, 300)}`);
    }
    throw new Error('too many redirects');
  }
}

/** The official client's OAuth provider, in memory (a desktop client would keep this on disk). */
export class MemoryOAuthProvider implements OAuthClientProvider {
  private info: StoredOAuthClientInformation | undefined;
  stored: StoredOAuthTokens | undefined;
  verifier: string | undefined;
  discovery: OAuthDiscoveryState | undefined;
  lastState: string | undefined;
  /** Where the client sent the person to sign in. */
  authorizationUrl: URL | undefined;

  get redirectUrl(): string {
    return REDIRECT_URI;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'maas-mcp tests',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      // What it asks for when the server's metadata names no scopes (an external issuer's resource scope).
      scope: 'mcp',
    };
  }
  state(): string {
    this.lastState = crypto.randomUUID();
    return this.lastState;
  }
  clientInformation(): StoredOAuthClientInformation | undefined {
    return this.info;
  }
  saveClientInformation(info: StoredOAuthClientInformation): void {
    this.info = info;
  }
  tokens(): StoredOAuthTokens | undefined {
    return this.stored;
  }
  saveTokens(tokens: StoredOAuthTokens): void {
    this.stored = tokens;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }
  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }
  get clientId(): string {
    const id = (this.info as { client_id?: string } | undefined)?.client_id;
    if (!id) throw new Error('the client has not registered');
    return id;
  }
}

export interface SignedIn {
  client: Client;
  provider: MemoryOAuthProvider;
  /** Where the browser ended: the client's redirect URI with the code (or an error), state and iss. */
  callback: URL;
}

/**
 * A person signs in to the MCP server at `mcpUrl` with the official client: it discovers the authorization server,
 * registers, sends the person's browser to sign in, then exchanges the code (PKCE, resource) and connects.
 */
export async function signIn(mcpUrl: string, browser = new Browser()): Promise<SignedIn> {
  const provider = new MemoryOAuthProvider();
  const url = new URL(mcpUrl);
  const first = new Client({ name: 'maas-mcp-tests', version: '1.0.0' });
  await expectUnauthorized(first.connect(new StreamableHTTPClientTransport(url, { authProvider: provider })));
  if (!provider.authorizationUrl) throw new Error('the client did not ask the person to sign in');
  const callback = await browser.run(provider.authorizationUrl.href);
  if (callback.searchParams.get('state') !== provider.lastState) throw new Error('state mismatch');
  if (callback.searchParams.get('error')) {
    return { client: first, provider, callback };
  }
  await new StreamableHTTPClientTransport(url, { authProvider: provider }).finishAuth(callback.searchParams);
  const client = new Client({ name: 'maas-mcp-tests', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  return { client, provider, callback };
}

async function expectUnauthorized(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UnauthorizedError) return;
    throw err;
  }
  throw new Error('expected the server to ask for sign-in');
}
