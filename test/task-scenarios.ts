/**
 * Every long tool run as an MCP task on the seeded simulator, shared by the Node tests and the workerd ones; and a
 * small requester for 2025-11-25's experimental tasks over the official v2 client (which no longer has them): it
 * sends what SDK 1.x's `experimental.tasks` sent, and reports what `callToolStream` reported.
 */
import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { z } from 'zod';

/** A 2025-11-25 task, as tasks/get answers it. */
export interface Task {
  taskId: string;
  status: 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';
  ttl: number | null;
  createdAt: string;
  lastUpdatedAt: string;
  pollInterval?: number;
  statusMessage?: string;
}

const TaskSchema = z.looseObject({
  taskId: z.string(),
  status: z.enum(['working', 'input_required', 'completed', 'failed', 'cancelled']),
  ttl: z.number().nullable(),
  createdAt: z.string(),
  lastUpdatedAt: z.string(),
  pollInterval: z.number().optional(),
  statusMessage: z.string().optional(),
});
const CreatedSchema = z.looseObject({ task: TaskSchema });
const ListSchema = z.looseObject({ tasks: z.array(TaskSchema), nextCursor: z.string().optional() });
const ResultSchema = z.looseObject({
  content: z.array(z.looseObject({ type: z.string() })),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
  isError: z.boolean().optional(),
  _meta: z.record(z.string(), z.unknown()).optional(),
});

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** 2025-11-25's task requests, as SDK 1.x's `client.experimental.tasks` sent them. */
export function legacyTasks(client: Client) {
  const send = <S extends z.ZodType>(method: string, params: Record<string, unknown>, schema: S) =>
    client.request({ method, params } as never, schema as never) as Promise<z.infer<S>>;
  return {
    /** `tools/call` with a `task`: the task it created. */
    create: async (name: string, args: Record<string, unknown>, task: { ttl?: number } = {}) =>
      (await send('tools/call', { name, arguments: args, task }, CreatedSchema)).task as Task,
    get: (taskId: string) => send('tasks/get', { taskId }, TaskSchema) as Promise<Task>,
    result: (taskId: string) => send('tasks/result', { taskId }, ResultSchema) as Promise<CallToolResult>,
    list: (cursor?: string) =>
      send('tasks/list', cursor ? { cursor } : {}, ListSchema) as Promise<{
        tasks: Task[];
        nextCursor?: string;
      }>,
    cancel: (taskId: string) => send('tasks/cancel', { taskId }, TaskSchema) as Promise<Task>,
  };
}

/** A long tool's call that starts an operation the seeded simulator finishes successfully. */
export interface TaskScenario {
  args: Record<string, unknown>;
  /** A call (run as a task to its end) that first puts the machine where the tool can act on it. */
  before?: { tool: string; args: Record<string, unknown> };
}

/** For every long tool: a scenario on a machine of its own, so that they can run side by side. */
export const TASK_SCENARIOS: Readonly<Record<string, TaskScenario>> = {
  machine_commission: { args: { machines: 'new-01' } },
  machine_test: { args: { machines: 'web-02' } },
  machine_deploy: { args: { machines: 'web-01', distro_series: 'noble' } },
  machine_release: { args: { machines: 'db-01' } },
  machine_abort: { args: { machines: 'lab-02' } },
  machine_rescue: { args: { machines: 'k8s-04', action: 'exit' } },
  // MAAS powers on only a machine someone owns: a Deployed one, switched off first.
  machine_power_on: {
    args: { machines: 'k8s-02' },
    before: { tool: 'machine_power_off', args: { machines: 'k8s-02', stop_mode: 'hard' } },
  },
  machine_power_off: { args: { machines: 'web-04', stop_mode: 'hard' } },
  machine_power_cycle: { args: { machines: 'k8s-01' } },
  // A plan with a destructive step, so that it is confirmed first (Node only: a Worker runs no workflows).
  workflow_run: { args: { workflow: { actions: ['deploy'], machines: [{ hostname: 'gpu-01' }] } } },
  // Clusters on machines no other scenario uses: k8s-03 (tag virtual); web-06 and edge-02; db-02 (ssd, zone-b).
  cluster_create: {
    args: {
      name: 'task-a',
      workers: 0,
      service_cidr: '172.20.0.0/16',
      constraints: { control_plane: { tags: ['virtual'], memory: 1024 } },
    },
  },
  cluster_scale: {
    before: {
      tool: 'cluster_create',
      args: {
        name: 'task-b',
        workers: 1,
        service_cidr: '172.20.0.0/16',
        constraints: {
          control_plane: { tags: ['compute'], pool: 'staging', zone: 'zone-b' },
          worker: { tags: ['edge'] },
        },
      },
    },
    args: { name: 'task-b', workers: 0 },
  },
  cluster_delete: {
    before: {
      tool: 'cluster_create',
      args: {
        name: 'task-c',
        workers: 0,
        service_cidr: '172.20.0.0/16',
        constraints: { control_plane: { tags: ['ssd'], zone: 'zone-b' } },
      },
    },
    args: { name: 'task-c' },
  },
};

/**
 * The long tools a deployment offers: a Worker offers no workflows (they need a process that outlives a request),
 * and the Worker under test keeps the default toolsets (clusters are opt-in).
 */
export function longToolsOn(
  tools: readonly { name: string; long?: boolean; toolset: string }[],
  where: 'node' | 'worker',
): string[] {
  return tools
    .filter((t) => t.long && (where === 'node' || (t.toolset !== 'workflows' && t.toolset !== 'clusters')))
    .map((t) => t.name);
}

/** What the SDK's callToolStream yielded for one task. */
export interface TaskRun {
  created?: Task;
  statuses: Task['status'][];
  result?: CallToolResult;
  error?: Error;
}

/**
 * Calls a tool as a 2025 task and follows it to its end as SDK 1.x's `callToolStream(…, { task: { ttl } })` did:
 * created, each status seen while polling at the task's interval, then the result (or the error).
 */
export async function runAsTask(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  ttl = 10 * 60_000,
): Promise<TaskRun> {
  const tasks = legacyTasks(client);
  const run: TaskRun = { statuses: [] };
  try {
    const created = await tasks.create(name, args, { ttl });
    run.created = created;
    let task = created;
    while (!TERMINAL.has(task.status)) {
      await new Promise((resolve) => setTimeout(resolve, task.pollInterval ?? 100));
      task = await tasks.get(created.taskId);
      run.statuses.push(task.status);
    }
    if (run.statuses.length === 0) run.statuses.push(task.status);
    run.result = await tasks.result(created.taskId);
  } catch (err) {
    run.error = err as Error;
  }
  return run;
}

/**
 * Runs a long tool as a task to its end: a destructive one first answers (as a finished task) with a confirmation
 * request, and is called again, as a task, with its token.
 */
export async function runToEnd(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ preview?: TaskRun; run: TaskRun }> {
  const first = await runAsTask(client, name, args);
  const out = first.result?.structuredContent as { status?: string; confirm_token?: string } | undefined;
  if (out?.status !== 'confirmation_required') return { run: first };
  return {
    preview: first,
    run: await runAsTask(client, name, { ...args, confirm_token: out.confirm_token }),
  };
}

/** Runs a scenario: its preparation first, then the tool, each as a task to its end. */
export async function runScenario(
  client: Client,
  name: string,
): Promise<{ preview?: TaskRun; run: TaskRun }> {
  const scenario = TASK_SCENARIOS[name];
  if (!scenario) throw new Error(`no task scenario for ${name}`);
  if (scenario.before) {
    const prep = await runToEnd(client, scenario.before.tool, scenario.before.args);
    if (prep.run.statuses.at(-1) !== 'completed')
      throw new Error(`${name}: the preparation did not complete`);
  }
  return runToEnd(client, name, scenario.args);
}
