/** The README's "Configure machines before deploy" examples run as written, against the simulator. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigResult } from '../../../src/core/config-action.ts';
import { call } from '../../helpers.ts';
import { runCleanups, setup } from '../write-helpers.ts';

afterEach(runCleanups);

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(
  readme.indexOf('## Configure machines before deploy'),
  readme.indexOf('## Slack'),
);

/** Every JSON object in the section's json blocks (a block may hold several, one after the other). */
function examples(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [, block] of section.matchAll(/```json\n([\s\S]*?)```/g)) {
    for (const text of (block as string).split(/\n\s*\n/)) out.push(JSON.parse(text));
  }
  return out;
}

describe('the README’s configuration examples', () => {
  it('are carried out as written on the simulated machines they name', async () => {
    const all = examples();
    expect(all).toHaveLength(3);
    const { client } = await setup();
    for (const args of all) {
      const tool = 'layout' in args ? 'machine_storage_layout' : 'machine_network_configure';
      const res = await call<ConfigResult>(client, tool, args);
      expect(res.isError, res.text).toBe(false);
      expect(res.data.failed, res.text).toEqual([]);
      expect(res.data.succeeded.length).toBeGreaterThan(0);
    }
    const clone = /`(\{"source"[^`]*)`/.exec(section.replace(/\n/g, ' '))?.[1];
    const res = await call<ConfigResult>(client, 'machine_clone', JSON.parse(clone ?? '{}'));
    expect(res.data.summary).toBe('clone: 1 done');
  });
});
