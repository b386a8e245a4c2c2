/**
 * The MCP adapter: a thin loop over the registry. This is the only file that imports the MCP SDK's server API.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { describeError } from './core/errors.ts';
import type { Principal } from './core/policy.ts';
import type { Deps } from './deps.ts';
import type { AnyTool, ToolContext } from './tools/define.ts';
import { VERSION } from './version.ts';

const INSTRUCTIONS = `maas-mcp drives a Canonical MAAS fleet (bare-metal machines).
Start with fleet_summary for the picture, machines_list to find machines, machine_get for one machine.
Machines are named by hostname, FQDN or system_id. Lists are paged: follow next_offset when "more" is true.
machine_events explains failures. Nothing here returns BMC credentials.`;

export interface McpServerOptions {
  principal: Principal;
  /** The tools this caller may use (already filtered by the policy). */
  tools: readonly AnyTool[];
}

export type McpExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export function createMcpServer(deps: Deps, opts: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'maas-mcp', title: 'MAAS', version: VERSION },
    { capabilities: { logging: {} }, instructions: INSTRUCTIONS },
  );
  for (const tool of opts.tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input as z.ZodObject,
        outputSchema: tool.output as z.ZodObject,
        annotations: { title: tool.title, ...tool.annotations },
      },
      (args: unknown, extra: McpExtra) => callTool(server, tool, args, deps, opts.principal, extra),
    );
  }
  return server;
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
): Promise<CallToolResult> {
  const ctx: ToolContext = { deps, principal, signal: extra.signal };
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
      structuredContent: out as Record<string, unknown>,
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
    const server = createMcpServer(this.deps, { principal, tools: this.opts.toolsFor(principal) });
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
