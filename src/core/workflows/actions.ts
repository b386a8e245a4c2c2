/**
 * The workflow names a runtime knows without the workflow engine (README "Workflows"): the actions, and the
 * workflow tools' names and verbs, so a policy reads the same on a Worker (which offers no workflows) as on Node.
 * test/tools/registry.test.ts checks these against the workflow tools themselves.
 */

/** The actions, in the SDK's names (README "Workflows"). */
export const ACTIONS = [
  'list',
  'create_machine',
  'find_machine',
  'set_power',
  'set_bios',
  'set_boot_order',
  'configure_storage',
  'commission',
  'configure_network',
  'deploy',
  'release',
  'delete',
] as const;
export type Action = (typeof ACTIONS)[number];

/** The workflow tools' names and verbs (src/tools/workflows.ts), as a policy may name them. */
export const WORKFLOW_TOOL_NAMES = [
  'workflow_run',
  'workflow_get',
  'workflows_list',
  'workflow_cancel',
] as const;
export const WORKFLOW_VERBS = ['run-workflow-on', 'workflow', 'workflows', 'workflow-cancel'] as const;
