/**
 * MCP over Streamable HTTP, both eras on one endpoint (README "MCP clients"). A request is routed by what it is:
 *
 * - 2026-07-28: no session; a fresh server per request (the SDK's handler), which also serves
 *   `subscriptions/listen` streams fed by the operations' news — or, where those news are elsewhere (the Worker's
 *   Durable Object), the stream is answered there.
 * - 2025-11-25 and 2025-06-18: a session per client where requests reach one process (Node: pushed elicitation,
 *   subscriptions, log messages), or a server per request where they may not (Workers); the experimental tasks of
 *   2025 are answered before either (src/mcp/legacy-tasks.ts).
 */
import {
  type AuthInfo,
  createMcpHandler,
  isLegacyRequest,
  type McpHttpHandler,
  type McpRequestContext,
  type McpServer,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { randomUuid } from '../base/ids.ts';
import { type Principal, principalKey } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import type { AnyTool } from '../core/tool.ts';
import { answerLegacyTask, isLegacyTaskRequest } from './legacy-tasks.ts';
import { createMcpServer, resourcesOf } from './server.ts';

export interface McpHttpOptions {
  /** The tools a principal may use. */
  toolsFor: (principal: Principal) => readonly AnyTool[];
  /**
   * Legacy clients get sessions (every request reaches this process). Off where requests may land anywhere
   * (Workers): each legacy request then gets its own server, and destructive tools confirm with a token.
   */
  sessions: boolean;
  /**
   * Answers a 2026 `subscriptions/listen` elsewhere: where the operations' news are (the Worker forwards it to its
   * Durable Object). Unset: answered here, from this process's news.
   */
  listen?: (req: Request, principal: Principal) => Promise<Response>;
  /** How often a task-aware client should poll a task (default 2 s). */
  taskPollMs?: number;
  /** Sessions idle longer than this are closed; default 30 min. */
  idleMs?: number;
  /** Most sessions held at once, for everyone; default 500. */
  maxSessions?: number;
  /** Most sessions one principal holds; opening one more closes that principal's least recently used. Default 50. */
  maxSessionsPerPrincipal?: number;
  /**
   * A session with a request or stream open, or used this recently, is in use: it is never closed to make room
   * for someone else. Default 5 min.
   */
  activeMs?: number;
}

/** The largest request body read here before the SDK reads it (the SDK's own limit applies after). */
const MAX_BODY = 4 * 1024 * 1024;

/** Who is calling, as the SDK carries it to the per-request server factory (never the bearer token itself). */
function authInfoOf(principal: Principal): AuthInfo {
  return { token: '', clientId: principal.id, scopes: [], extra: { principal } };
}

function principalOf(ctx: McpRequestContext): Principal {
  const p = ctx.authInfo?.extra?.principal as Principal | undefined;
  if (!p) throw new Error('internal: an MCP request reached the server without its caller');
  return p;
}

export class McpHttp {
  private readonly perRequest: McpHttpHandler;
  private readonly sessions: McpHttpSessions | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: Deps,
    private readonly opts: McpHttpOptions,
  ) {
    this.perRequest = createMcpHandler(
      (ctx) =>
        createMcpServer(deps, {
          principal: principalOf(ctx),
          tools: opts.toolsFor(principalOf(ctx)),
          era: ctx.era,
          ...(ctx.era === 'legacy' ? { stateless: true } : { listen: opts.listen === undefined }),
          ...(opts.taskPollMs !== undefined ? { taskPollMs: opts.taskPollMs } : {}),
        }),
      {
        legacy: opts.sessions ? 'reject' : 'stateless',
        onerror: (err) => deps.log.warn('MCP request failed', { error: err }),
      },
    );
    this.sessions = opts.sessions ? new McpHttpSessions(deps, opts) : undefined;
    // The operations' news, to every `subscriptions/listen` stream held here that asked for them.
    const updated = (op: Parameters<typeof resourcesOf>[0]) => {
      for (const uri of resourcesOf(op)) this.perRequest.notify.resourceUpdated(uri);
    };
    this.unsubscribe = opts.listen
      ? () => undefined
      : deps.notify.subscribe({ progress: updated, finished: updated });
  }

  /** Legacy sessions open now. */
  get size(): number {
    return this.sessions?.size ?? 0;
  }

  async handle(req: Request, principal: Principal): Promise<Response> {
    const body = await readJson(req);
    if (await isLegacyRequest(req, body)) {
      if (isLegacyTaskRequest(body)) {
        const refusal = this.sessions?.refusal(req, principal);
        if (refusal) return refusal;
        const answer = await answerLegacyTask(body, {
          deps: this.deps,
          principal,
          tools: this.opts.toolsFor(principal),
          ...(this.opts.taskPollMs !== undefined ? { taskPollMs: this.opts.taskPollMs } : {}),
          signal: req.signal,
        });
        return Response.json(answer, {
          headers: req.headers.get('mcp-session-id')
            ? { 'mcp-session-id': req.headers.get('mcp-session-id') as string }
            : {},
        });
      }
      if (this.sessions) return this.sessions.handle(req, principal, body);
    } else if (this.opts.listen && req.headers.get('mcp-method') === 'subscriptions/listen') {
      return this.opts.listen(req, principal);
    }
    return this.perRequest.fetch(req, { authInfo: authInfoOf(principal), parsedBody: body });
  }

  async closeAll(): Promise<void> {
    this.unsubscribe();
    await this.sessions?.closeAll();
    await this.perRequest.close().catch(() => undefined);
  }
}

/** A JSON POST's body (read from a copy), or undefined for anything else. */
async function readJson(req: Request): Promise<unknown> {
  if (req.method !== 'POST') return undefined;
  if (!(req.headers.get('content-type') ?? '').includes('json')) return undefined;
  if (Number(req.headers.get('content-length') ?? 0) > MAX_BODY) return undefined;
  try {
    return JSON.parse(await req.clone().text());
  } catch {
    return undefined;
  }
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  principal: Principal;
  /** {@link principalKey} of the principal: a session answers only to the same source, id and role. */
  owner: string;
  lastSeen: number;
  /** Requests and streams of this session still open (an SSE stream counts until it ends). */
  open: number;
}

/**
 * 2025 sessions (elicitation, progress and resource notifications need one). Each session gets its own server bound
 * to the principal that opened it; a session id presented by another principal is refused. Room is made per
 * principal: one principal's sessions never push out another's session that is in use.
 */
export class McpHttpSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly perPrincipal: number;
  private readonly activeMs: number;

  constructor(
    private readonly deps: Deps,
    private readonly opts: Pick<
      McpHttpOptions,
      'toolsFor' | 'taskPollMs' | 'idleMs' | 'maxSessions' | 'maxSessionsPerPrincipal' | 'activeMs'
    >,
  ) {
    this.idleMs = opts.idleMs ?? 30 * 60_000;
    this.maxSessions = opts.maxSessions ?? 500;
    this.perPrincipal = opts.maxSessionsPerPrincipal ?? 50;
    this.activeMs = opts.activeMs ?? 5 * 60_000;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Why a request that names a session may not use it (unknown, or someone else's); undefined when it may. */
  refusal(req: Request, principal: Principal): Response | undefined {
    const sid = req.headers.get('mcp-session-id');
    if (!sid) return undefined;
    const s = this.sessions.get(sid);
    if (!s) return jsonRpcError(404, -32001, 'Session not found: start a new one with initialize');
    if (s.owner !== principalKey(principal))
      return jsonRpcError(403, -32000, 'This session belongs to someone else');
    return undefined;
  }

  async handle(req: Request, principal: Principal, parsedBody?: unknown): Promise<Response> {
    const now = this.deps.clock.now();
    const sid = req.headers.get('mcp-session-id');
    if (sid) {
      const refused = this.refusal(req, principal);
      if (refused) return refused;
      const s = this.sessions.get(sid) as Session;
      s.lastSeen = now;
      s.open++;
      let res: Response;
      try {
        res = await s.transport.handleRequest(req, { parsedBody });
      } catch (err) {
        s.open--;
        throw err;
      }
      return whenDone(res, () => {
        s.open--;
        s.lastSeen = this.deps.clock.now();
      });
    }
    if (req.method !== 'POST') {
      return jsonRpcError(
        400,
        -32000,
        'Bad Request: no mcp-session-id header; POST an initialize request first',
      );
    }
    if (!this.makeRoom(principal, now)) {
      return jsonRpcError(
        503,
        -32000,
        'Too many MCP sessions are open and in use; try again in a few minutes',
        {
          'retry-after': String(Math.ceil(this.activeMs / 1000)),
        },
      );
    }
    const server = createMcpServer(this.deps, {
      principal,
      tools: this.opts.toolsFor(principal),
      era: 'legacy',
      ...(this.opts.taskPollMs !== undefined ? { taskPollMs: this.opts.taskPollMs } : {}),
    });
    let session: Session | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUuid(),
      onsessioninitialized: (id) => {
        session = { transport, server, principal, owner: principalKey(principal), lastSeen: now, open: 0 };
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
    const res = await transport.handleRequest(req, { parsedBody });
    // Not an initialize request: nothing was opened, so nothing may linger.
    if (!session) await server.close().catch(() => undefined);
    return res;
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => undefined)));
  }

  /**
   * Makes room for one more session of `principal`: closes sessions idle past idleMs, then the principal's own
   * least recently used beyond its cap, then — when everyone's cap is reached — the least recently used session
   * not in use (or the principal's own). False when every other session is in use.
   */
  private makeRoom(principal: Principal, now: number): boolean {
    for (const [id, s] of this.sessions) {
      if (now - s.lastSeen > this.idleMs) this.close(id, s);
    }
    const owner = principalKey(principal);
    const own = () => [...this.sessions].filter(([, s]) => s.owner === owner);
    while (own().length >= this.perPrincipal) this.closeFirst(own());
    while (this.sessions.size >= this.maxSessions) {
      const free = [...this.sessions].filter(
        ([, s]) => s.owner === owner || (s.open === 0 && now - s.lastSeen > this.activeMs),
      );
      if (free.length === 0) return false;
      this.closeFirst(free);
    }
    return true;
  }

  /** Closes the one of `candidates` to lose first: idle before busy, then least recently used. */
  private closeFirst(candidates: [string, Session][]): void {
    const [first] = candidates.sort(
      ([, a], [, b]) => Number(a.open > 0) - Number(b.open > 0) || a.lastSeen - b.lastSeen,
    );
    if (first) this.close(first[0], first[1]);
  }

  private close(id: string, s: Session): void {
    this.sessions.delete(id);
    s.server.close().catch(() => undefined);
  }
}

/** `res` with `done` called once its body has been sent, or given up by the client (at once when it has none). */
function whenDone(res: Response, done: () => void): Response {
  let called = false;
  const once = () => {
    if (!called) {
      called = true;
      done();
    }
  };
  if (!res.body) {
    once();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await reader.read();
        if (end) {
          once();
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        once();
        controller.error(err);
      }
    },
    cancel(reason) {
      once();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}
