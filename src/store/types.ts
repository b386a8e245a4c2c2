/**
 * What maas-mcp remembers: operations, confirmations, the audit log (README "Long operations", "Safety") and small
 * key/values. One runtime-neutral, asynchronous interface with a memory implementation (tests), SQLite (Node)
 * and a Durable Object (Workers).
 */
import * as z from 'zod/v4';
import type { ClusterRecord } from './clusters.ts';

export const OPERATION_STATES = [
  'awaiting_approval',
  'running',
  'succeeded',
  'failed',
  'partial',
  'timed_out',
  'cancelled',
] as const;
export const OperationState = z.enum(OPERATION_STATES);
export type OperationState = z.infer<typeof OperationState>;

/** States an operation never leaves. */
export const FINAL_STATES: ReadonlySet<OperationState> = new Set([
  'succeeded',
  'failed',
  'partial',
  'timed_out',
  'cancelled',
]);

export const OPERATION_KINDS = [
  'commission',
  'test',
  'deploy',
  'release',
  'erase',
  'rescue_enter',
  'rescue_exit',
  'power_on',
  'power_off',
  'power_cycle',
  'abort',
  /** A destructive action MAAS carries out at once (delete, mark broken…), tracked only while it awaits approval. */
  'action',
  /**
   * A Kubernetes cluster's machines being deployed (create, scale up) or released (scale down, delete); its
   * `judge_as` says which (README "Kubernetes clusters").
   */
  'cluster',
  /**
   * A workflow run (README "Workflows"): one target per host, each with its step records; advanced by the workflow
   * engine, not judged by the poller.
   */
  'workflow',
] as const;
export const OperationKind = z.enum(OPERATION_KINDS);
export type OperationKind = z.infer<typeof OperationKind>;

export const TargetResult = z.enum(['pending', 'succeeded', 'failed', 'timed_out', 'cancelled']);
export type TargetResult = z.infer<typeof TargetResult>;

export const OperationEvent = z.object({
  id: z.number(),
  created: z.string(),
  level: z.string(),
  type: z.string(),
  description: z.string(),
});
export type OperationEvent = z.infer<typeof OperationEvent>;

/** One machine of an operation, with what happened to it. */
export const OperationTarget = z.object({
  system_id: z.string(),
  hostname: z.string(),
  start_status: z.string(),
  status: z.string(),
  status_code: z.number(),
  status_message: z.string(),
  power_state: z.string(),
  result: TargetResult,
  /** Status changes seen by the poller, oldest first (bounded). */
  history: z.array(z.object({ at: z.number(), status: z.string(), message: z.string() })),
  /** MAAS's reason when it failed: status_message / error_description. */
  error: z.string().optional(),
  /** The newest MAAS events for this machine, read when it failed. */
  events: z.array(OperationEvent).optional(),
  finished_at: z.number().nullable(),
});
export type OperationTarget = z.infer<typeof OperationTarget>;

/** Where to tell the requester the outcome. */
export const NotifyTarget = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('slack'),
    channel: z.string(),
    thread_ts: z.string().optional(),
    user: z.string().optional(),
    /** A response_url is usable for 30 minutes and 5 uses. */
    response_url: z.string().optional(),
    response_url_expires_at: z.number().optional(),
    /** The message edited with progress (chat.update), once posted. */
    progress_ts: z.string().optional(),
  }),
  z.object({ kind: z.literal('mcp'), session: z.string().optional() }),
]);
export type NotifyTarget = z.infer<typeof NotifyTarget>;

export const Requester = z.object({
  principal: z.string(),
  via: z.enum(['mcp', 'slack', 'cli']),
  role: z.enum(['viewer', 'operator', 'admin']).optional(),
});
export type Requester = z.infer<typeof Requester>;

/**
 * A machine as a person was shown it in a preview: a confirmation (token or Slack approval) holds only while the
 * machine is still so — same status, owner and deployment, and the same thing would be done to it.
 */
export const MachineSnapshot = z.object({
  system_id: z.string(),
  status: z.number(),
  /** The rest of what the preview showed and promised; snapshots made before it existed lack it (refused). */
  shown: z
    .object({
      hostname: z.string(),
      owner: z.string().nullable(),
      locked: z.boolean(),
      /** What identifies what it runs: OS, series and MAAS's installation result ("" parts when none). */
      deployment: z.string(),
      verdict: z.enum(['run', 'skip', 'refuse']),
      effect: z.string(),
    })
    .optional(),
});
export type MachineSnapshot = z.infer<typeof MachineSnapshot>;

/** Where one step of a workflow host stands. */
export const WORKFLOW_STEP_STATES = [
  'pending',
  'running',
  'done',
  'skipped',
  'unsupported',
  'failed',
  'cancelled',
] as const;
export const WorkflowStepState = z.enum(WORKFLOW_STEP_STATES);
export type WorkflowStepState = z.infer<typeof WorkflowStepState>;

/** One step of one host of a workflow run: written before it starts (so a restart knows) and when it ends. */
export const WorkflowStep = z.object({
  action: z.string(),
  state: WorkflowStepState,
  /** What it did, why it was skipped, or MAAS's reason for a failure (never a secret). */
  note: z.string().optional(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  attempts: z.number().int(),
  /** The operation it started and waits on (commission, deploy, release): after a restart it is followed again. */
  operation_id: z.string().optional(),
  /** What the machine was when the step was about to write, to tell after a restart whether the write happened. */
  before: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional(),
});
export type WorkflowStep = z.infer<typeof WorkflowStep>;

/**
 * A workflow run as stored with its operation: what was asked (the file without credentials and secrets, its
 * digest), who runs it now (a lease), and a step record per host — hosts[i] is targets[i].
 */
export const WorkflowRecord = z.object({
  /** SHA-256 of the secret-free plan: the same file (same actions, same hosts) is the same run. */
  digest: z.string(),
  /** Who resumes it after a crash: the CLI that reads the file again, or the server that started it. */
  origin: z.enum(['cli', 'server']),
  /** The workflow file without credentials, secret values replaced by "[redacted]". */
  file: z.record(z.string(), z.unknown()),
  /** The -a / action override and the --hosts selection, as asked. */
  action: z.string().nullable(),
  hosts_selected: z.array(z.string()).nullable(),
  max_retries: z.number().int(),
  parallel: z.number().int(),
  /** Secret values of the file (BMC credentials) encrypted for a server resume; never in the clear. */
  sealed: z.string().optional(),
  /** The run this one carries on from (its hosts' finished steps were not repeated). */
  continued_from: z.string().optional(),
  /** The process running it, until when: another may take over only after that (or when the holder is gone). */
  lease: z.object({ holder: z.string(), until: z.number() }).nullable(),
  hosts: z.array(
    z.object({
      hostname: z.string(),
      steps: z.array(WorkflowStep),
    }),
  ),
});
export type WorkflowRecord = z.infer<typeof WorkflowRecord>;

export const Operation = z.object({
  id: z.string(),
  kind: OperationKind,
  /**
   * The kind whose rules judge its machines when that is not its own (a cluster operation deploys or releases);
   * absent: its kind.
   */
  judge_as: OperationKind.optional(),
  /** The tool that started it (e.g. machine_deploy). */
  tool: z.string(),
  state: OperationState,
  targets: z.array(OperationTarget),
  requester: Requester,
  notify: z.array(NotifyTarget),
  created_at: z.number(),
  updated_at: z.number(),
  deadline_at: z.number(),
  finished_at: z.number().nullable(),
  /** When the poller should next read this operation's machines. */
  next_poll_at: z.number(),
  /**
   * When the completion notice was delivered (or when it was decided that none is due): set once, after delivery,
   * never before it. Delivery itself is leased ({@link Store.claimNotice}), so two pollers never send it at once.
   */
  notice_sent_at: z.number().nullable(),
  /** One line a person reads: "deploy 2 machines (jammy)". */
  summary: z.string(),
  /**
   * For `awaiting_approval` only: the call to make once a human approves. Kept server-side and never shown; its
   * arguments (they may hold user_data) are `sealed` with a secret only the Approve button carries, `args` then
   * being empty (records from before sealing hold them in `args`).
   */
  pending_call: z
    .object({
      tool: z.string(),
      args: z.record(z.string(), z.unknown()),
      sealed: z.string().optional(),
      /**
       * The Approve button's secret, sealed with the server's key (Deps.sealKey): lets a person approve where no
       * button is (the status page) without the secret ever being shown or stored in the clear.
       */
      server_sealed: z.string().optional(),
      /** Every machine the request named, as the approver is shown it: approval runs only if none changed. */
      snapshot: z.array(MachineSnapshot).optional(),
      /**
       * Held by a policy rule (README "Guardrails"): how many distinct people must approve, which rules asked and
       * why, and who approved so far. Absent: one approval.
       */
      approvals: z
        .object({
          needed: z.number().int().min(1),
          rules: z.array(z.string()),
          reason: z.string().optional(),
          by: z.array(
            z.object({ principal: z.string(), via: z.enum(['mcp', 'slack', 'cli']), at: z.number() }),
          ),
        })
        .optional(),
    })
    .nullable(),
  /** Optimistic concurrency: {@link Store.updateOperation} refuses a stale version. */
  version: z.number().int(),
  /** For kind `workflow` only: the run's plan and step records. */
  workflow: WorkflowRecord.optional(),
});
export type Operation = z.infer<typeof Operation>;

/** Filters are ANDed; an empty list means "any". */
export interface OperationFilter {
  state?: readonly OperationState[];
  kind?: readonly OperationKind[];
  /** A system_id or hostname among the targets. */
  machine?: string;
  principal?: string;
  limit?: number;
  offset?: number;
}

export const Confirmation = z.object({
  /** SHA-256 of the token, hex: the token itself is never stored. */
  token_hash: z.string(),
  tool: z.string(),
  /** SHA-256 of the canonical arguments (without confirm_token). */
  args_hash: z.string(),
  principal: z.string(),
  /** Each target as the preview showed it. */
  targets: z.array(MachineSnapshot),
  created_at: z.number(),
  expires_at: z.number(),
  used_at: z.number().nullable(),
});
export type Confirmation = z.infer<typeof Confirmation>;

export const AUDIT_RESULTS = [
  'ok',
  'partial',
  'failed',
  'refused',
  'cancelled',
  'awaiting_approval',
  'approved',
  'denied',
] as const;

export const AuditRecord = z.object({
  id: z.number().int(),
  at: z.number(),
  principal: z.string(),
  via: z.enum(['mcp', 'slack', 'cli']),
  tool: z.string(),
  targets: z.array(
    z.object({
      system_id: z.string(),
      hostname: z.string(),
      before: z.string().optional(),
      after: z.string().optional(),
      outcome: z.string().optional(),
    }),
  ),
  result: z.enum(AUDIT_RESULTS),
  /** A readable line: what was asked and what happened (redacted). */
  detail: z.string(),
  /** The arguments, redacted (no user_data, no power parameters, no tokens). */
  args: z.record(z.string(), z.unknown()),
  operation_id: z.string().nullable(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;
export type NewAuditRecord = Omit<AuditRecord, 'id'>;

export interface AuditFilter {
  since?: number;
  principal?: string;
  /** A system_id or hostname among the targets. */
  machine?: string;
  tool?: string;
  limit?: number;
  offset?: number;
}

/** A key of the key/values, as {@link Store.listValues} lists it. */
export interface ValueKey {
  key: string;
  /** When it reads as absent (by the store's clock); undefined when it never expires. */
  expiresAt: number | undefined;
}

/** The most keys one {@link Store.listValues} call answers. */
export const MAX_LIST_VALUES = 1000;

export interface Store {
  /** Adds a new operation; throws if the id exists. */
  createOperation(op: Operation): Promise<void>;
  getOperation(id: string): Promise<Operation | undefined>;
  /**
   * Replaces an operation if its stored version equals `op.version`, storing `op.version + 1`; returns the
   * stored record, or undefined when someone else updated it first (the caller re-reads and retries).
   * A stored `notice_sent_at` is never cleared by an update (a stale copy cannot re-arm a sent notice).
   */
  updateOperation(op: Operation): Promise<Operation | undefined>;
  /** Newest first. */
  listOperations(filter?: OperationFilter): Promise<Operation[]>;
  /** Every operation in state `running`, oldest first — what the poller tracks. */
  runningOperations(): Promise<Operation[]>;
  /**
   * Leases the delivery of an operation's completion notice until `leaseUntil`: true for one caller at a time,
   * while the notice is unsent and no other lease is running (a lease that ran out — its holder died — can be
   * taken again, so a notice is delivered at least once).
   */
  claimNotice(id: string, at: number, leaseUntil: number): Promise<boolean>;
  /**
   * Ends a lease taken with {@link claimNotice}: `sentAt` records the delivery (the notice is never sent again);
   * `retryAt` keeps it unsent and lets no one try again before that time.
   */
  settleNotice(id: string, outcome: { sentAt: number } | { retryAt: number }): Promise<void>;
  /**
   * Operations in a final state whose notice is unsent and not leased at `now`, oldest first: the poller's
   * to-do list (after a restart, or a failed delivery).
   */
  unnoticedOperations(now: number): Promise<Operation[]>;
  /** When the earliest lease (a retry, or a delivery under way) on an unsent notice runs out; undefined if none. */
  nextNoticeAt(): Promise<number | undefined>;

  /** Adds a confirmation; refuses an existing token_hash (replacing one could re-arm a used token). */
  putConfirmation(c: Confirmation): Promise<void>;
  getConfirmation(tokenHash: string): Promise<Confirmation | undefined>;
  /** Atomically marks a confirmation used; true only for the first caller. */
  useConfirmation(tokenHash: string, at: number): Promise<boolean>;
  /** Deletes confirmations that expired before `before`; returns how many. */
  purgeConfirmations(before: number): Promise<number>;

  /** Appends to the audit log (append-only: there is no update or delete); returns the new id. */
  appendAudit(rec: NewAuditRecord): Promise<number>;
  /** Newest first. */
  listAudit(filter?: AuditFilter): Promise<AuditRecord[]>;

  /** Adds a cluster record; throws if a cluster of that name exists. */
  createCluster(c: ClusterRecord): Promise<void>;
  getCluster(name: string): Promise<ClusterRecord | undefined>;
  /**
   * Replaces a cluster record if its stored version equals `c.version`, storing `c.version + 1`; returns the stored
   * record, or undefined when someone else updated (or deleted) it first.
   */
  updateCluster(c: ClusterRecord): Promise<ClusterRecord | undefined>;
  /** Every cluster record, by name. */
  listClusters(): Promise<ClusterRecord[]>;
  /** Deletes a cluster record if its stored version is `version`; true when it did. */
  deleteCluster(name: string, version: number): Promise<boolean>;

  getValue(key: string): Promise<string | undefined>;
  /** Stores a value; with `expiresAt`, it reads as absent after that time (by the store's clock). */
  setValue(key: string, value: string, expiresAt?: number): Promise<void>;
  /**
   * Stores a value only if the key is absent (or expired), atomically: true for the one caller that stored it.
   * Also forgets every value that has expired, so keys written once and never read again do not pile up.
   */
  addValue(key: string, value: string, expiresAt: number): Promise<boolean>;
  deleteValue(key: string): Promise<void>;
  /**
   * The live keys that start with `prefix`, in key order, after `after` (a cursor: the last key of the previous
   * page), at most `limit` (default and most 1,000), each with its expiry.
   */
  listValues(prefix: string, opts?: { after?: string; limit?: number }): Promise<ValueKey[]>;

  close(): Promise<void>;
}
