/**
 * MCP tasks (experimental in the SDK) backed by operation records: a task's id is its operation's id, so a
 * task-aware client and operation_get see the same thing. One store per MCP session, bound to its principal.
 *
 * The SDK also routes *plain* calls of a task-capable tool through createTask and then polls; this store tells
 * the two apart (the original request carries `task` only when the client asked for one) so that a plain call
 * keeps its ordinary answer, given at once.
 */
import type {
  CreateTaskOptions,
  TaskStore,
} from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';
import type { Deps } from '../../deps.ts';
import type { Operation, OperationState } from '../../store/types.ts';
import type { Principal } from '../policy.ts';
import { cancelById, describeOperation, newOperationId, operationView } from './service.ts';

const DEFAULT_TTL_MS = 24 * 60 * 60_000;
const PAGE = 50;

interface TaskRecord {
  principal: string;
  augmented: boolean;
  created_at: number;
  ttl: number;
  /** Set when the call ended without a running operation (an error, a confirmation request, done at once). */
  result?: { status: 'completed' | 'failed'; result: Result };
  cancelled?: boolean;
}

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

export class OperationTaskStore implements TaskStore {
  constructor(
    private readonly deps: Deps,
    private readonly principal: Principal,
    private readonly pollIntervalMs = 2_000,
  ) {}

  private key(id: string): string {
    return `mcp-task:${id}`;
  }

  private async record(id: string): Promise<TaskRecord | undefined> {
    const raw = await this.deps.store.getValue(this.key(id));
    const rec = raw ? (JSON.parse(raw) as TaskRecord) : undefined;
    return rec && rec.principal === this.principal.id ? rec : undefined;
  }

  private async save(id: string, rec: TaskRecord): Promise<void> {
    await this.deps.store.setValue(this.key(id), JSON.stringify(rec), rec.created_at + rec.ttl);
  }

  /** True when the client asked for a task; false for a plain call the SDK turned into one. */
  async isTaskRequest(id: string): Promise<boolean> {
    return (await this.record(id))?.augmented ?? false;
  }

  async createTask(params: CreateTaskOptions, _requestId: RequestId, request: Request): Promise<Task> {
    const id = newOperationId();
    const now = this.deps.clock.now();
    const augmented =
      typeof request.params === 'object' && request.params !== null && 'task' in request.params;
    const ttl = typeof params.ttl === 'number' ? Math.min(params.ttl, DEFAULT_TTL_MS) : DEFAULT_TTL_MS;
    await this.save(id, { principal: this.principal.id, augmented, created_at: now, ttl });
    return this.task(id, 'working', now, now, ttl);
  }

  async getTask(id: string): Promise<Task | null> {
    const rec = await this.record(id);
    if (!rec) return null;
    if (rec.result) return this.task(id, rec.result.status, rec.created_at, rec.created_at, rec.ttl);
    const op = await this.deps.store.getOperation(id);
    if (!op)
      return this.task(id, rec.cancelled ? 'cancelled' : 'working', rec.created_at, rec.created_at, rec.ttl);
    return this.task(id, taskStatus(op.state), op.created_at, op.updated_at, rec.ttl, describeOperation(op));
  }

  async storeTaskResult(id: string, status: 'completed' | 'failed', result: Result): Promise<void> {
    const rec = await this.record(id);
    if (!rec) throw new Error(`task ${id} not found`);
    rec.result = { status, result };
    await this.save(id, rec);
  }

  async getTaskResult(id: string): Promise<Result> {
    const rec = await this.record(id);
    if (!rec) throw new Error(`task ${id} not found`);
    if (rec.result) return rec.result.result;
    const op = await this.deps.store.getOperation(id);
    if (!op) throw new Error(`task ${id} has no result yet`);
    return operationResult(op);
  }

  async updateTaskStatus(id: string, status: Task['status']): Promise<void> {
    const rec = await this.record(id);
    if (!rec || status !== 'cancelled') return;
    rec.cancelled = true;
    await this.save(id, rec);
    // Cancelling a task stops tracking its operation; MAAS carries on (operation_cancel with abort stops MAAS).
    await cancelById(this.deps, id, (op) => op.state === 'running');
  }

  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const offset = cursor ? Number(cursor) || 0 : 0;
    const ops = await this.deps.store.listOperations({
      principal: this.principal.id,
      limit: PAGE + 1,
      offset,
    });
    const tasks: Task[] = [];
    for (const op of ops.slice(0, PAGE)) {
      const rec = await this.record(op.id);
      if (rec)
        tasks.push(
          this.task(
            op.id,
            taskStatus(op.state),
            op.created_at,
            op.updated_at,
            rec.ttl,
            describeOperation(op),
          ),
        );
    }
    return ops.length > PAGE ? { tasks, nextCursor: String(offset + PAGE) } : { tasks };
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

/** The answer a finished operation gives as a task result: the same as operation_get's. */
function operationResult(op: Operation): Result {
  const view = operationView(op);
  return {
    content: [{ type: 'text', text: describeOperation(view) }],
    structuredContent: { operation: view },
    ...(op.state === 'failed' || op.state === 'timed_out' ? { isError: true } : {}),
  };
}
