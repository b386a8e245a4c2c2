/** Everything a tool, adapter or background task needs, injected in one object — no globals. */

import type { Clock } from '../base/clock.ts';
import type { Logger } from '../base/log.ts';
import type { SecretSet } from '../base/redact.ts';
import type { Config } from '../config.ts';
import type { MaasClient } from '../maas/client.ts';
import type { Store } from '../store/types.ts';
import type { ActionResult, Plan } from './actions.ts';
import type { NotifierHub } from './operations/notify.ts';
import type { AnyTool, ToolContext } from './tool.ts';

export interface Deps {
  maas: MaasClient;
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
