/** Everything a tool, adapter or background task needs, injected in one object — no globals. */
import type { Config } from './config.ts';
import type { ActionResult, Plan } from './core/actions.ts';
import type { Clock } from './core/clock.ts';
import type { Logger } from './core/log.ts';
import type { NotifierHub } from './core/operations/notify.ts';
import type { SecretSet } from './core/redact.ts';
import type { MaasApi } from './maas/api.ts';
import type { Store } from './store/types.ts';
import type { AnyTool, ToolContext } from './tools/define.ts';

export interface Deps {
  maas: MaasApi;
  /** Operations, confirmations, audit: SQLite on Node, a Durable Object on Workers, memory in tests. */
  store: Store;
  clock: Clock;
  log: Logger;
  config: Config;
  /** Operation news: the poller publishes, waiting calls, MCP sessions and Slack listen. */
  notify: NotifierHub;
  /** Asks the poller to look soon (a new operation, or someone waiting); a no-op where nothing polls. */
  kickPoller: () => void;
  /**
   * MAAS_MCP_CONFIRM=slack: holds an agent's destructive call for a person's approval (set when Slack is
   * configured). The MCP adapter passes it to the gate.
   */
  approvals?: (
    tool: AnyTool,
    args: Record<string, unknown>,
    plan: Plan,
    ctx: ToolContext,
  ) => Promise<ActionResult>;
  /** Secret strings known at start (API key parts, tokens), scrubbed from every text that leaves. */
  secrets: SecretSet;
}
