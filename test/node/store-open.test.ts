/**
 * A MAAS_MCP_DB that cannot be used stops the start with one line naming the setting, the path and what is wrong
 * with it (exit code 2, like every other bad setting), never "unexpected failure: EEXIST …" and a stack.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/config.ts';
import { openNodeStore, whyNotOpened } from '../../src/node/store-open.ts';
import { main } from '../../src/node.ts';

const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'not a directory');
const notADatabase = join(dir, 'notes.db');
writeFileSync(notADatabase, 'These are notes, not a SQLite database. '.repeat(4));

/** Runs the CLI and returns its exit code and what it printed on stderr. */
async function run(argv: string[], env: Record<string, string>): Promise<{ code: number; stderr: string[] }> {
  const stderr: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void stderr.push(args.join(' ')));
  const code = await main(argv, env);
  return { code, stderr };
}

function refusal(configured: string | undefined, env: NodeJS.ProcessEnv = {}): string {
  try {
    openNodeStore(configured, env).close();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('a MAAS_MCP_DB that cannot be used', () => {
  it('stops `maas-mcp demo` with one line naming MAAS_MCP_DB when the path is a directory', async () => {
    const { code, stderr } = await run(['demo', '--port', '0', '--machines', '2'], { MAAS_MCP_DB: dir });
    expect(code).toBe(2);
    expect(stderr).toEqual([
      `maas-mcp: MAAS_MCP_DB=${dir}: that is a directory; give the path of a file, e.g. ${join(dir, 'maas-mcp.db')}`,
    ]);
  });

  it('stops `maas-mcp serve` with one line when a parent of the path is a file (was EEXIST)', async () => {
    const path = join(aFile, 'maas-mcp.db');
    const { code, stderr } = await run(['serve', '--port', '0'], {
      MAAS_URL: 'http://maas.invalid:5240/MAAS',
      MAAS_API_KEY: 'consumer:token:secret',
      MAAS_MCP_DB: path,
    });
    expect(code).toBe(2);
    expect(stderr).toEqual([`maas-mcp: MAAS_MCP_DB=${path}: ${aFile} is a file, not a directory`]);
  });

  it('names a file that is not a SQLite database', () => {
    expect(refusal(notADatabase)).toBe(`MAAS_MCP_DB=${notADatabase}: that file is not a SQLite database`);
  });

  it('names the nearest existing part of a deeper path that is a file', () => {
    const path = join(aFile, 'x', 'y', 'maas-mcp.db');
    expect(refusal(path)).toBe(`MAAS_MCP_DB=${path}: ${aFile} is a file, not a directory`);
  });

  it('says the default path is in use and how to choose another when MAAS_MCP_DB is not set', () => {
    // XDG_DATA_HOME under a file: the default path cannot be created.
    const message = refusal(undefined, { XDG_DATA_HOME: aFile, HOME: dir });
    expect(message).toBe(
      `the database file ${join(aFile, 'maas-mcp', 'maas-mcp.db')} (the default; set MAAS_MCP_DB to use another): ${aFile} is a file, not a directory`,
    );
  });

  it('says which directory is not writable when creating the file or its directories is refused', () => {
    // Permissions cannot be taken away from root (these tests may run as root): the refusal is given as the
    // file system gives it.
    const sub = join(dir, 'sub');
    mkdirSync(sub, { recursive: true });
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(whyNotOpened(join(sub, 'maas-mcp.db'), denied)).toBe(
      `${sub} is not writable, so the file cannot be created there`,
    );
    expect(whyNotOpened(join(sub, 'a', 'b', 'maas-mcp.db'), denied)).toBe(
      `${sub} is not writable, so the directories for it cannot be created there`,
    );
  });

  it('still opens a good path, creating its directories', () => {
    const store = openNodeStore(join(dir, 'new', 'dir', 'maas-mcp.db'), {});
    store.close();
  });
});
