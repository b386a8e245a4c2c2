/**
 * 2025-11-25's experimental tasks (a `task` on `tools/call`; `tasks/get`, `tasks/result`, `tasks/list`,
 * `tasks/cancel`), kept for the clients that use them. The SDK's v2 server no longer implements them, and its
 * `tools/call` refuses a task as an answer, so these requests are answered here, before the SDK sees them: by the
 * HTTP lane of a legacy request (src/mcp/http.ts) and by a wrapper of the stdio transport (src/mcp/stdio.ts). The
 * records are the operation records (src/mcp/tasks.ts), so any process or Worker isolate answers for any task.
 */
import type { Principal } from '../core/access.ts';
import type { Deps, ToolContext } from '../core/deps.ts';
import { invokeTool } from '../core/invoke.ts';
import { newOperationId } from '../core/operations/service.ts';
import type { AnyTool } from '../core/tool.ts';
import { answerOf, MCP_MAX_WAIT_S, settledResult, withheldTool } from './server.ts';
import { OperationTasks, TaskNotFound } from './tasks.ts';

const METHODS = new Set(['tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel']);

/** The `_meta` key a task's result names its task under (2025-11-25). */
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: string | number;
  method: string;
  params?: Record<string, unknown>;
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: string | number; result: Record<string, unknown> }
  | { jsonrpc: '2.0'; id: string | number; error: { code: number; message: string } };

/** Whether `message` is a request of 2025's task surface (answered by {@link answerLegacyTask}). */
export function isLegacyTaskRequest(message: unknown): message is JsonRpcRequest {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Partial<JsonRpcRequest>;
  if (m.id === undefined || m.id === null || typeof m.method !== 'string') return false;
  if (METHODS.has(m.method)) return true;
  return m.method === 'tools/call' && typeof m.params?.task === 'object' && m.params.task !== null;
}

export interface LegacyTaskEnv {
  deps: Deps;
  principal: Principal;
  /** The tools this caller may use. */
  tools: readonly AnyTool[];
  taskPollMs?: number;
  signal?: AbortSignal;
}

/** Answers one request of 2025's task surface for `env.principal`. */
export async function answerLegacyTask(
  request: JsonRpcRequest,
  env: LegacyTaskEnv,
): Promise<JsonRpcResponse> {
  const { deps, principal } = env;
  const byName = new Map(env.tools.map((t) => [t.name, t]));
  const tasks = new OperationTasks(
    deps,
    principal,
    (name, started, op) => settledResult(byName.get(name), started, op, deps),
    env.taskPollMs,
  );
  const params = request.params ?? {};
  const ok = (result: Record<string, unknown>): JsonRpcResponse => ({
    jsonrpc: '2.0',
    id: request.id,
    result,
  });
  const fail = (code: number, message: string): JsonRpcResponse => ({
    jsonrpc: '2.0',
    id: request.id,
    error: { code, message },
  });
  const taskId = typeof params.taskId === 'string' ? params.taskId : '';
  try {
    switch (request.method) {
      case 'tools/call': {
        const name = String(params.name ?? '');
        // A tool this caller may not use is still run: the one path refuses it, and the task ends with that answer.
        const tool = byName.get(name) ?? withheldTool(deps, principal, name);
        if (!tool) return fail(-32602, `Tool ${name} not found`);
        if (!tool.long)
          return fail(-32602, `Tool ${name} does not run as a task (execution.taskSupport: forbidden)`);
        const ttl = (params.task as { ttl?: unknown }).ttl;
        // The operation it starts takes this id, and the task follows it.
        const operationId = newOperationId();
        const ctx: ToolContext = {
          deps,
          principal,
          maxWaitS: MCP_MAX_WAIT_S,
          notifyTargets: [{ kind: 'mcp' }],
          operationId,
        };
        const args = { ...((params.arguments as Record<string, unknown> | undefined) ?? {}), wait: false };
        const answer = answerOf(tool, await invokeTool(tool, args, ctx), deps);
        const id = await tasks.open(operationId, tool.name, answer, typeof ttl === 'number' ? ttl : null);
        return ok({ task: tasks.legacyView(await tasks.get(id)) });
      }
      case 'tasks/get':
        return ok(tasks.legacyView(await tasks.get(taskId)));
      case 'tasks/cancel':
        return ok(tasks.legacyView(await tasks.cancel(taskId)));
      case 'tasks/list': {
        const cursor = typeof params.cursor === 'string' ? params.cursor : undefined;
        const page = await tasks.list(cursor);
        return ok({
          tasks: page.tasks.map((t) => tasks.legacyView(t)),
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        });
      }
      case 'tasks/result': {
        const state = await tasks.settled(taskId, MCP_MAX_WAIT_S * 1000, env.signal);
        if (state.status === 'working') {
          return fail(
            -32603,
            `Task ${taskId} is still working; poll tasks/get and ask again when it has ended`,
          );
        }
        const answer = await tasks.result(taskId);
        return ok({ ...answer, _meta: { [RELATED_TASK]: { taskId } } });
      }
      default:
        return fail(-32601, `Method not found: ${request.method}`);
    }
  } catch (err) {
    if (err instanceof TaskNotFound) return fail(-32602, `Failed to retrieve task: ${err.message}`);
    deps.log.error('a task request failed', { method: request.method, error: err });
    return fail(-32603, 'maas-mcp could not answer this task request');
  }
}
