/** Everything a tool, adapter or background task needs, injected in one object — no globals. */
import type { Config } from './config.ts';
import type { Clock } from './core/clock.ts';
import type { Logger } from './core/log.ts';
import type { SecretSet } from './core/redact.ts';
import type { MaasApi } from './maas/api.ts';
import type { Store } from './store/types.ts';

export interface Deps {
  maas: MaasApi;
  /** Operations, confirmations, audit: SQLite on Node, a Durable Object on Workers, memory in tests. */
  store: Store;
  clock: Clock;
  log: Logger;
  config: Config;
  /** Secret strings known at start (API key parts, tokens), scrubbed from every text that leaves. */
  secrets: SecretSet;
}
