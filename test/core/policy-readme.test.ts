/** The README's example policy (section "Guardrails") loads as it is, and its five rules do what it says. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CallFacts, evaluate, type TargetFacts } from '../../src/core/policy/evaluate.ts';
import { YAML_FORMAT } from '../../src/core/policy/yaml.ts';
import { readPolicy, textPolicy } from '../../src/wiring.ts';
import { testConfig } from '../helpers.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function example(): string {
  const m = /<!-- policy-example -->\n```yaml\n([\s\S]*?)```/.exec(README);
  if (!m?.[1]) throw new Error('README has no policy example');
  return m[1];
}

const SLACK = testConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_NOTIFY_CHANNEL: 'C1' });

const machine = (hostname: string, more: Partial<TargetFacts> = {}): TargetFacts => ({
  system_id: hostname,
  hostname,
  status: 'Deployed',
  owner: 'admin',
  pool: 'default',
  zone: 'zone-a',
  tags: [],
  ...more,
});

const agent = (tool: string, actions: string[], more: Partial<CallFacts> = {}): CallFacts => ({
  tool,
  actions,
  principal: 'alice',
  role: 'operator',
  via: ['mcp'],
  ...more,
});

describe("the README's policy example", () => {
  it('loads with its five rules (Slack set up for its approve rule)', () => {
    const p = readPolicy(example(), 'README.md', SLACK, YAML_FORMAT);
    expect(p.rules.map((r) => r.id)).toEqual([
      'protected-machines',
      'agents-stay-out-of-prod',
      'big-erase-two-people',
      'core-power-admins-only',
      'deploys-are-confirmed',
    ]);
  });

  it('does what each rule says', () => {
    const p = readPolicy(example(), 'README.md', SLACK, YAML_FORMAT);
    const rule = (call: CallFacts, targets: TargetFacts[]) =>
      evaluate(p, call, targets).targets.map((t) => t.rule?.id);
    expect(
      rule(agent('machine_release', ['release']), [machine('a', { tags: ['protected'] }), machine('b')]),
    ).toEqual(['protected-machines', undefined]);
    expect(rule(agent('machine_power_on', ['power-on']), [machine('a', { pool: 'prod' })])).toEqual([
      'agents-stay-out-of-prod',
    ]);
    expect(
      rule(agent('machine_power_on', ['power-on'], { via: ['slack'] }), [machine('a', { pool: 'prod' })]),
    ).toEqual([undefined]);
    const six = Array.from({ length: 6 }, (_, i) => machine(`m${i}`));
    expect(new Set(rule(agent('machine_release', ['release', 'erase']), six))).toEqual(
      new Set(['big-erase-two-people']),
    );
    expect(new Set(rule(agent('machine_release', ['release', 'erase']), six.slice(1)))).toEqual(
      new Set([undefined]),
    );
    expect(rule(agent('machine_power_off', ['power-off']), [machine('a', { zone: 'core' })])).toEqual([
      'core-power-admins-only',
    ]);
    expect(
      rule(agent('machine_power_off', ['power-off'], { role: 'admin' }), [machine('a', { zone: 'core' })]),
    ).toEqual([undefined]);
    expect(rule(agent('machine_deploy', ['deploy']), [machine('a', { status: 'Ready' })])).toEqual([
      'deploys-are-confirmed',
    ]);
  });
});

describe('a policy on Workers (MAAS_MCP_POLICY holds its text)', () => {
  it('reads JSON, once per text', () => {
    const config = testConfig({ MAAS_MCP_POLICY: '{"rules":[{"id":"a","effect":"deny","reason":"no"}]}' });
    const source = textPolicy(config);
    expect(source?.current()?.rules.map((r) => r.id)).toEqual(['a']);
    expect(textPolicy(config)?.current()).toBe(source?.current());
    expect(textPolicy(testConfig({}))).toBeUndefined();
  });

  it('refuses YAML, saying how to convert it, and names a broken rule', () => {
    expect(() => textPolicy(testConfig({ MAAS_MCP_POLICY: example() }))).toThrow(
      /^MAAS_MCP_POLICY: its text: not JSON \(on Workers MAAS_MCP_POLICY holds JSON: convert a YAML policy with `npx js-yaml policy.yaml`\)/,
    );
    expect(() =>
      textPolicy(testConfig({ MAAS_MCP_POLICY: '{"rules":[{"id":"a","effect":"deny"}]}' })),
    ).toThrow('MAAS_MCP_POLICY: its text: rule 1 (a): reason is required for effect deny');
  });
});
