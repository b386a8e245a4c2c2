/** Running the project's wrangler from tests: offline, without telemetry or update checks. */
import { fileURLToPath } from 'node:url';

/** wrangler's CLI script, run with this Node (no npx, no shell). */
export const WRANGLER = fileURLToPath(
  new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url),
);

/** The repository root, where wrangler.toml is. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The environment for a wrangler child: no metrics, no `cf` fetch, no banner (whose update check calls npm). */
export function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    ...extra,
  };
}
