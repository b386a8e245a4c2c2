/**
 * MCP tasks backed by operation records, for both revisions: the 2025-11-25 experimental tasks (`tasks/get`,
 * `tasks/result`, `tasks/list`, `tasks/cancel`, a `task` on `tools/call`) and the 2026-07-28 tasks extension
 * (`io.modelcontextprotocol/tasks`: `tasks/get`, `tasks/update`, `tasks/cancel`, a `resultType: "task"` answer).
 * Records live in the Store, bound to their principal, so a task outlives its session and, on Workers, its request;
 * another principal's task id answers "not found".
 *
 * - A task whose call started an operation has that operation's id: a task-aware client and operation_get see the
 *   same thing, and its result is the tool's own answer with the operation as it ended.
 * - A 2025 task whose call ended at once (refused, a confirmation request, nothing to do) gets a `task_…` id, never
 *   an `op_…` one: there is no operation to look up.
 */
import { randomId } from '../base/ids.ts';
import { type Principal, principalKey } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import { cancelById } from '../core/operations/service.ts';
import { describeOperation } from '../core/operations/view.ts';
import { FINAL_STATES, type Operation, type OperationState } from '../store/types.ts';

/** The extension's name, in capabilities and in a request's declared client capabilities. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

const DEFAULT_TTL_MS = 24 * 60 * 60_000;
const PAGE = 50;
/** Tasks remembered per principal for tasks/list (the oldest are forgotten first). */
const LISTED_MAX = 500;

/** A tool's answer as MCP carries it (a CallToolResult). */
export interface ToolAnswer {
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  [key: string]: unknown;
}

/** A tool's final answer from its answer at the start and the operation as it ended (the MCP adapter knows how). */
export type SettleAnswer = (tool: string, started: ToolAnswer, op: Operation) => ToolAnswer;

/** Where a task stands, in the 2025 vocabulary (the 2026 view is derived from it). */
export type TaskStatus = 'working' | 'completed' | 'failed' | 'cancelled';

interface TaskRecord {
  /** {@link principalKey} of the principal who created it. */
  owner: string;
  /** The tool called. */
  tool: string;
  created_at: number;
  ttl: number;
  /** The call ended without an operation to follow: its answer, final. */
  result?: { status: 'completed' | 'failed'; result: ToolAnswer };
  /** The call started the operation with this task's id: its answer then (the final answer adds the end). */
  started?: ToolAnswer;
  cancelled?: boolean;
}

interface Listed {
  id: string;
  expires_at: number;
}

/** One task as it stands now. */
export interface TaskState {
  id: string;
  status: TaskStatus;
  createdAt: number;
  updatedAt: number;
  ttl: number;
  message?: string;
  /** The operation it follows ran to a failure or out of time (a 2026 task then completes with an error result). */
  failed?: boolean;
}

/** A task id that is unknown, expired, or someone else's (the same answer for all three). */
export class TaskNotFound extends Error {
  override name = 'TaskNotFound';
  constructor(id: string) {
    super(`Task not found: ${id}`);
  }
}

function statusOf(state: OperationState): TaskStatus {
  switch (state) {
    case 'running':
    case 'awaiting_approval':
      return 'working';
    case 'succeeded':
    case 'partial':
      return 'completed';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'failed';
  }
}

/** The start of an answer's text (its summary and first detail), for a task's status message. */
function headline(answer: ToolAnswer): string | undefined {
  const text = answer.content.find((c) => c.type === 'text')?.text;
  if (!text) return undefined;
  const lines = text.split('\n', 2).map((l) => l.trim());
  return lines.filter(Boolean).join('; ').slice(0, 300);
}

/** Serialises updates of one key within this process (the per-principal task list is read, changed and written). */
const locks = new Map<string, Promise<unknown>>();
async function locked<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = locks.get(key) ?? Promise.resolve();
  const run = before.then(work, work);
  const tail = run.catch(() => undefined);
  locks.set(key, tail);
  try {
    return await run;
  } finally {
    if (locks.get(key) === tail) locks.delete(key);
  }
}

/** One principal's tasks. */
export class OperationTasks {
  private readonly owner: string;

  constructor(
    private readonly deps: Deps,
    principal: Principal,
    private readonly settle: SettleAnswer,
    readonly pollIntervalMs = 2_000,
  ) {
    this.owner = principalKey(principal);
  }

  private key(id: string): string {
    return `mcp-task:${id}`;
  }

  private get listKey(): string {
    return `mcp-tasks:${this.owner}`;
  }

  private async record(id: string): Promise<TaskRecord | undefined> {
    const raw = await this.deps.store.getValue(this.key(id));
    const rec = raw ? (JSON.parse(raw) as TaskRecord) : undefined;
    return rec && rec.owner === this.owner ? rec : undefined;
  }

  private async save(id: string, rec: TaskRecord): Promise<void> {
    await this.deps.store.setValue(this.key(id), JSON.stringify(rec), rec.created_at + rec.ttl);
  }

  /**
   * Records the task of a call that was given the operation id `operationId`: it follows that operation when the
   * call started it, otherwise it is over with `answer`, under a new `task_…` id. Answers the task's id.
   */
  async open(operationId: string, tool: string, answer: ToolAnswer, ttlMs?: number | null): Promise<string> {
    const now = this.deps.clock.now();
    const ttl = typeof ttlMs === 'number' && ttlMs > 0 ? Math.min(ttlMs, DEFAULT_TTL_MS) : DEFAULT_TTL_MS;
    const started = (await this.deps.store.getOperation(operationId)) !== undefined;
    const id = started ? operationId : randomId('task');
    const rec: TaskRecord = {
      owner: this.owner,
      tool,
      created_at: now,
      ttl,
      ...(started
        ? { started: answer }
        : { result: { status: answer.isError ? 'failed' : 'completed', result: answer } }),
    };
    await this.save(id, rec);
    await this.remember(id, now + ttl);
    return id;
  }

  /** Whether `operationId` names an operation a call just started (a task follows it). */
  async follows(operationId: string): Promise<boolean> {
    return (await this.deps.store.getOperation(operationId)) !== undefined;
  }

  /** Adds a task to its principal's list, newest first, forgetting expired and the oldest past the cap. */
  private async remember(id: string, expiresAt: number): Promise<void> {
    await locked(this.listKey, async () => {
      const now = this.deps.clock.now();
      const list = [{ id, expires_at: expiresAt }, ...(await this.listed())]
        .filter((t) => t.expires_at > now)
        .slice(0, LISTED_MAX);
      const last = Math.max(...list.map((t) => t.expires_at));
      await this.deps.store.setValue(this.listKey, JSON.stringify(list), last);
    });
  }

  private async listed(): Promise<Listed[]> {
    const raw = await this.deps.store.getValue(this.listKey);
    return raw ? (JSON.parse(raw) as Listed[]) : [];
  }

  /** The task as it stands; throws {@link TaskNotFound}. */
  async get(id: string): Promise<TaskState> {
    const rec = await this.record(id);
    if (!rec) throw new TaskNotFound(id);
    return this.stateOf(id, rec);
  }

  private async stateOf(id: string, rec: TaskRecord): Promise<TaskState> {
    const base = { id, createdAt: rec.created_at, ttl: rec.ttl };
    if (rec.result) {
      const message = headline(rec.result.result);
      return {
        ...base,
        status: rec.result.status,
        updatedAt: rec.created_at,
        ...(message ? { message } : {}),
      };
    }
    const op = await this.deps.store.getOperation(id);
    if (!op) {
      const gone = 'its operation is no longer on record; the answer from its start is all there is';
      return {
        ...base,
        status: rec.cancelled ? 'cancelled' : 'failed',
        updatedAt: rec.created_at,
        message: gone,
      };
    }
    const status = statusOf(op.state);
    return {
      ...base,
      createdAt: op.created_at,
      updatedAt: op.updated_at,
      status,
      message: describeOperation(op),
      ...(op.state === 'failed' || op.state === 'timed_out' ? { failed: true } : {}),
    };
  }

  /**
   * The task's answer once it has ended: the tool's own answer with the operation as it ended. Throws
   * {@link TaskNotFound}, or an error while it is still working.
   */
  async result(id: string): Promise<ToolAnswer> {
    const rec = await this.record(id);
    if (!rec) throw new TaskNotFound(id);
    if (rec.result) return rec.result.result;
    if (!rec.started) throw new Error(`task ${id} has no result`);
    const op = await this.deps.store.getOperation(id);
    // The operation's record is gone (it outlived the store's retention): the answer given at the start is all.
    if (!op) return rec.started;
    if (!FINAL_STATES.has(op.state)) throw new Error(`task ${id} is still working`);
    return this.settle(rec.tool, rec.started, op);
  }

  /**
   * Waits until task `id` has ended (bounded by `timeoutMs` and `signal`) and answers as it then stands: what
   * 2025's blocking `tasks/result` needs.
   */
  async settled(id: string, timeoutMs: number, signal?: AbortSignal): Promise<TaskState> {
    const until = this.deps.clock.now() + timeoutMs;
    let state = await this.get(id);
    while (state.status === 'working' && this.deps.clock.now() < until && !signal?.aborted) {
      await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, this.pollIntervalMs));
      state = await this.get(id);
    }
    return state;
  }

  /**
   * Cancels a task: its operation is no longer tracked (MAAS carries on; operation_cancel with abort stops MAAS).
   * Throws {@link TaskNotFound}.
   */
  async cancel(id: string): Promise<TaskState> {
    const rec = await this.record(id);
    if (!rec) throw new TaskNotFound(id);
    if (!rec.result) {
      rec.cancelled = true;
      await this.save(id, rec);
      await cancelById(this.deps, id, (op) => op.state === 'running' || op.state === 'awaiting_approval');
    }
    return this.stateOf(id, rec);
  }

  /** This principal's tasks, newest first, a page at a time. */
  async list(cursor?: string): Promise<{ tasks: TaskState[]; nextCursor?: string }> {
    const offset = cursor ? Number(cursor) || 0 : 0;
    const now = this.deps.clock.now();
    const all = (await this.listed()).filter((t) => t.expires_at > now);
    const tasks: TaskState[] = [];
    for (const { id } of all.slice(offset, offset + PAGE)) {
      const rec = await this.record(id);
      if (rec) tasks.push(await this.stateOf(id, rec));
    }
    return all.length > offset + PAGE ? { tasks, nextCursor: String(offset + PAGE) } : { tasks };
  }

  /** A task as 2025-11-25 shows it (`Task`). */
  legacyView(t: TaskState): Record<string, unknown> {
    return {
      taskId: t.id,
      status: t.status,
      ttl: t.ttl,
      createdAt: new Date(t.createdAt).toISOString(),
      lastUpdatedAt: new Date(t.updatedAt).toISOString(),
      pollInterval: this.pollIntervalMs,
      ...(t.message ? { statusMessage: t.message } : {}),
    };
  }

  /**
   * A task as the 2026-07-28 extension shows it (`DetailedTask`): an ended operation is `completed` with the tool's
   * answer (an error result when the operation failed — `failed` is for protocol errors), or `cancelled`.
   */
  async modernView(t: TaskState): Promise<Record<string, unknown>> {
    const base = {
      taskId: t.id,
      createdAt: new Date(t.createdAt).toISOString(),
      lastUpdatedAt: new Date(t.updatedAt).toISOString(),
      ttlMs: t.ttl,
      pollIntervalMs: this.pollIntervalMs,
      ...(t.message ? { statusMessage: t.message } : {}),
    };
    if (t.status === 'working' || t.status === 'cancelled') return { ...base, status: t.status };
    const answer = await this.result(t.id);
    return { ...base, status: 'completed', result: { resultType: 'complete', ...answer } };
  }
}
