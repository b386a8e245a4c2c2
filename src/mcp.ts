/**
 * The MCP adapter: a thin loop over the registry. This is the only file that imports the MCP SDK's server API.
 */
import type {
  CreateTaskRequestHandlerExtra,
  TaskRequestHandlerExtra,
} from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import type { z } from 'zod';
import { describeError } from './core/errors.ts';
import { describeOperation, operationView } from './core/operations/service.ts';
import { OperationTaskStore } from './core/operations/tasks.ts';
import type { Principal } from './core/policy.ts';
import type { Deps } from './deps.ts';
import type { Operation } from './store/types.ts';
import type { AnyTool, ToolContext } from './tools/define.ts';
import { loadMachineDetail } from './tools/detail.ts';
import { VERSION } from './version.ts';

const INSTRUCTIONS = `maas-mcp drives a Canonical MAAS fleet (bare-metal machines).
Start with fleet_summary for the picture, machines_list to find machines, machine_get for one machine.
Machines are named by hostname, FQDN or system_id. Lists are paged: follow next_offset when "more" is true.
machine_events explains failures. Nothing here returns BMC credentials.`;

export interface McpServerOptions {
  principal: Principal;
  /** The tools this caller may use (already filtered by the policy). */
  tools: readonly AnyTool[];
  /** How often a task-aware client should poll a task (default 2 s). */
  taskPollMs?: number;
  /** JSON Schema validator; Workers pass the @cfworker one (workerd refuses the default, Ajv, which compiles code). */
  validator?: jsonSchemaValidator;
}

export type McpExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const OP_URI = 'maas://operations/';
const MACHINE_URI = 'maas://machines/';

export function createMcpServer(deps: Deps, opts: McpServerOptions): McpServer {
  const tasks = new OperationTaskStore(deps, opts.principal, opts.taskPollMs);
  const server = new McpServer(
    { name: 'maas-mcp', title: 'MAAS', version: VERSION },
    {
      capabilities: {
        logging: {},
        resources: { subscribe: true },
        tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      },
      instructions: INSTRUCTIONS,
      taskStore: tasks,
      ...(opts.validator ? { jsonSchemaValidator: opts.validator } : {}),
    },
  );
  for (const tool of opts.tools) {
    const config = {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.input as z.ZodObject,
      outputSchema: tool.output as z.ZodObject,
      annotations: { title: tool.title, ...tool.annotations },
    };
    if (!tool.long) {
      server.registerTool(tool.name, config, (args: unknown, extra: McpExtra) =>
        callTool(server, tool, args, deps, opts.principal, extra),
      );
      continue;
    }
    server.experimental.tasks.registerToolTask(
      tool.name,
      { ...config, execution: { taskSupport: 'optional' } },
      {
        createTask: async (args: unknown, extra: CreateTaskRequestHandlerExtra) => {
          const task = await extra.taskStore.createTask({ ttl: extra.taskRequestedTtl ?? null });
          if (!(await tasks.isTaskRequest(task.taskId))) {
            // A plain call of a task-capable tool: answer exactly as registerTool would, right away.
            const result = await callTool(server, tool, args, deps, opts.principal, extra);
            await extra.taskStore.storeTaskResult(
              task.taskId,
              result.isError ? 'failed' : 'completed',
              result,
            );
            return { task: await extra.taskStore.getTask(task.taskId) };
          }
          // A task: start the action, and let the task follow the operation that shares its id.
          const started = await callTool(
            server,
            tool,
            { ...(args as object), wait: false },
            deps,
            opts.principal,
            extra,
            {
              operationId: task.taskId,
            },
          );
          const op = await deps.store.getOperation(task.taskId);
          if (op?.state !== 'running') {
            await extra.taskStore.storeTaskResult(
              task.taskId,
              started.isError ? 'failed' : 'completed',
              started,
            );
          }
          return { task: await extra.taskStore.getTask(task.taskId) };
        },
        getTask: (_args: unknown, extra: TaskRequestHandlerExtra) => extra.taskStore.getTask(extra.taskId),
        getTaskResult: (_args: unknown, extra: TaskRequestHandlerExtra) =>
          extra.taskStore.getTaskResult(extra.taskId) as Promise<CallToolResult>,
      },
    );
  }
  registerResources(server, deps, opts.principal);
  return server;
}

/**
 * `maas://operations/{id}` and `maas://machines/{system_id}`, with subscriptions: a subscribed client gets
 * `notifications/resources/updated` when the operation (or an operation on that machine) moves, and the
 * requester's sessions get a log message when an operation ends.
 */
function registerResources(server: McpServer, deps: Deps, principal: Principal): void {
  server.registerResource(
    'operation',
    new ResourceTemplate(`${OP_URI}{id}`, {
      list: async () => ({
        resources: (await deps.store.listOperations({ principal: principal.id, limit: 50 })).map((op) => ({
          uri: `${OP_URI}${op.id}`,
          name: op.id,
          title: op.summary,
          mimeType: 'application/json',
        })),
      }),
    }),
    {
      title: 'Operation',
      description: 'A tracked MAAS operation (as operation_get shows it)',
      mimeType: 'application/json',
    },
    async (uri, { id }) => {
      const op = await deps.store.getOperation(String(id));
      if (!op) throw new Error(`no operation ${String(id)}`);
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(operationView(op)) }],
      };
    },
  );
  server.registerResource(
    'machine',
    new ResourceTemplate(`${MACHINE_URI}{system_id}`, { list: undefined }),
    {
      title: 'Machine',
      description: 'A MAAS machine (as machine_get shows it)',
      mimeType: 'application/json',
    },
    async (uri, { system_id }) => {
      const detail = await loadMachineDetail(deps.maas, String(system_id), new Set());
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(detail) }] };
    },
  );

  const subscribed = new Set<string>();
  server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    subscribed.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });
  const updated = async (op: Operation) => {
    const uris = [`${OP_URI}${op.id}`, ...op.targets.map((t) => `${MACHINE_URI}${t.system_id}`)];
    for (const uri of uris) if (subscribed.has(uri)) await server.server.sendResourceUpdated({ uri });
  };
  const unsubscribe = deps.notify.subscribe({
    progress: (op) => (server.isConnected() ? updated(op) : undefined),
    finished: async (op) => {
      if (!server.isConnected() || op.requester.principal !== principal.id) return;
      await server.sendLoggingMessage({
        level: op.state === 'succeeded' ? 'info' : 'warning',
        logger: 'maas-mcp.operations',
        data: describeOperation(op),
      });
    },
  });
  const previous = server.server.onclose;
  server.server.onclose = () => {
    unsubscribe();
    previous?.();
  };
}

/** How long a person has to answer a confirmation prompt before it counts as cancelled. */
const ELICIT_TIMEOUT_MS = 10 * 60_000;

/** Runs one tool for MCP: a readable error result instead of a protocol error, never a stack trace. */
export async function callTool(
  server: McpServer,
  tool: AnyTool,
  args: unknown,
  deps: Deps,
  principal: Principal,
  extra: McpExtra,
  more: Pick<ToolContext, 'operationId'> = {},
): Promise<CallToolResult> {
  const ctx: ToolContext = {
    deps,
    principal,
    signal: extra.signal,
    notifyTargets: [{ kind: 'mcp', ...(extra.sessionId ? { session: extra.sessionId } : {}) }],
    ...more,
  };
  const approvals = deps.approvals;
  if (approvals) ctx.requestApproval = (t, a, p) => approvals(t, a, p, ctx);
  if (server.server.getClientCapabilities()?.elicitation?.form) {
    ctx.elicit = async (message) => {
      try {
        const answer = await server.server.elicitInput(
          {
            mode: 'form',
            message,
            requestedSchema: {
              type: 'object',
              properties: {
                confirm: {
                  type: 'boolean',
                  title: 'Go ahead',
                  description: 'Yes, do this now',
                  default: false,
                },
              },
              required: ['confirm'],
            },
          },
          { relatedRequestId: extra.requestId, timeout: ELICIT_TIMEOUT_MS, signal: extra.signal },
        );
        if (answer.action !== 'accept') return answer.action;
        return answer.content?.confirm === true ? 'accept' : 'decline';
      } catch (err) {
        deps.log.warn('confirmation prompt failed; treating it as cancelled', { error: err });
        return 'cancel';
      }
    };
  }
  const token = extra._meta?.progressToken;
  if (token !== undefined) {
    ctx.progress = (p) => {
      extra
        .sendNotification({ method: 'notifications/progress', params: { progressToken: token, ...p } })
        .catch(() => undefined);
    };
  }
  try {
    const out = await tool.run(args, ctx);
    const result: CallToolResult = {
      content: [{ type: 'text', text: deps.secrets.scrub(tool.render(out)) }],
      structuredContent: deps.secrets.scrubDeep(out as Record<string, unknown>),
    };
    // Nothing achieved (every target refused or failed): tell the model plainly that this was an error.
    if (tool.failed?.(out)) result.isError = true;
    return result;
  } catch (err) {
    deps.log.info('tool failed', {
      tool: tool.name,
      principal: principal.id,
      error: describeError(err, deps.secrets),
    });
    return { isError: true, content: [{ type: 'text', text: describeError(err, deps.secrets, deps.log) }] };
  }
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  principal: Principal;
  lastSeen: number;
}

export interface McpHttpOptions {
  /** The tools a principal may use. */
  toolsFor: (principal: Principal) => readonly AnyTool[];
  /**
   * No sessions: every request gets its own server and a JSON answer (where requests may land on different
   * isolates, as on Workers). Elicitation needs a session, so destructive tools fall back to confirm tokens.
   */
  stateless?: boolean;
  validator?: jsonSchemaValidator;
  /** Sessions idle longer than this are closed; default 30 min. */
  idleMs?: number;
  /** Most sessions held at once; the least recently used idle one is closed to make room. Default 500. */
  maxSessions?: number;
}

/**
 * MCP over Streamable HTTP with sessions (elicitation, progress and resource notifications need one).
 * Each session gets its own McpServer bound to the principal that opened it; a session id presented by
 * another principal is refused.
 */
export class McpHttpSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxSessions: number;

  constructor(
    private readonly deps: Deps,
    private readonly opts: McpHttpOptions,
  ) {
    this.idleMs = opts.idleMs ?? 30 * 60_000;
    this.maxSessions = opts.maxSessions ?? 500;
  }

  get size(): number {
    return this.sessions.size;
  }

  async handle(req: Request, principal: Principal): Promise<Response> {
    if (this.opts.stateless) return this.handleStateless(req, principal);
    const now = this.deps.clock.now();
    const sid = req.headers.get('mcp-session-id');
    if (sid) {
      const s = this.sessions.get(sid);
      if (!s) return jsonRpcError(404, -32001, 'Session not found: start a new one with initialize');
      if (s.principal.id !== principal.id)
        return jsonRpcError(403, -32000, 'This session belongs to someone else');
      s.lastSeen = now;
      return s.transport.handleRequest(req);
    }
    if (req.method !== 'POST') {
      return jsonRpcError(
        400,
        -32000,
        'Bad Request: no mcp-session-id header; POST an initialize request first',
      );
    }
    this.evict(now);
    const server = this.server(principal);
    let session: Session | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        session = { transport, server, principal, lastSeen: now };
        this.sessions.set(id, session);
      },
      onsessionclosed: (id) => {
        this.sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    const res = await transport.handleRequest(req);
    // Not an initialize request: nothing was opened, so nothing may linger.
    if (!session) await server.close().catch(() => undefined);
    return res;
  }

  private server(principal: Principal): McpServer {
    return createMcpServer(this.deps, {
      principal,
      tools: this.opts.toolsFor(principal),
      ...(this.opts.validator ? { validator: this.opts.validator } : {}),
    });
  }

  private async handleStateless(req: Request, principal: Principal): Promise<Response> {
    if (req.method !== 'POST')
      return jsonRpcError(405, -32000, 'Method not allowed: this server is stateless; POST only');
    const server = this.server(principal);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(req);
    } finally {
      await server.close().catch(() => undefined);
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => undefined)));
  }

  private evict(now: number): void {
    for (const [id, s] of this.sessions) {
      if (now - s.lastSeen > this.idleMs) this.close(id, s);
    }
    while (this.sessions.size >= this.maxSessions) {
      let oldest: [string, Session] | undefined;
      for (const e of this.sessions) if (!oldest || e[1].lastSeen < oldest[1].lastSeen) oldest = e;
      if (!oldest) break;
      this.close(oldest[0], oldest[1]);
    }
  }

  private close(id: string, s: Session): void {
    this.sessions.delete(id);
    s.server.close().catch(() => undefined);
  }
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}
