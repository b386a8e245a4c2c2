/**
 * The tool registry's building block. Each MAAS operation is defined once — name, zod input and output,
 * annotations, handler, renderer, optional Slack verb — and every adapter (MCP, Slack, docs) loops over these.
 */
import type { z } from 'zod';
import type { ConfirmMode, Role, Toolset } from '../config.ts';
import type { MachineSnapshot, NotifyTarget, Operation, OperationKind } from '../store/types.ts';
import type { Principal } from './access.ts';
import type { ActionResult, Plan } from './actions.ts';
import type { Deps } from './deps.ts';
import { withMaasRights } from './rights.ts';

/** MCP tool annotations, all required so that a tool cannot silently fall back to the protocol's defaults. */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

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
  /** Asks a human approver in Slack (MAAS_MCP_CONFIRM=slack); answers with the "awaiting approval" result. */
  requestApproval?: (tool: AnyTool, args: Record<string, unknown>, plan: Plan) => Promise<ActionResult>;
}

export interface ToolDef<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  /** What the tool does and when to use it; the model reads this. */
  description: string;
  toolset: Toolset;
  /** The least role that may call it. */
  minRole: Role;
  annotations: ToolAnnotations;
  input: I;
  output: O;
  /** Slack sub-command (`/maas <verb> …`); `positional` names the input field bare words fill. */
  slack?: { verb: string; positional?: Extract<keyof z.infer<I>, string> };
  run(args: z.infer<I>, ctx: ToolContext): Promise<z.infer<O>>;
  /** A short text for the model (and for people): the answer, not a dump. */
  render(out: z.infer<O>): string;
  /** Starts an operation MAAS finishes in the background: offered as an MCP task (taskSupport optional). */
  long?: boolean;
  /**
   * A long tool's answer once the operation it started has ended (an MCP task's result): `out` is what it answered
   * when the operation started, `op` the operation as it ended.
   */
  settle?(out: z.infer<O>, op: Operation): z.infer<O>;
  /** The kind of operation it starts, for a call held for approval before it runs. */
  operationKind?(args: z.infer<I>): OperationKind;
  /** The action as a person says it ("release", "power off"), for machine actions. */
  verb?: string;
  /** True when the call achieved nothing (every target failed): adapters mark the answer as an error. */
  failed?(out: z.infer<O>): boolean;
  /**
   * MAAS lets only its admins do this (`is_superuser`; MAAS `maasserver/auth/local.py` admin permission): with another user's API key the
   * call is refused before anything is read, previewed or confirmed.
   */
  maasAdmin?: boolean;
}

/**
 * Keeps each tool's own input/output types at the definition site, and builds in the rules every call of the tool
 * must pass whichever adapter makes it: a {@link ToolDef.maasAdmin} tool runs only with a MAAS admin's key.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef<I, O> {
  return withMaasRights(def);
}

/** A tool of any shape, as the adapters hold them. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds tools of every input/output type.
export type AnyTool = ToolDef<any, any>;
