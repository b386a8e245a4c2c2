/**
 * What the rest of the program asks of the workflows of this process (Deps.workflows; README "Workflows"): a
 * preview of a plan, and starting (or resuming) a run. Only types: the runner (./runner.ts) answers them.
 */
import type { Role } from '../../config.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import type { NotifyTarget, Operation } from '../../store/types.ts';
import type { Principal } from '../access.ts';
import type { Plan } from '../plan.ts';
import type { Action, WorkflowFile } from './format.ts';

/** A workflow file and what is asked of it: `-a` and `--hosts`. */
export interface WorkflowAsk {
  file: WorkflowFile;
  action?: Action | undefined;
  hosts?: readonly string[] | undefined;
  /** Where paths in error messages start (`workflow.` for a tool's argument). */
  prefix?: string;
}

export interface StepPreview {
  action: Action;
  /** What it would do to this host, as read now. */
  effect: string;
  /** Its tool is destructive: the person confirming is shown it. */
  destructive: boolean;
  /** The tool it calls and that tool's verb, if it calls one (what policy rules name, README "Guardrails"). */
  tool?: { name: string; verb: string };
}

export interface HostPreview {
  hostname: string;
  /** '' when the machine is not in MAAS (yet). */
  system_id: string;
  status: string;
  steps: StepPreview[];
}

export interface WorkflowPreview {
  actions: Action[];
  /** What the plan changed from the file, and why. */
  notes: string[];
  hosts: HostPreview[];
  /** What the confirmation gate shows and binds the confirmation to. */
  gate: Plan;
  /** The hosts' machines as read (by lower-case hostname), handed on to the run. */
  known: ReadonlyMap<string, MachineSummary>;
}

export interface WorkflowStartRequest extends WorkflowAsk {
  /** Who resumes it after a crash: the CLI (reading the file again) or the server. */
  origin: 'cli' | 'server';
  /** Who confirmed it: every step is called as them. */
  principal: Principal;
  notify: NotifyTarget[];
  /** A preset operation id (an MCP task's, or a call held for approval). */
  operationId?: string | undefined;
  maxRetries: number;
  parallel: number;
  known?: ReadonlyMap<string, MachineSummary>;
}

export interface WorkflowStarted {
  op: Operation;
  /**
   * started: a new run; resumed: an interrupted run of the same plan goes on; continued: a new run carrying on
   * from one that ended unfinished (finished steps are not repeated); running: already being run; done: every host
   * had already finished it.
   */
  how: 'started' | 'resumed' | 'continued' | 'running' | 'done';
}

export interface WorkflowRuns {
  /** What the run would do, for a caller of this role (a step it may not do is refused up front). */
  preview(ask: WorkflowAsk & { role: Role; dryRun?: boolean | undefined }): Promise<WorkflowPreview>;
  start(request: WorkflowStartRequest): Promise<WorkflowStarted>;
  /** Whether a run is being run right now, by this process or another that is alive. */
  running(op: Operation): boolean;
}
