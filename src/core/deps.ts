/**
 * What every call runs with: the injected dependencies (Deps — no globals), and the context an adapter gives one
 * tool call (who calls, how to reach them, how they confirm).
 */
import type { Clock } from '../base/clock.ts';
import type { Logger } from '../base/log.ts';
import type { SecretSet } from '../base/redact.ts';
import type { Vault } from '../base/vault.ts';
import type { Config, ConfirmMode } from '../config.ts';
import type { MaasClient } from '../maas/client.ts';
import type { AuditRecord, MachineSnapshot, NotifyTarget, OperationKind, Store } from '../store/types.ts';
import type { Principal } from './access.ts';
import type { NotifierHub } from './operations/notify.ts';
import type { Plan } from './plan.ts';
import type { PolicySource } from './policy/rules.ts';
import type { ActionResult } from './result.ts';
import type { WorkflowRuns } from './workflows/api.ts';

export interface Deps {
  maas: MaasClient;
  /** Operations, confirmations, audit: SQLite on Node, a Durable Object on Workers, memory in tests. */
  store: Store;
  clock: Clock;
  log: Logger;
  config: Config;
  // `tools`, the registry this runtime offers, is declared with the tools' type in ./tool.ts (which imports this).
  /** Operation news: the poller publishes, waiting calls, MCP sessions and Slack listen. */
  notify: NotifierHub;
  /** Asks the poller to look soon (a new operation, or someone waiting); a no-op where nothing polls. */
  kickPoller: () => void;
  /**
   * MAAS_MCP_CONFIRM=slack: holds an agent's call for a person's approval in Slack (set when Slack is configured);
   * the confirmation gate calls it.
   */
  requestApproval?: RequestApproval;
  /**
   * A secret only this server holds (the MAAS API key in use): seals what the server alone must open again — an
   * approval's button secret for the status page — and signs the page's CSRF tokens. Absent: neither is offered.
   */
  sealKey?: string;
  /** Secret strings known at start (API key parts, tokens), scrubbed from every text that leaves. */
  secrets: SecretSet;
  /**
   * Seals what is kept but must not be readable from the store (a cluster's CA key and join token), under a key
   * derived from the MAAS API key in use; absent where no key is known.
   */
  vault?: Vault;
  /** Runs workflows in this process; absent where no process lives long enough to (a Worker). */
  workflows?: WorkflowRuns;
  /** The guardrails (MAAS_MCP_POLICY, README "Guardrails"); absent: no policy, every tool keeps its own rules. */
  policy?: PolicySource;
}

/** A plan a person confirmed once for many calls (a workflow run): which calls it covers. */
export interface ConfirmedPlan {
  /** What was confirmed, as the audit names it: "workflow op_…". */
  name: string;
  /**
   * Why the plan does not cover doing `tool` to `machine`, or undefined when it does (the person was shown that
   * step for that host).
   */
  uncovered(tool: string, machine: { hostname: string; system_id: string }): string | undefined;
}

/** What the gate tells an approval request about the tool it holds a call of. */
export interface GatedTool {
  name: string;
  title: string;
  /** The action as a person says it ("power off"). */
  phrase: string;
  /** The kind of operation the call starts, for the operation that waits for approval. */
  operationKind?(args: Record<string, unknown>): OperationKind;
  /** Its input takes confirm_token (false: a confirmation can only be asked through elicitation). */
  gated?: boolean;
  /** Its answer can be the gate's (false: a call can be confirmed through elicitation only, never held). */
  holds?: boolean;
}

/** What a policy rule asks of an approval (README "Guardrails"): how many people, and why. */
export interface ApprovalNeed {
  approvers: number;
  /** The rules' reasons, shown with the request. */
  reason?: string;
  /** The rules that asked, for the audit. */
  rules: string[];
}

/** Holds a call for a person's approval; answers with the "awaiting approval" result (README "Human approval"). */
export type RequestApproval = (
  tool: GatedTool,
  args: Record<string, unknown>,
  plan: Plan,
  ctx: ToolContext,
  need?: ApprovalNeed,
) => Promise<ActionResult>;

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

/** What an adapter says about one call: who makes it, and how to reach and ask them. */
export interface ToolContext {
  deps: Deps;
  principal: Principal;
  signal?: AbortSignal;
  /** Reports progress to a caller that asked for it (MCP progress token, Slack message update). */
  progress?: (p: Progress) => void;
  /** Asks the person at the client to confirm (MCP elicitation), when the client can. */
  elicit?: (message: string) => Promise<'accept' | 'decline' | 'cancel'>;
  /**
   * Set only by an adapter that has itself confirmed with a person (a Slack approval), with the machines as that
   * person saw them: the gate lets the call through only if they are all still so.
   */
  confirmedAgainst?: readonly MachineSnapshot[];
  /**
   * With `confirmedAgainst`: who approved the call (distinct people). A policy rule that now asks for more
   * approvers than this refuses it.
   */
  approvedBy?: readonly string[];
  /**
   * Set only by what runs a plan a person confirmed as a whole (a workflow run, README "Workflows"): a call the plan
   * showed — this tool, on these machines — passes the gate without asking again; anything else is refused.
   */
  confirmedPlan?: ConfirmedPlan;
  /**
   * The operation this call is a step of (a workflow run): operations it starts send no completion notice of their
   * own — the run announces its outcome — and say whose step they are.
   */
  partOf?: string;
  /**
   * The longest the operation this call starts may run, in ms (a workflow's per-action timeout); unset: the kind's
   * deadline (MAAS_MCP_DEADLINES).
   */
  operationTimeoutMs?: number;
  /** How the gate confirms for this caller, instead of MAAS_MCP_CONFIRM (Slack commands always use tokens). */
  confirmMode?: ConfirmMode;
  /** Where to send the completion notice of an operation this call starts (Slack thread, MCP session). */
  notifyTargets?: NotifyTarget[];
  /**
   * The longest one call may wait (`wait: true`), whatever wait_timeout_s asks: MCP clients give up on a request
   * after 60 s by default. Unset: as asked.
   */
  maxWaitS?: number;
  /** A preset id for the operation this call starts (an MCP task's id). */
  operationId?: string;
  /**
   * The caller is not the one waiting for the outcome (an approval runs an agent's call): a completion notice is
   * due even when MAAS finishes at once.
   */
  announceCompletion?: boolean;
}

/**
 * What the audit record of a write will say beyond who, what and the outcome. The one path (core/invoke.ts) writes
 * the record for every call of a write tool; a tool fills in what only it knows, as it learns it — so a call that
 * fails half-way is recorded with what it had reached.
 */
export interface AuditNote {
  /** The targets, with their state before and after and the outcome for each. */
  targets?: AuditRecord['targets'];
  /** One line: what was done (default: the answer's summary, or the first line of its text). */
  detail?: string;
  /** Default `ok` when the call answers, `failed` when it throws. */
  result?: AuditRecord['result'];
  operation_id?: string;
  /**
   * This call sends MAAS no write at all (a dry run; every field already as asked): it leaves no record, whatever
   * it answers. Set it only on a path that never writes.
   */
  nothingWritten?: true;
  /** The policy rules that decided the call (README "Guardrails"): named in its record. */
  policyRules?: string[];
}

/** The context a tool's own code runs with: the adapter's, plus the note of its audit record. */
export interface RunContext extends ToolContext {
  audit: AuditNote;
}
