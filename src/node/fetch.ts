/** Node's fetch for MAAS: a keep-alive undici Agent with MAAS_CA_FILE / MAAS_TLS_INSECURE applied. */
import { readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import type { FetchLike } from '../base/fetch.ts';
import { ConfigError } from '../config.ts';

export interface NodeFetchOptions {
  caFile?: string | undefined;
  insecure?: boolean;
}

export function createNodeFetch(opts: NodeFetchOptions = {}): { fetch: FetchLike; close(): Promise<void> } {
  let ca: string | undefined;
  if (opts.caFile) {
    try {
      ca = readFileSync(opts.caFile, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `MAAS_CA_FILE: cannot read ${opts.caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const agent = new Agent({
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 10 * 60_000,
    connections: 32,
    connect: { ...(ca ? { ca } : {}), rejectUnauthorized: !opts.insecure },
  });
  const fetch: FetchLike = (input, init) =>
    undiciFetch(input instanceof Request ? input.url : String(input), {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    }) as unknown as Promise<Response>;
  return { fetch, close: () => agent.close() };
}
