/** Everything a tool, adapter or background task needs, injected in one object — no globals. */
import type { Config } from './config.ts';
import type { Clock } from './core/clock.ts';
import type { Logger } from './core/log.ts';
import type { SecretSet } from './core/redact.ts';
import type { MaasApi } from './maas/api.ts';

export interface Deps {
  maas: MaasApi;
  clock: Clock;
  log: Logger;
  config: Config;
  /** Secret strings known at start (API key parts, tokens), scrubbed from every text that leaves. */
  secrets: SecretSet;
}
