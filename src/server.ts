/**
 * createApp(deps): the HTTP surface shared by Node and Workers — /mcp, /healthz, the status page (/, /events,
 * /approvals/{id}) and the Slack routes.
 * Only routes answer with HTTP errors; tools never see a Request.
 */
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { type AuthOptions, createAuth } from './auth/index.ts';
import { PageSignIn } from './auth/page-session.ts';
import type { FetchLike } from './base/fetch.ts';
import type { Principal } from './core/access.ts';
import type { Deps } from './core/deps.ts';
import { describeError } from './core/errors.ts';
import { callers, checkHostAndOrigin, isPrincipal } from './http/access.ts';
import { McpHttp, type McpHttpOptions } from './mcp/http.ts';
import { mountStatusPage, type StatusPageOptions } from './page/routes.ts';
import { SlackRoles } from './slack/roles.ts';
import { readSlackRequest } from './slack/verify.ts';
import {
  type HomeOpened,
  type InteractionPayload,
  runSlackJob,
  type Slack,
  type SlackJob,
  type SlashCommand,
} from './slack.ts';
import { toolsFor } from './tools/registry.ts';
import { VERSION } from './version.ts';

export interface AppOptions {
  /** Who a caller is when no MCP_AUTH_TOKENS are configured (only allowed on a loopback HOST). */
  localPrincipal: Principal;
  /** Extra routes, e.g. the demo's simulator under /MAAS. */
  mount?: (app: Hono) => void;
  /**
   * How MCP is served where it differs: without legacy sessions, with `subscriptions/listen` answered elsewhere
   * (Workers), task polling. Default: legacy sessions, listen here.
   */
  mcp?: Partial<Pick<McpHttpOptions, 'sessions' | 'listen' | 'taskPollMs'>>;
  /** The Slack adapter; /slack/commands and /slack/interactions exist when it and SLACK_SIGNING_SECRET do. */
  slack?: Slack;
  /** Runs Slack work elsewhere (Workers: the Durable Object, free of a request's time limits). */
  slackWork?: (job: SlackJob) => Promise<void>;
  /** The status page's pace and sections (README "Status page"); it is always there. */
  statusPage?: Omit<StatusPageOptions, 'callers' | 'tools'>;
  /** How sign-in reaches the OpenID Connect provider and the issuer's keys (default: the global fetch). */
  fetch?: FetchLike;
  /** How the built-in authorization server runs where it differs between Node and Workers. */
  auth?: Pick<AuthOptions, 'clientMetadataDocuments'>;
}

export interface App {
  app: Hono;
  mcp: McpHttp;
  close(): Promise<void>;
}

export function createApp(deps: Deps, opts: AppOptions): App {
  const { config } = deps;
  const app = new Hono();
  const mcp = new McpHttp(deps, {
    toolsFor: (p) => toolsFor(deps, p),
    sessions: true,
    ...opts.mcp,
  });
  // Sign in with Slack gives the roles /maas gives (SLACK_ROLES, user groups included when Slack can be asked).
  const slackRoles =
    opts.slack?.context.roles ?? new SlackRoles(config.slack.roles, undefined, deps.clock, deps.log);
  const fetchImpl: FetchLike = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const auth = createAuth({
    config,
    store: deps.store,
    clock: deps.clock,
    log: deps.log,
    fetch: fetchImpl,
    slackRole: (user) => slackRoles.roleOf(user),
    ...opts.auth,
  });
  // The status page's browser sign-in, with the built-in sign-in's provider and rules (README "Status page").
  const { publicUrl, oidc } = config.oauth;
  const pageSignIn =
    publicUrl && oidc && deps.sealKey
      ? new PageSignIn({
          oauth: { ...config.oauth, publicUrl, oidc },
          sealKey: deps.sealKey,
          fetch: fetchImpl,
          clock: deps.clock,
          log: deps.log,
          slackRole: (user) => slackRoles.roleOf(user),
        })
      : undefined;
  // Who is calling: one check for /mcp, /healthz and the status page (src/http/access.ts).
  const pageCallers = callers(auth.resource, opts.localPrincipal, pageSignIn);
  const { callerOf, challenge } = pageCallers;

  /**
   * Liveness for anyone who may reach the server; where MAAS is and how it answers (`?maas`) only for a caller
   * who may use /mcp, with MAAS's error text scrubbed like every other answer.
   */
  app.get('/healthz', async (c) => {
    const req = c.req.raw;
    const refusal = checkHostAndOrigin(req, config.host, config.allowedOrigins);
    if (refusal) return c.json({ error: refusal }, 403);
    const body: Record<string, unknown> = { status: 'ok', version: VERSION };
    const checkMaas = c.req.query('maas') !== undefined;
    const who = await callerOf(req);
    if (!isPrincipal(who)) {
      if (!checkMaas) return c.json(body);
      return c.json({ error: `${who.description} to see MAAS details` }, who.status, challenge(who));
    }
    body.maas = deps.maas.http.root;
    if (!checkMaas) return c.json(body);
    try {
      const v = await deps.maas.version();
      return c.json({ ...body, maas_version: v.version });
    } catch (err) {
      return c.json({ ...body, status: 'degraded', maas_error: describeError(err, deps.secrets) }, 503);
    }
  });

  // Host and Origin first (DNS rebinding, cross-site); then CORS for the browser origins MCP_ALLOWED_ORIGINS lets in.
  const mcpCors = cors({
    origin: (origin) => (config.allowedOrigins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: [
      'Content-Type',
      'Accept',
      'Authorization',
      'Mcp-Session-Id',
      'Mcp-Protocol-Version',
      // 2026-07-28 requests name their method and target in headers.
      'Mcp-Method',
      'Mcp-Name',
      'Last-Event-ID',
    ],
    exposeHeaders: ['Mcp-Session-Id', 'Mcp-Protocol-Version', 'WWW-Authenticate'],
    maxAge: 600,
  });
  app.use('/mcp', async (c, next) => {
    const refusal = checkHostAndOrigin(c.req.raw, config.host, config.allowedOrigins);
    if (refusal) return c.json({ jsonrpc: '2.0', error: { code: -32000, message: refusal }, id: null }, 403);
    const origin = c.req.header('origin');
    // Any other origin (its own included: same-origin needs no CORS) gets no CORS headers at all.
    if (origin && config.allowedOrigins.includes(origin)) return mcpCors(c, next);
    await next();
  });

  // OAuth metadata, and with the built-in authorization server its endpoints (README "Sign-in with OAuth").
  auth.routes(app);

  app.all('/mcp', async (c) => {
    const req = c.req.raw;
    const who = await callerOf(req);
    if (!isPrincipal(who)) {
      return c.json(
        { jsonrpc: '2.0', error: { code: -32001, message: who.description }, id: null },
        who.status,
        challenge(who),
      );
    }
    return mcp.handle(req, who);
  });

  const slack = opts.slack;
  const secret = config.slack.signingSecret;
  if (slack && secret) {
    // Where the work after the ack runs: here, or (Workers) handed to the Durable Object.
    const work = (job: SlackJob) => (opts.slackWork ? opts.slackWork(job) : runSlackJob(slack, job));
    /**
     * Reads and verifies a Slack request (headers before the body, the body up to a cap, each signed request
     * once); nothing else happens to a request that fails.
     */
    const verified = async (
      c: Context,
      type: 'form' | 'json' = 'form',
    ): Promise<{ form: URLSearchParams; body: string } | Response> => {
      const v = await readSlackRequest(c.req.raw, secret, deps.clock.now(), {
        firstTime: (signature, expiresAt) => deps.store.addValue(`slack:seen:${signature}`, '1', expiresAt),
        type,
      });
      if (v.ok) return v;
      deps.log.warn('refused a Slack request', { why: v.why });
      return c.text(v.status === 401 ? 'invalid Slack signature' : v.why, v.status);
    };

    app.post('/slack/commands', async (c) => {
      const read = await verified(c);
      if (read instanceof Response) return read;
      const { form } = read;
      const cmd: SlashCommand = {
        user_id: form.get('user_id') ?? '',
        channel_id: form.get('channel_id') ?? '',
        text: form.get('text') ?? '',
        ...(form.get('response_url') ? { response_url: form.get('response_url') as string } : {}),
        ...(form.get('team_id') ? { team_id: form.get('team_id') as string } : {}),
      };
      // Slack wants an answer within 3 s; MAAS may take longer. Acknowledge now, answer through response_url.
      defer(c, work({ kind: 'command', cmd }), deps);
      return c.json(slack.ack(cmd.text));
    });

    app.post('/slack/interactions', async (c) => {
      const read = await verified(c);
      if (read instanceof Response) return read;
      const { form } = read;
      let payload: InteractionPayload;
      try {
        payload = JSON.parse(form.get('payload') ?? '') as InteractionPayload;
      } catch {
        return c.text('bad payload', 400);
      }
      defer(c, work({ kind: 'interaction', payload }), deps);
      return c.body(null, 200);
    });

    // The Events API (JSON): the URL check when the app is set up, and app_home_opened for the App Home.
    app.post('/slack/events', async (c) => {
      const read = await verified(c, 'json');
      if (read instanceof Response) return read;
      let body: { type?: string; challenge?: string; event?: Record<string, unknown> };
      try {
        body = JSON.parse(read.body) as typeof body;
      } catch {
        return c.text('bad payload', 400);
      }
      if (body.type === 'url_verification') return c.json({ challenge: String(body.challenge ?? '') });
      const e = body.event;
      if (body.type === 'event_callback' && e?.type === 'app_home_opened' && typeof e.user === 'string') {
        const event: HomeOpened = {
          type: 'app_home_opened',
          user: e.user,
          ...(typeof e.tab === 'string' ? { tab: e.tab } : {}),
          ...(typeof e.channel === 'string' ? { channel: e.channel } : {}),
        };
        defer(c, work({ kind: 'event', event }), deps);
      }
      return c.body(null, 200);
    });
  }

  // The status page: the same caller check as /mcp, approvals decided against the same tools as Slack's.
  mountStatusPage(app, deps, {
    ...opts.statusPage,
    callers: pageCallers,
    tools: deps.tools,
  });

  opts.mount?.(app);
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  return { app, mcp, close: () => mcp.closeAll() };
}

/**
 * Keeps work going after the answer: `waitUntil` on Workers; on Node the promise simply runs on. Failures are
 * logged, never thrown at a request that has already been answered.
 */
function defer(c: Context, work: Promise<unknown>, deps: Deps): void {
  const logged = work.catch((err) => deps.log.error('Slack work after the ack failed', { error: err }));
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // Not on Workers: nothing to register.
  }
}
