/**
 * The one Durable Object of a deployment (`MaasMcpObject`, bound as MAAS_MCP, addressed by name "main"). It owns
 * what must outlive a request and exist once: the Store (SQLite in the object, {@link DurableSqlStore}), the
 * poller (driven by the object's alarm instead of timers), and in demo mode the simulated MAAS.
 */
import { DurableObject } from 'cloudflare:workers';
import { Hono } from 'hono';
import { createAuth } from '../auth/index.ts';
import { SecretSet } from '../base/redact.ts';
import { ConfigError, ROLES, secretsOf } from '../config.ts';
import type { Principal } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import { Poller } from '../core/operations/poller.ts';
import { McpHttp } from '../mcp/http.ts';
import { createSimulator, type Simulator } from '../sim/index.ts';
import { newButtonSecret, seal, unseal } from '../slack/sealed.ts';
import { runSlackJob, type Slack, type SlackJob, slackSetupWarnings } from '../slack.ts';
import { DurableSqlStore } from '../store/durable.ts';
import {
  callStore,
  type StoreArgs,
  type StoreMethod,
  type StoreResult,
  type StoreRpc,
} from '../store/methods.ts';
import { REQUEST_TOOLS, toolsFor } from '../tools/registry.ts';
import { buildDeps, chooseMaas, textPolicy } from '../wiring.ts';
import { demoOf, workerConfigOf } from './env.ts';
import { globalFetch, MAAS_SETTINGS_HINT, maasFetch, workerLogger } from './platform.ts';

/** What a Worker request and the Durable Object get as `env`. */
export interface Env {
  /** The one Durable Object that holds the store, runs the poller and (in demo mode) the simulator. */
  MAAS_MCP: DurableObjectNamespace<MaasMcpObject>;
  /**
   * Optional Workers VPC service (`[[vpc_services]]` binding) that reaches an on-prem MAAS through a Cloudflare
   * Tunnel without publishing it; when bound, every MAAS request goes through it.
   */
  MAAS_VPC?: Fetcher;
  /** `true` runs against a simulator living in the Durable Object instead of MAAS_URL. */
  MAAS_MCP_DEMO?: string;
  /** The demo simulator's time scale (simulated durations × this); default 0.05. */
  MAAS_MCP_DEMO_TIME_SCALE?: string;
  /** Everything else `parseConfig` reads: MAAS_URL, MAAS_API_KEY, HOST, MCP_AUTH_TOKENS, SLACK_*, … */
  [setting: string]: unknown;
}

/** The name of the single Durable Object instance: one store and one poller for the whole deployment. */
export const OBJECT_NAME = 'main';

/** The Durable Object stub every request and the poller share. */
export function objectStub(env: Env): DurableObjectStub<MaasMcpObject> {
  return env.MAAS_MCP.get(env.MAAS_MCP.idFromName(OBJECT_NAME));
}

/** Where the Worker sends a 2026 `subscriptions/listen` request, to be held here where the news are. */
export const LISTEN_PATH = '/internal/mcp-listen';
/** Who the Worker found the listen request comes from (the Worker checked the caller's token). */
export const LISTEN_PRINCIPAL_HEADER = 'x-maas-mcp-principal';

/** Where the demo's MAAS answers, and the admin key the Worker uses there. */
export interface DemoCredentials {
  url: string;
  apiKey: string;
}

/** The principal a listen request carries, if it is one (anything else is refused). */
function principalFrom(header: string | null): Principal | undefined {
  try {
    const p = JSON.parse(header ?? '') as Partial<Principal>;
    if (typeof p.id !== 'string' || !p.id || p.via !== 'mcp') return undefined;
    if (!(ROLES as readonly unknown[]).includes(p.role)) return undefined;
    return { id: p.id, role: p.role as Principal['role'], via: 'mcp' };
  } catch {
    return undefined;
  }
}

/** Where queued Slack work waits for the alarm. */
const SLACK_JOBS = 'slack:jobs';

/** A queued Slack job: sealed (see MaasMcpObject.slackJob), with where to answer if it cannot be opened. */
interface QueuedJob {
  sealed: string;
  response_url?: string;
}

/** Wait after a tick failed for a reason other than MAAS (MAAS outages back off inside the poller). */
const RETRY_AFTER_FAILURE_MS = 15_000;

/** The Durable Object class: the Store over RPC, the poller on its alarm, and the demo simulator. */
export class MaasMcpObject extends DurableObject<Env> implements StoreRpc {
  private readonly store: DurableSqlStore;
  private sim: Simulator | undefined;
  /** Seals queued Slack jobs; lives only as long as this instance (never stored). */
  private readonly jobKey = newButtonSecret();
  private runtime: { deps: Deps; poller: Poller; slack: Slack | undefined } | undefined;
  /** The MCP handler of listen streams, made on first use. */
  private mcp: McpHttp | undefined;
  /** The authorization server's token endpoint, made on first use. */
  private auth: Hono | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Synchronous and cheap once current: the schema is ready before the first call is let in.
    this.store = new DurableSqlStore(ctx.storage);
  }

  /**
   * What the Worker hands over by fetch: the demo simulator's MAAS API under /MAAS/ (the Worker's MAAS client
   * fetches through here), 2026 `subscriptions/listen` streams (fed by this object's poller), and token requests
   * of the built-in authorization server (one at a time, so a code is redeemed once).
   */
  override async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const sim = this.demo();
    if (sim && path.startsWith('/MAAS/')) return sim.app.fetch(request);
    if (path === LISTEN_PATH) return this.listen(request);
    if (path === '/token') return this.ctx.blockConcurrencyWhile(async () => this.signIn().fetch(request));
    return Response.json({ error: `no route ${request.method} ${path}` }, { status: 404 });
  }

  /** A listen stream for the principal the Worker named, answered by an MCP handler fed by this object's news. */
  private listen(request: Request): Promise<Response> {
    const principal = principalFrom(request.headers.get(LISTEN_PRINCIPAL_HEADER));
    if (!principal) return Promise.resolve(Response.json({ error: 'no caller' }, { status: 400 }));
    if (!this.mcp) {
      const { deps } = this.poller();
      this.mcp = new McpHttp(deps, {
        toolsFor: (p) => toolsFor(deps, p),
        sessions: false,
      });
    }
    const headers = new Headers(request.headers);
    headers.delete(LISTEN_PRINCIPAL_HEADER);
    return this.mcp.handle(new Request(request, { headers }), principal);
  }

  /** The built-in authorization server's endpoints over this object's own store. */
  private signIn(): Hono {
    if (!this.auth) {
      const { deps } = this.poller();
      const app = new Hono();
      createAuth({
        config: deps.config,
        store: this.store,
        clock: deps.clock,
        log: deps.log,
        fetch: globalFetch,
        clientMetadataDocuments: true,
      }).routes(app);
      this.auth = app;
    }
    return this.auth;
  }

  /** The demo simulator's URL and admin key; fails when demo mode is off. */
  demoCredentials(): DemoCredentials {
    const sim = this.demo();
    if (!sim) throw new ConfigError('MAAS_MCP_DEMO is off: there is no simulator');
    return { url: sim.baseUrl, apiKey: sim.users.admin.apiKey };
  }

  /** Asks the poller to look soon: a new operation, or someone waiting on one. */
  async kick(): Promise<void> {
    await this.armAt(Date.now());
  }

  /**
   * Takes Slack work from the Worker (a command or a click, after its ack): queued in storage, done from the
   * alarm, where no request's time limit applies (a bulk deploy against a slow MAAS can outlast one).
   */
  async slackJob(job: SlackJob): Promise<void> {
    // What was typed may hold user_data or a BMC password: it waits sealed, under a key in this instance's memory.
    const responseUrl =
      job.kind === 'command'
        ? job.cmd.response_url
        : job.kind === 'interaction'
          ? job.payload.response_url
          : undefined;
    const entry: QueuedJob = {
      sealed: await seal(this.jobKey, JSON.stringify(job)),
      ...(responseUrl ? { response_url: responseUrl } : {}),
    };
    const queue = JSON.parse((await this.store.getValue(SLACK_JOBS)) ?? '[]') as QueuedJob[];
    queue.push(entry);
    await this.store.setValue(SLACK_JOBS, JSON.stringify(queue));
    await this.armAt(Date.now());
  }

  /** One alarm: queued Slack work first, then a poller tick — the same code as on Node, the alarm as its timer. */
  override async alarm(): Promise<void> {
    let rt: { deps: Deps; poller: Poller; slack: Slack | undefined };
    try {
      rt = this.poller();
    } catch (err) {
      // Bad settings: the Worker answers every request with the same line; polling waits for a fix.
      // ConfigError messages never hold a setting's value, so there is nothing to scrub.
      workerLogger(new SecretSet()).error('poller cannot start', { error: err });
      return;
    }
    await this.runSlackJobs(rt);
    let delay: number | undefined;
    try {
      const report = await rt.poller.tick();
      delay = await rt.poller.nextDelay(report);
    } catch (err) {
      rt.deps.log.error('poller tick failed', { error: err });
      delay = RETRY_AFTER_FAILURE_MS;
    }
    if (delay !== undefined) await this.armAt(Date.now() + delay);
  }

  /**
   * The Store, over RPC: one entry point for every Store method (never `close`, nor anything else on this object).
   * Each call runs here, one at a time, so the compare-and-set rules hold for every caller.
   */
  storeCall<M extends StoreMethod>(method: M, args: StoreArgs<M>): Promise<StoreResult<M>> {
    return callStore(this.store, method, args);
  }

  /**
   * Does every queued Slack job; each is taken off the queue before it runs, so none runs twice. A job sealed by
   * an earlier instance (the object restarted in between) cannot be opened: the person is told to ask again.
   */
  private async runSlackJobs(rt: { deps: Deps; slack: Slack | undefined }): Promise<void> {
    for (;;) {
      const queue = JSON.parse((await this.store.getValue(SLACK_JOBS)) ?? '[]') as QueuedJob[];
      const entry = queue.shift();
      if (!entry) return;
      await this.store.setValue(SLACK_JOBS, JSON.stringify(queue));
      if (!rt.slack) continue;
      const text = typeof entry.sealed === 'string' ? await unseal(this.jobKey, entry.sealed) : undefined;
      if (text === undefined) {
        rt.deps.log.warn(
          'a queued Slack request was lost to a restart before it ran; its sender is asked to retry',
        );
        if (entry.response_url)
          await rt.slack
            .respond(entry.response_url, {
              response_type: 'ephemeral',
              text: 'maas-mcp restarted before this ran, so nothing was done. Please run it again.',
            })
            .catch((err: unknown) =>
              rt.deps.log.warn('could not answer a lost Slack request', { error: err }),
            );
        continue;
      }
      await runSlackJob(rt.slack, JSON.parse(text) as SlackJob).catch((err: unknown) =>
        rt.deps.log.error('Slack work failed', { error: err }),
      );
    }
  }

  /** Sets the alarm for `at` unless one is already due sooner (a kick never delays a tick). */
  private async armAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * The simulator, made on first use. It lives in this object's memory: when the object is evicted or
   * restarted, the simulated fleet starts again from its seed (the store's records stay).
   */
  private demo(): Simulator | undefined {
    const demo = demoOf(this.env);
    if (!demo.enabled) return undefined;
    this.sim ??= createSimulator({ timeScale: demo.timeScale });
    return this.sim;
  }

  private poller(): { deps: Deps; poller: Poller; slack: Slack | undefined } {
    if (this.runtime) return this.runtime;
    const config = workerConfigOf(this.env);
    const sim = this.demo();
    // The object's own simulator is called in-process; only the Worker goes through this object's fetch.
    const demo = sim && { url: sim.baseUrl, apiKey: sim.users.admin.apiKey, fetch: sim.fetch };
    const maas = chooseMaas(config, demo, MAAS_SETTINGS_HINT, () => maasFetch(this.env.MAAS_VPC));
    const secrets = secretsOf(config);
    const log = workerLogger(secrets);
    // Completion notices and progress edits go to Slack from here, where the poller sees operations change.
    const { deps, slack } = buildDeps({
      config,
      tools: REQUEST_TOOLS,
      maas,
      store: this.store,
      secrets,
      log,
      kickPoller: () => {
        this.kick().catch((err: unknown) => log.warn('could not arm the poller alarm', { error: err }));
      },
      slackNotices: true,
      policy: textPolicy(config),
    });
    // Once per Durable Object instance, where Slack work and notices happen.
    for (const warning of slackSetupWarnings(config.slack)) log.warn(warning);
    this.runtime = { deps, poller: new Poller(deps), slack };
    return this.runtime;
  }
}
