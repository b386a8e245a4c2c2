/**
 * Policy rules (README "Guardrails"; MAAS_MCP_POLICY comes with a later issue): allow, deny, confirm or approve per
 * tool, caller and targets. The one path (core/invoke.ts) asks for a decision here, after the role check and the
 * preview and before the confirmation gate. No rule exists yet: every call gets the tool's own rules.
 */
import type { ToolContext } from './deps.ts';
import type { Plan } from './plan.ts';

export type PolicyDecision =
  /** No rule matched: the tool's own rules apply (a destructive tool is confirmed, a read runs). */
  | { effect: 'default' }
  /** A rule refuses the call; it is audited with the rule's id. */
  | { effect: 'deny'; rule: string; reason: string };

/** The decision for one call, from what it is, who makes it and what its preview says it would touch. */
export async function decide(
  _tool: { name: string; toolset: string },
  _args: Record<string, unknown>,
  _plan: Plan | undefined,
  _ctx: ToolContext,
): Promise<PolicyDecision> {
  return { effect: 'default' };
}
