/**
 * MCP tasks (experimental in the SDK) backed by operation records. One store per MCP server, bound to its
 * principal; records live in the Store, so a task outlives its session (and, on Workers, its request).
 *
 * - A task whose call started an operation has that operation's id: a task-aware client and operation_get see the
 *   same thing, and its result is the tool's own answer with the operation as it ended.
 * - A task whose call ended at once (refused, a confirmation request, nothing to do) gets a `task_…` id, never an
 *   `op_…` one: there is no operation to look up.
 * - The SDK also routes *plain* calls of a task-capable tool through createTask and then polls; those stay in
 *   memory, answered once, and are never listed.
 */
import type {
  CreateTaskOptions,
  TaskStore,
} from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';
import { randomId } from '../base/ids.ts';
import { type Principal, principalKey } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import { cancelById, newOperationId } from '../core/operations/service.ts';
import { describeOperation } from '../core/operations/view.ts';
import { FINAL_STATES, type Operation, type OperationState } from '../store/types.ts';

const DEFAULT_TTL_MS = 24 * 60 * 60_000;
const PAGE = 50;
/** Tasks remembered per principal for tasks/list (the oldest are forgotten first). */
const LISTED_MAX = 500;

interface TaskRecord {
  /** {@link principalKey} of the principal who created it. */
  owner: string;
  /** The tool called. */
  tool: string;
  created_at: number;
  ttl: number;
  /** The call ended without an operation to follow: its answer, final. */
  result?: { status: 'completed' | 'failed'; result: Result };
  /** The call started the operation with this task's id: its answer then (the final answer adds the end). */
  started?: Result;
  cancelled?: boolean;
}

/** A created task whose call has not ended yet, or a plain call's (never stored). */
interface Pending {
  rec: Omit<TaskRecord, 'tool'>;
  augmented: boolean;
}

interface Listed {
  id: string;
  expires_at: number;
}

/** A tool's final answer from its answer at the start and the operation as it ended (the MCP adapter knows how). */
export type SettleResult = (tool: string, started: Result, op: Operation) => Result;

function taskStatus(state: OperationState): Task['status'] {
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

function newTaskId(): string {
  return randomId('task');
}

/** The start of a result's text (its summary and first detail), for a task's status message. */
function headline(result: Result): string | undefined {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  const text = content?.find((c) => c.type === 'text')?.text;
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

export class OperationTaskStore implements TaskStore {
  private readonly owner: string;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly deps: Deps,
    principal: Principal,
    private readonly settle: SettleResult,
    private readonly pollIntervalMs = 2_000,
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

  /** True when the client asked for a task; false for a plain call the SDK turned into one. */
  isTaskRequest(id: string): boolean {
    return this.pending.get(id)?.augmented ?? false;
  }

  async createTask(params: CreateTaskOptions, _requestId: RequestId, request: Request): Promise<Task> {
    // An operation id: if the call starts an operation, it starts it with this id (see open()).
    const id = newOperationId();
    const now = this.deps.clock.now();
    const augmented =
      typeof request.params === 'object' && request.params !== null && 'task' in request.params;
    const ttl = typeof params.ttl === 'number' ? Math.min(params.ttl, DEFAULT_TTL_MS) : DEFAULT_TTL_MS;
    this.pending.set(id, { rec: { owner: this.owner, created_at: now, ttl }, augmented });
    return this.task(id, 'working', now, now, ttl);
  }

  /**
   * Ends the creation of task `id` (from createTask) once its call has answered: it follows the operation the call
   * started with that id, or — when none started — it is over with `answer`, under a new `task_…` id. Answers the
   * task as the client will know it.
   */
  async open(id: string, tool: string, answer: Result): Promise<Task> {
    const pending = this.pending.get(id);
    if (!pending) throw new Error(`task ${id} was not created here`);
    this.pending.delete(id);
    const op = await this.deps.store.getOperation(id);
    const started = op !== undefined;
    const taskId = started ? id : newTaskId();
    const rec: TaskRecord = {
      ...pending.rec,
      tool,
      ...(started
        ? { started: answer }
        : { result: { status: answer.isError ? 'failed' : 'completed', result: answer } }),
    };
    await this.save(taskId, rec);
    await this.remember(taskId, rec.created_at + rec.ttl);
    return (await this.getTask(taskId)) as Task;
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

  async getTask(id: string): Promise<Task | null> {
    const pending = this.pending.get(id);
    if (pending) {
      const { rec } = pending;
      const status = rec.result?.status ?? 'working';
      return this.task(id, status, rec.created_at, rec.created_at, rec.ttl);
    }
    const rec = await this.record(id);
    return rec ? this.taskOf(id, rec) : null;
  }

  private async taskOf(id: string, rec: TaskRecord): Promise<Task> {
    if (rec.result) {
      const r = rec.result;
      return this.task(id, r.status, rec.created_at, rec.created_at, rec.ttl, headline(r.result));
    }
    const op = await this.deps.store.getOperation(id);
    if (!op) {
      const gone = 'its operation is no longer on record; tasks/result gives the answer from its start';
      return this.task(
        id,
        rec.cancelled ? 'cancelled' : 'failed',
        rec.created_at,
        rec.created_at,
        rec.ttl,
        gone,
      );
    }
    return this.task(id, taskStatus(op.state), op.created_at, op.updated_at, rec.ttl, describeOperation(op));
  }

  async storeTaskResult(id: string, status: 'completed' | 'failed', result: Result): Promise<void> {
    const pending = this.pending.get(id);
    if (!pending) throw new Error(`task ${id} not found`);
    pending.rec.result = { status, result };
  }

  async getTaskResult(id: string): Promise<Result> {
    const pending = this.pending.get(id);
    if (pending?.rec.result) {
      // A plain call's answer is fetched once, by the SDK, right after it was stored.
      if (!pending.augmented) this.pending.delete(id);
      return pending.rec.result.result;
    }
    const rec = await this.record(id);
    if (!rec) throw new Error(`task ${id} not found`);
    if (rec.result) return rec.result.result;
    if (!rec.started) throw new Error(`task ${id} has no result`);
    const op = await this.deps.store.getOperation(id);
    // The operation's record is gone (it outlived the store's retention): the answer given at the start is all.
    if (!op) return rec.started;
    if (!FINAL_STATES.has(op.state)) throw new Error(`task ${id} is still working`);
    return this.settle(rec.tool, rec.started, op);
  }

  async updateTaskStatus(id: string, status: Task['status']): Promise<void> {
    const rec = await this.record(id);
    if (!rec || status !== 'cancelled') return;
    rec.cancelled = true;
    await this.save(id, rec);
    // Cancelling a task stops tracking its operation; MAAS carries on (operation_cancel with abort stops MAAS).
    await cancelById(this.deps, id, (op) => op.state === 'running' || op.state === 'awaiting_approval');
  }

  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const offset = cursor ? Number(cursor) || 0 : 0;
    const now = this.deps.clock.now();
    const all = (await this.listed()).filter((t) => t.expires_at > now);
    const tasks: Task[] = [];
    for (const { id } of all.slice(offset, offset + PAGE)) {
      const rec = await this.record(id);
      if (rec) tasks.push(await this.taskOf(id, rec));
    }
    return all.length > offset + PAGE ? { tasks, nextCursor: String(offset + PAGE) } : { tasks };
  }

  private task(
    id: string,
    status: Task['status'],
    created: number,
    updated: number,
    ttl: number,
    message?: string,
  ): Task {
    return {
      taskId: id,
      status,
      ttl,
      createdAt: new Date(created).toISOString(),
      lastUpdatedAt: new Date(updated).toISOString(),
      pollInterval: this.pollIntervalMs,
      ...(message ? { statusMessage: message } : {}),
    };
  }
}
