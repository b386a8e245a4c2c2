import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleEnv, DB_FILE } from '../../bundle/env.ts';

/** What a host that does not substitute an unset setting passes on. */
const unsubstituted = (setting: string) => `\${user_config.${setting}}`;

const NO_MAAS =
  'no MAAS is set: fill in "MAAS URL" and "MAAS API key" in this extension\'s settings, or turn on "Try it without MAAS"';

describe('the bundle entry settles its environment', () => {
  it('takes a setting a host left unsubstituted as unset', () => {
    const env: NodeJS.ProcessEnv = {
      MAAS_URL: unsubstituted('maas_url'),
      MAAS_API_KEY: unsubstituted('maas_api_key'),
      MAAS_CA_FILE: unsubstituted('maas_ca_file'),
      MAAS_MCP_DEMO: unsubstituted('demo'),
      HOME: '/home/u',
    };
    expect(bundleEnv(['stdio'], env)).toBe(NO_MAAS);
    expect(env).toEqual({ HOME: '/home/u' });
  });

  it('with the demo on, drops the MAAS URL, key and CA file, so a half-filled form does not stop it', () => {
    const env: NodeJS.ProcessEnv = {
      MAAS_MCP_DEMO: 'true',
      MAAS_URL: 'http://maas:5240/MAAS',
      MAAS_API_KEY: 'not-a-key',
      MAAS_CA_FILE: '/nowhere.pem',
      HOME: '/home/u',
    };
    expect(bundleEnv(['stdio'], env)).toBeUndefined();
    // No MAAS_MCP_DB either: the demo keeps its state in memory.
    expect(env).toEqual({ MAAS_MCP_DEMO: 'true', HOME: '/home/u' });
  });

  it('keeps its store in a file of its own beside the default one, unless MAAS_MCP_DB is set', () => {
    const env: NodeJS.ProcessEnv = {
      MAAS_URL: 'http://maas:5240/MAAS',
      MAAS_API_KEY: 'a:b:c',
      HOME: '/home/u',
    };
    expect(bundleEnv(['stdio'], env)).toBeUndefined();
    expect(env.MAAS_MCP_DB).toBe(join('/home/u', '.local', 'share', 'maas-mcp', DB_FILE));

    const set: NodeJS.ProcessEnv = { ...env, MAAS_MCP_DB: '/data/mine.db' };
    bundleEnv(['stdio'], set);
    expect(set.MAAS_MCP_DB).toBe('/data/mine.db');
  });

  it('leaves a malformed demo value for the CLI to name', () => {
    const env: NodeJS.ProcessEnv = { MAAS_MCP_DEMO: 'maybe' };
    expect(bundleEnv(['stdio'], env)).toBeUndefined();
    expect(env).toEqual({ MAAS_MCP_DEMO: 'maybe' });
  });
});
