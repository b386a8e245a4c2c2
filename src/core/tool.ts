/**
 * The tool contract. Each operation is defined once — name, zod input and output, annotations, the one verb, a
 * handler and a text rendering — and every adapter (MCP, Slack, docs, later workflows and the status page) loops
 * over the registry and calls it through the one path (core/invoke.ts), which applies the rules whatever the tool
 * declares: who may call it, MAAS's rights, the confirmation gate, the audit, its output schema.
 *
 * What the registry adds, so that no tool can forget it: `confirm_token` in the input of every gated tool (a
 * destructive one, or one that declares `confirms`), an output schema that admits the gate's held answers, and the
 * tool's phrase ("power off") from its verb.
 */
import * as z from 'zod/v4';
import type { Role, Toolset } from '../config.ts';
import type { Operation, OperationKind } from '../store/types.ts';
import type { RunContext } from './deps.ts';
import type { Plan } from './plan.ts';
import { ActionResult } from './result.ts';

/** MCP tool annotations, all required so that a tool cannot silently fall back to the protocol's defaults. */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/**
 * How an adapter that draws answers (Slack's Block Kit) shows a tool's answer. `text` — the tool's own rendering —
 * unless a tool names a richer view of its answer's shape; `action` is a machine action's per-machine outcome.
 */
export const VIEWS = [
  'text',
  'action',
  'machine-list',
  'machine-card',
  'fleet-summary',
  'operation-list',
  'operation',
] as const;
export type View = (typeof VIEWS)[number];

/** A call's arguments: the tool's own fields, and the confirm_token the registry adds to a gated tool. */
export type Args<I extends z.ZodObject> = z.infer<I> & { confirm_token?: string };

/** What a tool declares (see CONTRIBUTING.md "Adding a MAAS tool"). */
export interface ToolSpec<I extends z.ZodObject, O extends z.ZodObject, P extends Plan = Plan> {
  /** snake_case, pinned once published. */
  name: string;
  title: string;
  /** What the tool does and when to use it; the model reads this. */
  description: string;
  toolset: Toolset;
  /** The least role that may call it. */
  minRole: Role;
  annotations: ToolAnnotations;
  /** Every field described (`.describe(…)`); never `confirm_token`, which the registry adds. */
  input: I;
  output: O;
  /**
   * The one verb: the Slack command (`/maas <verb>`, e.g. `power-off`) and, its hyphens read as spaces, how
   * messages name the action ("cannot power off web-01").
   */
  verb: string;
  /**
   * How Slack offers it: `positional` names the input field bare words fill, `view` how its answer is drawn
   * (default `text`). `false`: not offered in Slack.
   */
  slack?: { positional?: Extract<keyof z.infer<I>, string>; view?: View } | false;
  /**
   * Reads what the call would act on and says what would happen to each target, changing nothing. The gate shows
   * it and binds a confirmation to it; `run` gets the plan read after the confirmation.
   */
  preview?(args: Args<I>, ctx: RunContext): Promise<P>;
  /** Does the work. A write fills in `ctx.audit` with what only it knows (targets, a detail line). */
  run(args: Args<I>, ctx: RunContext, plan?: P): Promise<z.infer<O>>;
  /** A short text for the model (and for people): the answer, not a dump. */
  render(out: z.infer<O>): string;
  /**
   * For a tool that is not destructive but holds some calls for confirmation (its preview marks a target
   * `confirm`, or it passes a token on to a destructive tool it calls): when it asks — the description of the
   * confirm_token field the registry adds.
   */
  confirms?: string;
  /**
   * MAAS lets only its admins do this (`is_superuser`; MAAS `maasserver/auth/local.py` admin permission): with
   * another user's API key the call is refused before anything is read, previewed or confirmed.
   */
  maasAdmin?: boolean;
  /**
   * The whole answer is a secret (a kubeconfig): shown to the MCP caller who asked, never in Slack, and the call
   * is audited (who read it) without its contents. Single fields are marked with {@link secret}.
   */
  secret?: boolean;
  /** Starts an operation MAAS finishes in the background: offered as an MCP task (taskSupport optional). */
  long?: boolean;
  /**
   * A long tool's answer once the operation it started has ended (an MCP task's result): `out` is what it answered
   * when the operation started, `op` the operation as it ended.
   */
  settle?(out: z.infer<O>, op: Operation): z.infer<O>;
  /** The kind of operation it starts, for a call held for approval before it runs. */
  operationKind?(args: Args<I>): OperationKind;
  /** True when the call achieved nothing (every target failed): adapters mark the answer as an error. */
  failed?(out: z.infer<O>): boolean;
}

/** A registered tool: its spec as the registry completed it. */
export interface ToolDef<
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodObject = z.ZodObject,
  P extends Plan = Plan,
> extends Omit<ToolSpec<I, O, P>, 'slack'> {
  /** The action as a person says it: the verb with its hyphens read as spaces ("power off"). */
  readonly phrase: string;
  /** Calls may be held for confirmation (destructive, or `confirms`): its input has `confirm_token`. */
  readonly gated: boolean;
  /**
   * Its answer can be the gate's instead of its own (confirmation required, cancelled, awaiting approval): a
   * policy rule may hold its calls (README "Guardrails").
   */
  readonly holds: boolean;
  /** How Slack offers it; undefined: not offered in Slack. */
  readonly slack: { positional?: Extract<keyof z.infer<I>, string>; view: View } | undefined;
}

/** A tool of any shape, as the adapters hold them. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds tools of every input/output type.
export type AnyTool = ToolDef<any, any, any>;

declare module './deps.ts' {
  interface Deps {
    /** The registry this runtime offers (src/tools/registry.ts): Node's has the workflow tools, a Worker's not. */
    tools: readonly AnyTool[];
  }
}

/** The action as a person says it: a verb's hyphens read as spaces (`power-off` → "power off"). */
export function phraseOf(verb: string): string {
  return verb.replace(/-/g, ' ');
}

const CONFIRM_TOKEN_HELP = 'From a confirmation_required answer, to carry the call out';

/** `confirm_token`, as the registry adds it to a gated tool's input. */
export function confirmTokenField(description = CONFIRM_TOKEN_HELP) {
  return z.string().optional().describe(description);
}

/**
 * Registers a tool: checks what must hold for every tool, and adds what the rules need (`confirm_token`, an output
 * that admits the gate's answers, the phrase). Keeps the tool's own input/output types at the definition site.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject, P extends Plan = Plan>(
  spec: ToolSpec<I, O, P>,
): ToolDef<I, O, P> {
  const { readOnlyHint, destructiveHint } = spec.annotations;
  if (readOnlyHint && destructiveHint)
    throw new Error(`${spec.name}: a tool cannot be read-only and destructive`);
  if ('confirm_token' in spec.input.shape) {
    throw new Error(`${spec.name}: the registry adds confirm_token to a gated tool; do not declare it`);
  }
  if (readOnlyHint && spec.confirms !== undefined)
    throw new Error(`${spec.name}: a read-only tool confirms nothing`);
  const gated = destructiveHint || spec.confirms !== undefined;
  // The gate holds calls of the tool itself (rather than of a tool it calls) when it is destructive or previews.
  const holds = destructiveHint || spec.preview !== undefined;
  const output = (gated && holds ? admitHeld(spec.output) : spec.output) as O;
  return {
    ...spec,
    input: (gated ? spec.input.extend({ confirm_token: confirmTokenField(spec.confirms) }) : spec.input) as I,
    output,
    phrase: phraseOf(spec.verb),
    gated,
    holds: output.safeParse(HELD_SAMPLE).success,
    slack: spec.slack === false ? undefined : { ...spec.slack, view: spec.slack?.view ?? 'text' },
  };
}

/** The least answer the gate gives instead of a tool's: whether a tool's output admits it. */
const HELD_SAMPLE = {
  status: 'cancelled',
  action: 'check',
  summary: '',
  succeeded: [],
  skipped: [],
  failed: [],
  not_found: [],
} satisfies ActionResult;

/**
 * A gated tool's output schema: its own, or — when its answer is not already an {@link ActionResult} — its own
 * fields and the gate's (a held call answers with a preview instead of the tool's result), all optional; a field
 * both have takes either's values.
 */
function admitHeld(output: z.ZodObject): z.ZodObject {
  const held = ActionResult.shape as Record<string, z.ZodType>;
  const own = output.shape as Record<string, z.ZodType>;
  if (Object.keys(held).every((k) => own[k] === held[k])) return output;
  const merged: Record<string, z.ZodType> = {};
  for (const [k, schema] of Object.entries(own)) {
    const gate = held[k];
    merged[k] = (gate && gate !== schema ? z.union([schema, gate]) : schema).optional();
  }
  for (const [k, schema] of Object.entries(held)) if (!(k in own)) merged[k] = schema.optional();
  return z.object(merged);
}

const SECRET = z.registry<{ secret: true }>();

/**
 * Marks an output field as a secret (a kubeconfig, a generated password): shown to the MCP caller who asked for
 * it, never in Slack, never in an audit record or a log line. Wrap the finished field —
 * `secret(z.string().describe('…'))` — since every zod method answers a new, unmarked schema.
 */
export function secret<T extends z.ZodType>(schema: T): T {
  const marked = schema.clone() as T;
  SECRET.add(marked, { secret: true });
  return marked;
}

export const SECRET_SHOWN = '[secret: not shown here; ask for it over MCP]';

/** An answer with every secret in it replaced: the whole of a secret tool's, or its secret fields. */
export function withoutSecrets(tool: Pick<AnyTool, 'output' | 'secret'>, out: unknown): unknown {
  if (tool.secret) return SECRET_SHOWN;
  return mask(tool.output, out);
}

function mask(schema: z.ZodType, value: unknown): unknown {
  if (SECRET.has(schema)) return value === undefined ? value : SECRET_SHOWN;
  const def = (schema as z.ZodType & { def: SchemaDef }).def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
      return value === undefined || value === null ? value : mask(def.innerType as z.ZodType, value);
    case 'object': {
      if (typeof value !== 'object' || value === null) return value;
      const shape = def.shape as Record<string, z.ZodType>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = shape[k] ? mask(shape[k], v) : v;
      return out;
    }
    case 'array':
      return Array.isArray(value) ? value.map((v) => mask(def.element as z.ZodType, v)) : value;
    case 'record': {
      if (typeof value !== 'object' || value === null) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = mask(def.valueType as z.ZodType, v);
      return out;
    }
    default:
      return value;
  }
}

interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
}
