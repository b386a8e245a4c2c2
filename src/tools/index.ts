/**
 * The registry where a process outlives a request (Node, the docs, the tests): every tool, workflows included, in
 * the order tools/list shows them. A Worker composes its own without workflows (src/tools/registry.ts).
 */
import type { ToolAccess } from '../core/access.ts';
import type { AnyTool } from '../core/tool.ts';
import { composeTools, enabledTools as enabledOf, findTool as findIn } from './registry.ts';
import { workflowTools } from './workflows.ts';

export { toolsFor } from './registry.ts';

export const ALL_TOOLS: readonly AnyTool[] = composeTools(workflowTools);

/** The tools that exist for a caller — the one question every adapter asks. */
export function enabledTools(access: ToolAccess, tools: readonly AnyTool[] = ALL_TOOLS): AnyTool[] {
  return enabledOf(access, tools);
}

export function findTool(name: string, tools: readonly AnyTool[] = ALL_TOOLS): AnyTool | undefined {
  return findIn(name, tools);
}
