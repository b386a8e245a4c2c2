/**
 * A real OpenID Connect provider for tests: the certified `oidc-provider` on 127.0.0.1, with headless interactions
 * (whoever `idp.nextUser` names signs in and grants what is asked, no HTML) and JWT access tokens for a resource
 * (RFC 8707), so it serves both as the built-in server's upstream provider and as an external authorization server.
 * It holds its signing key, so tests can also mint tokens it would never issue (expired, for another audience).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import Provider from 'oidc-provider';

export interface Account {
  email: string;
  name: string;
  groups: string[];
}

/** The people of the test provider; account ids that look like Slack user ids stand for Slack sign-ins. */
export const ACCOUNTS: Record<string, Account> = {
  alice: { email: 'alice@example.com', name: 'Alice Admin', groups: ['maas-admins'] },
  bob: { email: 'bob@example.com', name: 'Bob Viewer', groups: ['maas-viewers'] },
  carol: { email: 'carol@example.com', name: 'Carol Nobody', groups: [] },
  U0DAVE: { email: 'dave@example.com', name: 'Dave Slack', groups: [] },
};

export interface Idp {
  issuer: string;
  /** Who signs in at the next login prompt. */
  nextUser: string;
  /** A JWT access token signed with the provider's key, with `claims` over sensible defaults. */
  mint(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

export interface IdpOptions {
  /** Pre-registered clients (e.g. maas-mcp's built-in server as a confidential client). */
  clients: Record<string, unknown>[];
  /** The resources it issues JWT access tokens for (their audience). */
  resources?: readonly string[];
}

const KID = 'test-idp-key';

export async function startIdp(opts: IdpOptions): Promise<Idp> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resources = new Set(opts.resources ?? []);
  const idp = { nextUser: 'alice' };

  const provider = new Provider(issuer, {
    clients: opts.clients,
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-idp-cookie-key-0123456789abcdef'] },
    findAccount: async (_ctx: unknown, id: string) => {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email_verified: true, ...account }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access', 'mcp'],
    pkce: { required: () => true },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!resources.has(resource)) throw new Error(`unknown resource ${resource}`);
          return {
            scope: 'mcp',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    // Access tokens carry the person's groups and e-mail, as an external authorization server's would.
    extraTokenClaims: async (_ctx: unknown, token: { accountId?: string }) => {
      const account = token.accountId ? ACCOUNTS[token.accountId] : undefined;
      return account ? { groups: account.groups, email: account.email } : undefined;
    },
    ttl: {
      AccessToken: 300,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 300,
      Interaction: 600,
      Session: 600,
      ClientCredentials: 300,
    },
  });
  provider.proxy = false;
  const callback = provider.callback();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    interact(provider, req, res, idp.nextUser).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });

  return Object.assign(idp, {
    issuer,
    mint: (claims: JWTPayload) =>
      new SignJWT({ scope: 'mcp', client_id: 'external-client', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'at+jwt' })
        .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
        .setIssuedAt()
        .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : Math.floor(Date.now() / 1000) + 300)
        .sign(privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** The login and consent prompts, answered without a page: `user` signs in and grants what is asked. */
async function interact(provider: Provider, req: IncomingMessage, res: ServerResponse, user: string) {
  const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  if (prompt.name === 'login') {
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: user } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (prompt.name !== 'consent') throw new Error(`unexpected prompt ${prompt.name}`);
  const grant =
    (grantId ? await provider.Grant.find(grantId) : undefined) ??
    new provider.Grant({ accountId: session?.accountId ?? user, clientId: String(params.client_id) });
  const details = prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  await provider.interactionFinished(
    req,
    res,
    { consent: { grantId: await grant.save() } },
    { mergeWithLastSubmission: true },
  );
}
