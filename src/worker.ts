/**
 * The Cloudflare Workers entry point: the same `createApp(deps)` as on Node — /mcp, /slack/commands,
 * /slack/interactions, /healthz and sign-in — with Deps whose store, poller and (in demo mode) MAAS live in the one
 * Durable Object ({@link MaasMcpObject}). A request may land on any isolate, so MCP keeps no session: 2026-07-28
 * clients confirm through input_required (its state sealed, so any isolate takes the answer) and listen to
 * changes through the Durable Object, where the poller sees them; 2025 clients confirm with a token.
 */
import { oauthEnabled } from './config/oauth.ts';
import { type Config, ConfigError, isLoopbackHost, secretsOf } from './config.ts';
import type { Principal } from './core/access.ts';
import type { PolicySource } from './core/policy/rules.ts';
import { createApp } from './server.ts';
import { forwardingStore } from './store/methods.ts';
import { REQUEST_TOOLS } from './tools/registry.ts';
import { buildDeps, chooseMaas, type MaasEndpoint, textPolicy } from './wiring.ts';
import { demoOf, workerConfigOf } from './worker/env.ts';
import {
  type DemoCredentials,
  type Env,
  LISTEN_PATH,
  LISTEN_PRINCIPAL_HEADER,
  type MaasMcpObject,
  objectStub,
} from './worker/object.ts';
import { MAAS_SETTINGS_HINT, maasFetch, workerLogger } from './worker/platform.ts';

export type { Env } from './worker/object.ts';
export { MaasMcpObject } from './worker/object.ts';

/** The demo's credentials are fixed by the simulator's seed: ask the Durable Object once per isolate. */
let demoCredentials: Promise<DemoCredentials> | undefined;

async function maasEndpoint(
  env: Env,
  config: Config,
  stub: DurableObjectStub<MaasMcpObject>,
): Promise<MaasEndpoint> {
  let demo: MaasEndpoint | undefined;
  if (demoOf(env).enabled) {
    demoCredentials ??= stub.demoCredentials().then(
      (c) => ({ url: c.url, apiKey: c.apiKey }),
      (err: unknown) => {
        demoCredentials = undefined;
        throw err;
      },
    );
    const { url, apiKey } = await demoCredentials;
    // The simulator lives in the Durable Object: its fetch handler serves /MAAS/.
    demo = { url, apiKey, fetch: (input, init) => stub.fetch(new Request(input, init)) };
  }
  return chooseMaas(config, demo, MAAS_SETTINGS_HINT, () => maasFetch(env.MAAS_VPC));
}

/**
 * Settings that cannot be served: as on Node, a HOST other machines can reach needs MCP_AUTH_TOKENS, or anyone
 * could act as the local user.
 */
function checkExposure(config: Config): void {
  if (!isLoopbackHost(config.host) && config.authTokens.length === 0 && !oauthEnabled(config.oauth)) {
    throw new ConfigError(
      `HOST=${config.host} can be reached from other machines: set MCP_AUTH_TOKENS (token:principal:role, …) with \`wrangler secret put MCP_AUTH_TOKENS\`, or OAuth sign-in (MCP_OAUTH_ISSUER or OIDC_ISSUER)`,
    );
  }
}

/** There is no local user on Workers; this principal applies only on a loopback HOST (`wrangler dev`). */
function localPrincipal(config: Config): Principal {
  return { id: 'local:wrangler-dev', role: config.localRole, via: 'mcp' };
}

async function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  let config: Config;
  let policy: PolicySource | undefined;
  try {
    config = workerConfigOf(env);
    checkExposure(config);
    policy = textPolicy(config);
  } catch (err) {
    return configError(err);
  }
  const stub = objectStub(env);
  // An authorization code works once: its redemption (a read, then a write) runs in the Durable Object, one
  // token request at a time, whichever isolate the request reached.
  if (config.oauth.oidc && new URL(request.url).pathname === '/token') return stub.fetch(request);
  let maas: MaasEndpoint;
  try {
    maas = await maasEndpoint(env, config, stub);
  } catch (err) {
    return configError(err);
  }
  const secrets = secretsOf(config);
  const log = workerLogger(secrets);
  // Slack requests are verified and acknowledged here; the work after the ack, completion notices and progress
  // edits happen in the Durable Object, where the poller runs.
  const { deps, slack } = buildDeps({
    config,
    // No workflows on a Worker (README "Workflows"): its registry leaves the workflow engine out of the bundle.
    tools: REQUEST_TOOLS,
    maas,
    // Every call runs in the Durable Object, one at a time, so the compare-and-set rules hold for every caller.
    store: forwardingStore(stub),
    secrets,
    log,
    kickPoller: () => {
      ctx.waitUntil(
        stub.kick().catch((err: unknown) => log.warn('could not wake the poller', { error: err })),
      );
    },
    slackNotices: false,
    policy,
  });
  const { app } = createApp(deps, {
    localPrincipal: localPrincipal(config),
    mcp: {
      // A request may land on any isolate: no 2025 sessions; 2026 listen streams are held where the news are.
      sessions: false,
      listen: (req, principal) => stub.fetch(forListen(req, principal)),
    },
    // Outgoing fetches cannot reach private addresses here (global_fetch_strictly_public): clients may be named
    // by their metadata documents; token requests run one at a time in the Durable Object.
    auth: { clientMetadataDocuments: true },
    // Slack work after the ack goes to the Durable Object (a fast hand-off under ctx.waitUntil).
    ...(slack ? { slack, slackWork: (job) => stub.slackJob(job) } : {}),
  });
  return app.fetch(request, env, ctx);
}

/** A `subscriptions/listen` request for the Durable Object, with who the Worker found it comes from. */
function forListen(req: Request, principal: Principal): Request {
  const headers = new Headers(req.headers);
  headers.set(LISTEN_PRINCIPAL_HEADER, JSON.stringify(principal));
  return new Request(new URL(LISTEN_PATH, req.url), { method: req.method, headers, body: req.body });
}

/** A bad setting answers every request with one line that names it (Node refuses to start instead). */
function configError(err: unknown): Response {
  if (!(err instanceof ConfigError)) throw err;
  return Response.json({ error: `maas-mcp is misconfigured: ${err.message}` }, { status: 500 });
}

export default {
  fetch: handle,
} satisfies ExportedHandler<Env>;
