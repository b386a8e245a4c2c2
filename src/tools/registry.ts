/**
 * The registry's shape: every tool, in the order tools/list shows them, composed with the workflow tools a runtime
 * has. Node's full registry is src/tools/index.ts (ALL_TOOLS); a Worker, which offers no workflows (README
 * "Workflows": a run needs a process that outlives a request), uses {@link REQUEST_TOOLS} and so never loads the
 * workflow engine. Everything shared asks `deps.tools`, so one set of rules serves both.
 */
import { isToolEnabled, type Principal, type ToolAccess } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import type { AnyTool } from '../core/tool.ts';
import { adminTools } from './admin.ts';
import { machineAllocate } from './allocate.ts';
import { machineBootDisk } from './boot.ts';
import { machineClone } from './clone.ts';
import { clusterTools } from './clusters.ts';
import { conditionTools } from './conditions.ts';
import { inventoryTools } from './inventory.ts';
import { lifecycleTools } from './lifecycle.ts';
import { machineAdminTools } from './machine-admin.ts';
import { machineReadTools } from './machines.ts';
import { networkTools } from './network.ts';
import { operationTools } from './operations.ts';
import { powerTools } from './power.ts';
import { storageTools } from './storage.ts';
import { machineTag } from './tags.ts';

/** The registry, in tools/list order, with `workflowTools` (none where no process outlives a request). */
export function composeTools(workflowTools: readonly AnyTool[]): readonly AnyTool[] {
  return [
    ...machineReadTools,
    ...machineAdminTools,
    machineBootDisk,
    machineAllocate,
    ...lifecycleTools,
    ...conditionTools,
    machineTag,
    ...powerTools,
    ...inventoryTools,
    ...storageTools,
    ...networkTools,
    machineClone,
    ...operationTools,
    ...workflowTools,
    ...clusterTools,
    ...adminTools,
  ];
}

/** The tools of a runtime that lives for a request (a Worker): the registry without workflows. */
export const REQUEST_TOOLS: readonly AnyTool[] = composeTools([]);

/** The tools that exist for a caller — the one question every adapter asks. */
export function enabledTools(access: ToolAccess, tools: readonly AnyTool[]): AnyTool[] {
  return tools.filter((t) => isToolEnabled(t, access));
}

/**
 * The tools an MCP caller is offered: the deployment's toolsets and read-only mode, the caller's role, and the
 * guardrails in force (a tool a rule denies this caller on every call is not listed).
 */
export function toolsFor(deps: Pick<Deps, 'config' | 'policy' | 'tools'>, principal: Principal): AnyTool[] {
  const { config } = deps;
  return enabledTools(
    {
      toolsets: config.toolsets,
      readOnly: config.readOnly,
      role: principal.role,
      policy: { rules: deps.policy?.current(), principal },
    },
    deps.tools,
  );
}

export function findTool(name: string, tools: readonly AnyTool[]): AnyTool | undefined {
  return tools.find((t) => t.name === name);
}
