/**
 * A missing or malformed `machines` (or `machine`) says what is expected, through the MCP SDK's own input
 * validation (the same schema validates Slack commands: test/slack/machines-input.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../helpers.ts';
import { posts, runCleanups, setup } from './write-helpers.ts';

afterEach(runCleanups);

const EXPECTED = 'expected a system_id or hostname, or a list of 1–100 of them';

describe('bad machine references over MCP', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['missing', {}, `machines: ${EXPECTED} (none given)`],
    ['an empty string', { machines: '' }, `machines: ${EXPECTED} (got an empty string)`],
    ['an empty list', { machines: [] }, `machines: ${EXPECTED} (got an empty list)`],
    ['a number', { machines: 7 }, `machines: ${EXPECTED} (got a number)`],
    [
      '101 machines',
      { machines: Array.from({ length: 101 }, (_, i) => `m-${i}`) },
      `machines: ${EXPECTED} (got 101)`,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(`names what machines expects when it is ${what}, and writes nothing`, async () => {
      const { client, sim } = await setup();
      const res = await call(client, 'machine_release', args);
      expect(res.isError).toBe(true);
      expect(res.text).toContain(message);
      expect(res.text).not.toContain('Invalid input');
      expect(posts(sim)).toHaveLength(0);
    });
  }

  it('names what machine expects when it is missing', async () => {
    const { client } = await setup();
    const res = await call(client, 'machine_get', {});
    expect(res.isError).toBe(true);
    expect(res.text).toContain('machine: expected a system_id or hostname (none given)');
  });
});
