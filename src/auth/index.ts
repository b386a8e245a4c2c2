/**
 * Sign-in for the HTTP server (README "Sign-in with OAuth"): the resource server that checks every request's
 * bearer token, and — with OIDC_ISSUER — the built-in authorization server, loaded on its first use.
 */
import type { Hono } from 'hono';
import type { Config } from '../config.ts';
import {
  AUTHORIZATION_SERVER_PATHS,
  AuthorizationServer,
  type AuthorizationServerOptions,
} from './authorization-server.ts';
import { type IssuedTokens, ResourceServer } from './resource.ts';

export type { Authentication, BearerRefusal, Identity } from './resource.ts';
export { ResourceServer } from './resource.ts';

/** What the built-in authorization server needs, with the settings it is given taken from `config`. */
export interface AuthOptions extends Omit<AuthorizationServerOptions, 'oauth'> {
  config: Pick<Config, 'authTokens' | 'oauth'>;
}

export interface Auth {
  resource: ResourceServer;
  /** Adds the metadata and, with the built-in server, its endpoints to `app`. */
  routes(app: Hono): void;
}

export function createAuth(opts: AuthOptions): Auth {
  const { oauth } = opts.config;
  // Whether this server signs people in itself; the library is loaded on the first request that needs it.
  const signsIn = Boolean(oauth.publicUrl && oauth.oidc);
  let server: Promise<AuthorizationServer> | undefined;
  const builtIn = (): Promise<AuthorizationServer> | undefined => {
    const { publicUrl, oidc } = oauth;
    if (!publicUrl || !oidc) return undefined;
    server ??= AuthorizationServer.create({
      oauth: { ...oauth, publicUrl, oidc },
      store: opts.store,
      clock: opts.clock,
      log: opts.log,
      fetch: opts.fetch,
      ...(opts.slackRole ? { slackRole: opts.slackRole } : {}),
      ...(opts.clientMetadataDocuments ? { clientMetadataDocuments: true } : {}),
    });
    return server;
  };
  const issued: IssuedTokens | undefined = signsIn
    ? { identify: async (token, audiences) => (await builtIn())?.identify(token, audiences) }
    : undefined;
  const resource = new ResourceServer({
    authTokens: opts.config.authTokens,
    oauth,
    clock: opts.clock,
    log: opts.log,
    fetch: opts.fetch,
    ...(issued ? { issued } : {}),
  });
  return {
    resource,
    routes(app) {
      resource.routes(app);
      if (!signsIn) return;
      for (const path of AUTHORIZATION_SERVER_PATHS) {
        app.all(path, async (c) => (await (builtIn() as Promise<AuthorizationServer>)).handle(c));
      }
    },
  };
}
