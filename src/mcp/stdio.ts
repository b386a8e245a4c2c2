/**
 * MCP over stdio (Claude Desktop, Claude Code): the SDK's stdio transport in front of the same server as HTTP's.
 * Only the Node entry point imports this (the transport reads the process's own stdin and stdout, so the entry
 * point also watches stdin end).
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Principal } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import type { AnyTool } from '../core/tool.ts';
import { createMcpServer } from './server.ts';

/** Serves one MCP session on stdin/stdout; `closed` settles when the transport closes. */
export async function serveStdio(
  deps: Deps,
  opts: { principal: Principal; tools: readonly AnyTool[] },
): Promise<{ closed: Promise<void>; close(): Promise<void> }> {
  const server = createMcpServer(deps, opts);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  return { closed, close: () => server.close().catch(() => undefined) };
}
