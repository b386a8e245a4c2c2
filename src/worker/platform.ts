/**
 * What the Worker and its Durable Object do the same way and Node does not: the logger, how MAAS_URL is reached,
 * and how to set MAAS_URL and MAAS_API_KEY.
 */

import type { FetchLike } from '../base/fetch.ts';
import { createLogger, type Logger } from '../base/log.ts';
import type { SecretSet } from '../base/redact.ts';

/** How to fix missing MAAS_URL and MAAS_API_KEY on Workers (the Worker and its Durable Object say the same). */
export const MAAS_SETTINGS_HINT =
  'set MAAS_URL in [vars] and `wrangler secret put MAAS_API_KEY`, or MAAS_MCP_DEMO=true for the simulator';

/**
 * JSON lines on the console: Workers Logs and `wrangler tail` collect console output, and there is no stderr
 * to keep apart from a protocol stream as on Node's stdio.
 */
export function workerLogger(secrets: SecretSet): Logger {
  // biome-ignore lint/suspicious/noConsole: the console is the Workers log sink.
  return createLogger((line) => console.log(line), { secrets });
}

/** The global fetch, called unbound would throw "Illegal invocation" in workerd. */
export const globalFetch: FetchLike = (input, init) => fetch(input, init);

/** How MAAS_URL is reached: through the MAAS_VPC binding when there is one (Workers VPC), else the Internet. */
export function maasFetch(vpc: Fetcher | undefined): FetchLike {
  if (!vpc) return globalFetch;
  return (input, init) => vpc.fetch(new Request(input, init));
}
