/**
 * What the Worker and its Durable Object build the same way: the logger, the secret set and the MAAS client.
 */
import type { Config } from '../config.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { SecretSet } from '../core/redact.ts';
import { MaasApi } from '../maas/api.ts';
import { type FetchLike, MaasClient } from '../maas/client.ts';
import { VERSION } from '../version.ts';

/** Every secret string known from the settings, plus the MAAS key in use (the demo's is not a setting). */
export function secretsOf(config: Config, maasApiKey?: string): SecretSet {
  const secrets = new SecretSet().add(
    config.slack.signingSecret,
    config.slack.botToken,
    config.slack.appToken,
    config.maasApiKey,
  );
  for (const t of config.authTokens) secrets.add(t.token);
  if (maasApiKey) secrets.add(maasApiKey, ...maasApiKey.split(':'));
  if (config.maasApiKey) secrets.add(...config.maasApiKey.split(':'));
  return secrets;
}

/**
 * JSON lines on the console: Workers Logs and `wrangler tail` collect console output, and there is no stderr
 * to keep apart from a protocol stream as on Node's stdio.
 */
export function workerLogger(secrets: SecretSet): Logger {
  // biome-ignore lint/suspicious/noConsole: the console is the Workers log sink.
  return createLogger((line) => console.log(line), { secrets });
}

/** The MAAS API over `fetch` (the global one, or the demo simulator's). */
export function maasApi(url: string, apiKey: string, fetch: FetchLike): MaasApi {
  return new MaasApi(new MaasClient({ url, apiKey, fetch, userAgent: `maas-mcp/${VERSION}` }));
}

/** The global fetch, called unbound would throw "Illegal invocation" in workerd. */
export const globalFetch: FetchLike = (input, init) => fetch(input, init);

/** How MAAS_URL is reached: through the MAAS_VPC binding when there is one (Workers VPC), else the Internet. */
export function maasFetch(vpc: Fetcher | undefined): FetchLike {
  if (!vpc) return globalFetch;
  return (input, init) => vpc.fetch(new Request(input, init));
}
