/**
 * MCP over stdio (Claude Desktop, Claude Code), both eras: the SDK's `serveStdio` lets the opening message pick the
 * era and pins one server for the connection. 2025's experimental tasks are answered by a wrapper of the transport
 * before the SDK sees them (src/mcp/legacy-tasks.ts). Only the Node entry point imports this (the transport reads
 * the process's own stdin and stdout, so the entry point also watches stdin end).
 */
import type { Transport } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio as serve } from '@modelcontextprotocol/server/stdio';
import type { Principal } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import type { AnyTool } from '../core/tool.ts';
import { answerLegacyTask, isLegacyTaskRequest, type LegacyTaskEnv } from './legacy-tasks.ts';
import { createMcpServer } from './server.ts';

/** Serves MCP on stdin/stdout; `closed` settles when the transport closes. */
export async function serveStdio(
  deps: Deps,
  opts: { principal: Principal; tools: readonly AnyTool[]; taskPollMs?: number },
): Promise<{ closed: Promise<void>; close(): Promise<void> }> {
  const stdio = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    const previous = stdio.onclose;
    stdio.onclose = () => {
      previous?.();
      resolve();
    };
  });
  const handle = serveTransport(deps, stdio, opts);
  return { closed, close: () => handle.close() };
}

/**
 * Serves one MCP connection over `transport` (stdio, or an in-memory pair in tests) as stdio is served: its
 * opening message picks the era.
 */
export function serveTransport(
  deps: Deps,
  transport: Transport,
  opts: { principal: Principal; tools: readonly AnyTool[]; taskPollMs?: number },
): { close(): Promise<void> } {
  const handle = serve(
    (ctx) =>
      createMcpServer(deps, {
        principal: opts.principal,
        tools: opts.tools,
        era: ctx.era,
        ...(ctx.era === 'modern' ? { listen: true, pushUpdates: true } : {}),
        ...(opts.taskPollMs !== undefined ? { taskPollMs: opts.taskPollMs } : {}),
      }),
    {
      transport: new LegacyTaskTransport(transport, { deps, ...opts }),
      onerror: (err) => deps.log.warn('MCP connection failed', { error: err }),
    },
  );
  return { close: () => handle.close().catch(() => undefined) };
}

/**
 * A transport that answers 2025's task requests itself once the connection opened as 2025 (with `initialize`), and
 * passes everything else through.
 */
export class LegacyTaskTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  private legacy: boolean | undefined;

  constructor(
    private readonly inner: Transport,
    private readonly env: LegacyTaskEnv,
  ) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (err) => this.onerror?.(err);
    this.inner.onmessage = (message, extra) => {
      const method = (message as { method?: unknown }).method;
      this.legacy ??= typeof method === 'string' ? method === 'initialize' : undefined;
      if (this.legacy && isLegacyTaskRequest(message)) {
        answerLegacyTask(message, this.env).then(
          (answer) => this.inner.send(answer as never).catch((err: Error) => this.onerror?.(err)),
          (err: Error) => this.onerror?.(err),
        );
        return;
      }
      this.onmessage?.(message, extra);
    };
    return this.inner.start();
  }

  send(...args: Parameters<Transport['send']>): Promise<void> {
    return this.inner.send(...args);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }
}
