/**
 * The workflows of one process (Deps.workflows; README "Workflows"): previews plans, starts runs, and finds the run
 * a file already has — the same file asking the same thing is the same run (by its digest): an interrupted run is
 * resumed where each host stood, one that ended unfinished is carried on without repeating what was done, one
 * being run elsewhere is left to it. A server resumes, when it starts, the runs it started itself.
 */
import { seal, unseal } from '../../base/seal.ts';
import type { Operation } from '../../store/types.ts';
import type { Principal } from '../access.ts';
import type { Deps } from '../deps.ts';
import type {
  WorkflowAsk,
  WorkflowPreview,
  WorkflowRuns,
  WorkflowStarted,
  WorkflowStartRequest,
} from './api.ts';
import { type ToolLookup, WorkflowEngine, type WorkflowEvent } from './engine.ts';
import { parseWorkflow } from './format.ts';
import {
  type HostSecrets,
  joinSecrets,
  planWorkflow,
  splitSecrets,
  type WorkflowPlan,
  workflowDigest,
} from './plan.ts';
import { previewWorkflow } from './preview.ts';
import { claimRun, createRun, isRunning } from './record.ts';

export interface RunnerOptions {
  /** The registry's tools by name (core does not import them). */
  tools: ToolLookup;
  /** This process, as a lease names it (e.g. `cli:host:pid:…`). */
  holder: string;
  /** Whether a lease holder's process is alive, when this process can tell (same machine); default: cannot. */
  alive?: (holder: string) => boolean | undefined;
  /**
   * What the secrets of a server's runs are sealed with (the MAAS API key in use: whoever has it can read BMC
   * settings from MAAS anyway), so that the server can resume them. Unset: they are not kept.
   */
  sealKey?: string | undefined;
  /** Steps of one run calling MAAS at once (default 16). */
  maasConcurrency?: number;
}

/** How many runs are looked through for one with the same digest. */
const LOOK_BACK = 500;

export class WorkflowRunner implements WorkflowRuns {
  private readonly engines = new Map<string, WorkflowEngine>();
  private readonly listeners = new Set<(id: string, e: WorkflowEvent) => void>();
  private readonly alive: (holder: string) => boolean | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly opts: RunnerOptions,
  ) {
    this.alive = opts.alive ?? (() => undefined);
  }

  /** The engine running `id` in this process, if any (the CLI follows its events). */
  engine(id: string): WorkflowEngine | undefined {
    return this.engines.get(id);
  }

  /** Listens to the events of every run this process runs, from its first step on. */
  subscribe(listener: (id: string, e: WorkflowEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  running(op: Operation): boolean {
    return this.engines.has(op.id) || isRunning(op, this.deps.clock.now(), this.alive);
  }

  async preview(
    ask: WorkflowAsk & { role: Principal['role']; dryRun?: boolean | undefined },
  ): Promise<WorkflowPreview> {
    const plan = planWorkflow(ask.file, { action: ask.action, hosts: ask.hosts }, ask.prefix);
    return previewWorkflow(this.deps, plan, this.opts.tools, { role: ask.role, dryRun: ask.dryRun });
  }

  async start(req: WorkflowStartRequest): Promise<WorkflowStarted> {
    const { deps } = this;
    const ask = { action: req.action, hosts: req.hosts };
    const plan = planWorkflow(req.file, ask, req.prefix);
    const { stored, secrets } = splitSecrets(req.file);
    const digest = await workflowDigest(stored, ask);
    const latest = await this.latest(digest);
    if (latest?.state === 'running') {
      const here = this.engines.get(latest.id);
      if (here) return { op: here.op, how: 'running' };
      const claimed = await claimRun(deps, latest, this.opts.holder, this.alive);
      if (!claimed) return { op: latest, how: 'running' };
      // Resumed as asked now: by whoever confirmed it this time, with this time's limits.
      if (claimed.workflow) {
        claimed.workflow.max_retries = req.maxRetries;
        claimed.workflow.parallel = req.parallel;
      }
      this.launch(claimed, plan, req.principal);
      return { op: claimed, how: 'resumed' };
    }
    // One that ended unfinished is carried on; one that succeeded is asked again (each step looks first).
    const previous = latest && latest.state !== 'succeeded' ? latest : undefined;
    const sealed =
      req.origin === 'server' && this.opts.sealKey && Object.keys(secrets).length > 0
        ? await seal(this.opts.sealKey, JSON.stringify(secrets))
        : undefined;
    const op = await createRun(deps, {
      id: req.operationId,
      plan,
      record: {
        digest,
        origin: req.origin,
        file: stored,
        action: req.action ?? null,
        hosts_selected: req.hosts?.length ? [...req.hosts] : null,
        max_retries: req.maxRetries,
        parallel: req.parallel,
        ...(sealed ? { sealed } : {}),
      },
      requester: { principal: req.principal.id, via: req.principal.via, role: req.principal.role },
      notify: req.notify,
      known: req.known ?? new Map(),
      holder: this.opts.holder,
      previous,
    });
    if (op.state !== 'running') return { op, how: 'done' };
    this.launch(op, plan, req.principal);
    return { op, how: previous ? 'continued' : 'started' };
  }

  /**
   * Resumes the runs this server started that no live process runs (after a crash or a restart), as their
   * requesters; answers their ids. Secrets come back from their sealed copy; a host that needs one this process
   * cannot unseal fails at that step, saying so.
   */
  async resumeServerRuns(): Promise<string[]> {
    const { deps } = this;
    const resumed: string[] = [];
    const running = await deps.store.listOperations({
      state: ['running'],
      kind: ['workflow'],
      limit: LOOK_BACK,
    });
    for (const op of running) {
      const wf = op.workflow;
      if (!wf) continue;
      if (wf.origin !== 'server' || this.engines.has(op.id)) continue;
      try {
        const secrets = await this.unsealed(wf.sealed);
        const file = parseWorkflow(joinSecrets(wf.file, secrets));
        const plan = planWorkflow(file, {
          action: (wf.action ?? undefined) as never,
          hosts: wf.hosts_selected ?? undefined,
        });
        const claimed = await claimRun(deps, op, this.opts.holder, this.alive);
        if (!claimed) continue;
        const r = op.requester;
        this.launch(claimed, plan, { id: r.principal, via: r.via, role: r.role ?? 'viewer' });
        resumed.push(op.id);
      } catch (err) {
        deps.log.error('could not resume a workflow run', { id: op.id, error: err });
      }
    }
    return resumed;
  }

  /** Stops every run of this process (shutting down): each is left to resume later. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.engines.values()].map((e) => e.stop()));
  }

  private async unsealed(sealed: string | undefined): Promise<Record<string, HostSecrets>> {
    if (!sealed || !this.opts.sealKey) return {};
    const text = await unseal(this.opts.sealKey, sealed);
    if (text === undefined) {
      this.deps.log.warn('the secrets of a workflow run cannot be unsealed with the MAAS key in use now');
      return {};
    }
    return JSON.parse(text) as Record<string, HostSecrets>;
  }

  private launch(op: Operation, plan: WorkflowPlan, principal: Principal): WorkflowEngine {
    const wf = op.workflow;
    const engine = new WorkflowEngine({
      deps: this.deps,
      op,
      holder: this.opts.holder,
      plan,
      tools: this.opts.tools,
      principal,
      parallel: wf?.parallel ?? 50,
      maxRetries: wf?.max_retries ?? 5,
      ...(this.opts.maasConcurrency ? { maasConcurrency: this.opts.maasConcurrency } : {}),
    });
    this.engines.set(op.id, engine);
    engine.subscribe((e) => {
      for (const l of this.listeners) l(op.id, e);
    });
    engine.done
      .catch((err) => this.deps.log.error('a workflow run stopped on an error', { id: op.id, error: err }))
      .finally(() => {
        if (this.engines.get(op.id) === engine) this.engines.delete(op.id);
      });
    return engine;
  }

  /** The newest run of this digest, if any. */
  private async latest(digest: string): Promise<Operation | undefined> {
    const runs = await this.deps.store.listOperations({ kind: ['workflow'], limit: LOOK_BACK });
    return runs.find((op) => op.workflow?.digest === digest);
  }
}
