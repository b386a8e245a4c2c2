/**
 * Opens the Node store where MAAS_MCP_DB (or the default path) says, and turns a failure into one line that names
 * the setting, the path and what is wrong with it — never a raw EEXIST or SqliteError stack.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../config.ts';
import { defaultDbPath, SqliteStore } from './sqlite-store.ts';

/** The store at `configured` (MAAS_MCP_DB), else at the platform's default path. */
export function openNodeStore(configured: string | undefined, env: NodeJS.ProcessEnv): SqliteStore {
  const path = configured ?? defaultDbPath(env);
  try {
    return SqliteStore.open(path);
  } catch (err) {
    const where = configured
      ? `MAAS_MCP_DB=${path}`
      : `the database file ${path} (the default; set MAAS_MCP_DB to use another)`;
    throw new ConfigError(`${where}: ${whyNotOpened(path, err)}`);
  }
}

/** What is wrong with `path`, checked on the file system; the error's own words only when nothing there explains. */
export function whyNotOpened(path: string, err: unknown): string {
  const stat = statOf(path);
  if (stat?.isDirectory()) {
    return `that is a directory; give the path of a file, e.g. ${join(path, 'maas-mcp.db')}`;
  }
  // The nearest part of the path that exists: the store creates the directories below it.
  let dir = dirname(path);
  let dirStat = statOf(dir);
  while (!dirStat && dirname(dir) !== dir) {
    dir = dirname(dir);
    dirStat = statOf(dir);
  }
  if (dirStat && !dirStat.isDirectory()) return `${dir} is a file, not a directory`;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'SQLITE_NOTADB') return 'that file is not a SQLite database';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return 'the database is locked by another process; stop it or use another file';
  }
  const denied = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'SQLITE_READONLY';
  if (stat && (denied || !writable(path))) return 'that file is not writable (check its permissions)';
  if (!stat && (denied || code === 'SQLITE_CANTOPEN' || !writable(dir))) {
    const below = dir === dirname(path) ? 'the file' : 'the directories for it';
    return `${dir} is not writable, so ${below} cannot be created there`;
  }
  const detail = err instanceof Error ? err.message : String(err);
  return `cannot open it as a database (${detail})`;
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
