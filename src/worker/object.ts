/**
 * The one Durable Object of a deployment (`MaasMcpObject`, bound as MAAS_MCP, addressed by name "main"). It owns
 * what must outlive a request and exist once: the Store (SQLite in the object, {@link DurableSqlStore}), the
 * poller (driven by the object's alarm instead of timers), and in demo mode the simulated MAAS.
 */
import { DurableObject } from 'cloudflare:workers';
import { type Config, ConfigError, parseConfig } from '../config.ts';
import { systemClock } from '../core/clock.ts';
import { NotifierHub } from '../core/operations/notify.ts';
import { Poller } from '../core/operations/poller.ts';
import { SecretSet } from '../core/redact.ts';
import type { Deps } from '../deps.ts';
import { createSimulator, type Simulator } from '../sim/index.ts';
import { createSlack, runSlackJob, type Slack, type SlackJob } from '../slack.ts';
import { DurableSqlStore } from '../store/durable.ts';
import type {
  AuditFilter,
  AuditRecord,
  Confirmation,
  NewAuditRecord,
  Operation,
  OperationFilter,
  Store,
} from '../store/types.ts';
import { demoOf, type Env, settingsOf } from './env.ts';
import { globalFetch, maasApi, maasFetch, secretsOf, workerLogger } from './runtime.ts';

/** The Store as the Worker reaches it over RPC (closing it is the object's business, not a caller's). */
export type StoreRpc = Omit<Store, 'close'>;

/** Where the demo's MAAS answers, and the admin key the Worker uses there. */
export interface DemoCredentials {
  url: string;
  apiKey: string;
}

/** Where queued Slack work waits for the alarm. */
const SLACK_JOBS = 'slack:jobs';

/** Wait after a tick failed for a reason other than MAAS (MAAS outages back off inside the poller). */
const RETRY_AFTER_FAILURE_MS = 15_000;

/** The Durable Object class: the Store over RPC, the poller on its alarm, and the demo simulator. */
export class MaasMcpObject extends DurableObject<Env> implements StoreRpc {
  private readonly store: DurableSqlStore;
  private sim: Simulator | undefined;
  private runtime: { deps: Deps; poller: Poller; slack: Slack | undefined } | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Synchronous and cheap once current: the schema is ready before the first call is let in.
    this.store = new DurableSqlStore(ctx.storage);
  }

  /** Serves the demo simulator's MAAS API under /MAAS/ (the Worker's MAAS client fetches through here). */
  override async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const sim = this.demo();
    if (sim && path.startsWith('/MAAS/')) return sim.app.fetch(request);
    return Response.json({ error: `no route ${request.method} ${path}` }, { status: 404 });
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
    const queue = JSON.parse((await this.store.getValue(SLACK_JOBS)) ?? '[]') as SlackJob[];
    queue.push(job);
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

  // The Store, over RPC: each call runs here, one at a time, so the compare-and-set rules hold for every caller.
  createOperation(op: Operation): Promise<void> {
    return this.store.createOperation(op);
  }
  getOperation(id: string): Promise<Operation | undefined> {
    return this.store.getOperation(id);
  }
  updateOperation(op: Operation): Promise<Operation | undefined> {
    return this.store.updateOperation(op);
  }
  listOperations(filter?: OperationFilter): Promise<Operation[]> {
    return this.store.listOperations(filter);
  }
  runningOperations(): Promise<Operation[]> {
    return this.store.runningOperations();
  }
  claimNotice(id: string, at: number): Promise<boolean> {
    return this.store.claimNotice(id, at);
  }
  unnoticedOperations(): Promise<Operation[]> {
    return this.store.unnoticedOperations();
  }
  putConfirmation(c: Confirmation): Promise<void> {
    return this.store.putConfirmation(c);
  }
  getConfirmation(tokenHash: string): Promise<Confirmation | undefined> {
    return this.store.getConfirmation(tokenHash);
  }
  useConfirmation(tokenHash: string, at: number): Promise<boolean> {
    return this.store.useConfirmation(tokenHash, at);
  }
  purgeConfirmations(before: number): Promise<number> {
    return this.store.purgeConfirmations(before);
  }
  appendAudit(rec: NewAuditRecord): Promise<number> {
    return this.store.appendAudit(rec);
  }
  listAudit(filter?: AuditFilter): Promise<AuditRecord[]> {
    return this.store.listAudit(filter);
  }
  getValue(key: string): Promise<string | undefined> {
    return this.store.getValue(key);
  }
  setValue(key: string, value: string, expiresAt?: number): Promise<void> {
    return this.store.setValue(key, value, expiresAt);
  }
  deleteValue(key: string): Promise<void> {
    return this.store.deleteValue(key);
  }

  /** Does every queued Slack job; each is taken off the queue before it runs, so none runs twice. */
  private async runSlackJobs(rt: { deps: Deps; slack: Slack | undefined }): Promise<void> {
    for (;;) {
      const queue = JSON.parse((await this.store.getValue(SLACK_JOBS)) ?? '[]') as SlackJob[];
      const job = queue.shift();
      if (!job) return;
      await this.store.setValue(SLACK_JOBS, JSON.stringify(queue));
      if (!rt.slack) continue;
      await runSlackJob(rt.slack, job).catch((err: unknown) =>
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
    const config: Config = parseConfig(settingsOf(this.env));
    const sim = this.demo();
    let url: string;
    let apiKey: string;
    if (sim) {
      url = sim.baseUrl;
      apiKey = sim.users.admin.apiKey;
    } else if (config.maasUrl && config.maasApiKey) {
      url = config.maasUrl;
      apiKey = config.maasApiKey;
    } else {
      throw new ConfigError('MAAS_URL and MAAS_API_KEY are not set: set both, or MAAS_MCP_DEMO=true');
    }
    const secrets = secretsOf(config, apiKey);
    const log = workerLogger(secrets);
    const deps: Deps = {
      // The object's own simulator is called in-process; only the Worker goes through this object's fetch.
      maas: maasApi(url, apiKey, sim ? sim.fetch : maasFetch(this.env.MAAS_VPC)),
      store: this.store,
      notify: new NotifierHub(log),
      kickPoller: () => {
        this.kick().catch((err: unknown) => log.warn('could not arm the poller alarm', { error: err }));
      },
      clock: systemClock,
      log,
      config,
      secrets,
    };
    // Completion notices and progress edits go to Slack from here, where the poller sees operations change.
    const slack = createSlack(deps, { fetch: globalFetch });
    if (slack) {
      deps.notify.subscribe(slack.notices);
      deps.approvals = slack.requestApproval;
    }
    this.runtime = { deps, poller: new Poller(deps), slack };
    return this.runtime;
  }
}
