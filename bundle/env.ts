/**
 * What is particular to the Claude Desktop bundle, settled in the environment the manifest fills from the settings
 * form before the CLI reads it:
 * - a setting a host left unsubstituted (a literal `${user_config.…}`) counts as unset;
 * - with "Try it without MAAS" on, the MAAS URL, key and CA file are not used at all;
 * - with no MAAS and no demo, one line says which settings to fill in, in the words of the form;
 * - the store is a file of its own (see bundle/better-sqlite3-wasm.ts: its locking does not exclude a
 *   better-sqlite3 process, so it must not share the CLI's file), unless MAAS_MCP_DB says otherwise.
 */
import { dirname, join } from 'node:path';
import { bool } from '../src/config.ts';
import { defaultDbPath } from '../src/node/sqlite-store.ts';

export const DB_FILE = 'maas-mcp-desktop.db';

const UNSUBSTITUTED = /^\$\{user_config\.[^}]*\}$/;

/** What the bundle changes in `env` before the CLI reads it; an error line for the user instead, when there is one. */
export function bundleEnv(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (const [k, v] of Object.entries(env)) if (v !== undefined && UNSUBSTITUTED.test(v)) delete env[k];
  if (argv[0] !== 'stdio') return undefined;
  let demo = false;
  try {
    demo = bool('MAAS_MCP_DEMO', env.MAAS_MCP_DEMO);
  } catch {
    return undefined; // The CLI names the bad value.
  }
  if (demo) {
    delete env.MAAS_URL;
    delete env.MAAS_API_KEY;
    delete env.MAAS_CA_FILE;
    return undefined;
  }
  if (!env.MAAS_URL?.trim() && !env.MAAS_API_KEY?.trim()) {
    return 'no MAAS is set: fill in "MAAS URL" and "MAAS API key" in this extension\'s settings, or turn on "Try it without MAAS"';
  }
  if (!env.MAAS_MCP_DB?.trim()) env.MAAS_MCP_DB = join(dirname(defaultDbPath(env)), DB_FILE);
  return undefined;
}
