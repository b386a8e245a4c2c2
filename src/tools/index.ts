/** The registry: every tool, in the order tools/list shows them. */
import { isToolEnabled, type ToolAccess } from '../core/access.ts';
import type { AnyTool } from '../core/tool.ts';
import { adminTools } from './admin.ts';
import { machineAllocate } from './allocate.ts';
import { machineBootDisk } from './boot.ts';
import { machineClone } from './clone.ts';
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
import { workflowTools } from './workflows.ts';

export const ALL_TOOLS: readonly AnyTool[] = [
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
  ...adminTools,
];

/** The tools that exist for a caller — the one question every adapter asks. */
export function enabledTools(access: ToolAccess, tools: readonly AnyTool[] = ALL_TOOLS): AnyTool[] {
  return tools.filter((t) => isToolEnabled(t, access));
}

export function findTool(name: string, tools: readonly AnyTool[] = ALL_TOOLS): AnyTool | undefined {
  return tools.find((t) => t.name === name);
}
