import { describe, expect, it } from 'vitest';
import { evaluate, neverAllowedBy, type TargetFacts } from '../../src/core/policy/evaluate.ts';
import { parsePolicy } from '../../src/core/policy/rules.ts';
import { YAML_FORMAT } from '../../src/core/policy/yaml.ts';
import { policyNames } from '../../src/wiring.ts';

const parse = (text: string) => parsePolicy(text, 'policy.yaml', policyNames(), YAML_FORMAT);

function problem(text: string): string {
  try {
    parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the policy to be refused');
}

const target = (hostname: string, more: Partial<TargetFacts> = {}): TargetFacts => ({
  system_id: `id-${hostname}`,
  hostname,
  status: 'Deployed',
  owner: 'admin',
  pool: 'default',
  zone: 'zone-a',
  tags: [],
  ...more,
});

const call = (tool: string, more: Partial<Parameters<typeof evaluate>[1]> = {}) => ({
  tool,
  actions: [tool.replace(/^machine_/, '').replace(/_/g, '-')],
  principal: 'alice',
  role: 'operator' as const,
  via: ['mcp' as const],
  ...more,
});

describe('policy file', () => {
  it('reads YAML and JSON alike', () => {
    const yaml = parse(
      'rules:\n  - id: a\n    effect: deny\n    reason: no\n    match: { tags: protected }\n',
    );
    const json = parse('{"rules":[{"id":"a","effect":"deny","reason":"no","match":{"tags":["protected"]}}]}');
    expect(yaml.rules[0]?.targets?.tags).toEqual(['protected']);
    expect(json.rules[0]?.targets?.tags).toEqual(['protected']);
  });

  it('names the rule (index and id) and the field of a problem', () => {
    expect(problem('rules:\n  - id: ok\n    effect: allow\n  - id: bad\n    effect: maybe\n')).toBe(
      'policy.yaml: rule 2 (bad): effect must be one of allow, deny, confirm, approve',
    );
    expect(problem('rules:\n  - id: typo\n    effect: allow\n    match: { pool: prod }\n')).toBe(
      'policy.yaml: rule 1 (typo): unknown field match.pool',
    );
    expect(problem('rules:\n  - id: x\n    effect: deny\n')).toContain(
      'rule 1 (x): reason is required for effect deny',
    );
    expect(problem('rules:\n  - id: x\n    effect: allow\n    match: { tools: machine_deplo }\n')).toContain(
      'rule 1 (x): match.tools: no tool is called machine_deplo',
    );
    expect(problem('rules:\n  - id: x\n    effect: allow\n    match: { actions: [explode] }\n')).toContain(
      'rule 1 (x): match.actions: unknown action explode',
    );
    expect(problem('rules:\n  - id: x\n    effect: allow\n    match: { roles: [root] }\n')).toContain(
      'rule 1 (x): match.roles: root is not a role',
    );
    expect(problem('rules:\n  - id: x\n    effect: allow\n    match: { via: [email] }\n')).toContain(
      'rule 1 (x): match.via: email is not a way in',
    );
    expect(problem('rules:\n  - id: x\n    effect: deny\n    reason: r\n    approvers: 2\n')).toContain(
      'rule 1 (x): approvers is for effect approve only',
    );
    expect(problem('rules:\n  - id: x\n    effect: approve\n    approvers: 9\n')).toContain(
      'rule 1 (x): approvers',
    );
    expect(problem('rules:\n  - id: x\n    effect: allow\n  - id: x\n    effect: allow\n')).toContain(
      "rule 2 (x): id x is also rule 1's",
    );
    expect(problem('rules:\n  - effect: allow\n')).toBe('policy.yaml: rule 1: id is required');
    expect(problem('rules: [\n')).toMatch(/^policy\.yaml: not YAML or JSON/);
    expect(problem('')).toBe('policy.yaml: empty; it needs rules: [...]');
    expect(problem('rule: []')).toBe('policy.yaml: rules is required; a policy is { rules: [...] }');
    expect(problem('rules: []\nextra: 1')).toContain('unknown field extra');
  });
});

describe('judging a call', () => {
  it('lets the first matching rule decide each machine', () => {
    const p = parse(`
rules:
  - id: protect
    match: { tags: [protected] }
    effect: deny
    reason: protected machines stay
  - id: everyone
    effect: allow
  - id: never-reached
    effect: deny
    reason: shadowed
`);
    const ev = evaluate(p, call('machine_release'), [target('a', { tags: ['protected'] }), target('b')]);
    expect(ev.targets.map((t) => t.rule?.id)).toEqual(['protect', 'everyone']);
  });

  it('matches caller, tool, action, pool, zone, owner, status and hostname pattern', () => {
    const p = parse(`
rules:
  - id: agents-prod
    match: { via: mcp, pools: [production], tools: ["machine_*"], statuses: [deployed], hostnames: ["db-*"], owners: [admin], zones: [zone-a], roles: [operator], principals: ["ali*"], actions: [release] }
    effect: deny
    reason: no
`);
    const hit = target('db-01', { pool: 'production' });
    expect(evaluate(p, call('machine_release'), [hit]).targets[0]?.rule?.id).toBe('agents-prod');
    for (const miss of [
      target('web-01', { pool: 'production' }),
      target('db-01', { pool: 'default' }),
      target('db-01', { pool: 'production', zone: 'zone-b' }),
      target('db-01', { pool: 'production', owner: 'bob' }),
      target('db-01', { pool: 'production', status: 'Ready' }),
    ]) {
      expect(evaluate(p, call('machine_release'), [miss]).targets[0]?.rule).toBeUndefined();
    }
    expect(evaluate(p, call('machine_release', { via: ['slack'] }), [hit]).targets[0]?.rule).toBeUndefined();
    expect(evaluate(p, call('machine_release', { role: 'admin' }), [hit]).targets[0]?.rule).toBeUndefined();
    expect(
      evaluate(p, call('machine_release', { principal: 'bob' }), [hit]).targets[0]?.rule,
    ).toBeUndefined();
    expect(evaluate(p, call('machine_deploy'), [hit]).targets[0]?.rule).toBeUndefined();
  });

  it('counts machines for min_machines among those the rule matches', () => {
    const p = parse(`
rules:
  - id: big-erase
    match: { actions: [erase], min_machines: 3, tags: [ssd] }
    effect: approve
    approvers: 2
`);
    const erase = call('machine_release', { actions: ['release', 'erase'] });
    const two = [target('a', { tags: ['ssd'] }), target('b', { tags: ['ssd'] }), target('c')];
    expect(evaluate(p, erase, two).targets.every((t) => t.rule === undefined)).toBe(true);
    const three = [...two, target('d', { tags: ['ssd'] })];
    expect(evaluate(p, erase, three).targets.map((t) => t.rule?.id)).toEqual([
      'big-erase',
      'big-erase',
      undefined,
      'big-erase',
    ]);
    expect(evaluate(p, call('machine_release'), three).targets.every((t) => !t.rule)).toBe(true);
  });

  it('applies only rules without target conditions to a call that names no machines', () => {
    const p = parse(`
rules:
  - id: pools
    match: { pools: [production] }
    effect: deny
    reason: r
  - id: creators
    match: { tools: machine_create }
    effect: confirm
`);
    expect(evaluate(p, call('machine_create'), []).call?.id).toBe('creators');
  });

  it('hides a tool only when a rule denies every call of it to that caller', () => {
    const p = parse(`
rules:
  - id: prod-safe
    match: { pools: [production] }
    effect: deny
    reason: r
  - id: no-agents-delete
    match: { tools: [machine_delete], via: mcp }
    effect: deny
    reason: agents do not delete
  - id: viewers-allowed
    match: { roles: [viewer] }
    effect: allow
  - id: no-erase
    match: { actions: [erase] }
    effect: deny
    reason: r
`);
    const agent = { principal: 'alice', role: 'operator' as const, via: ['mcp' as const] };
    // A target rule comes first: some machines may be outside it, so nothing is hidden by it.
    expect(neverAllowedBy(p, { name: 'machine_delete', actions: ['delete'] }, agent)).toBeUndefined();
    const q = parse(`
rules:
  - id: no-agents-delete
    match: { tools: [machine_delete], via: mcp }
    effect: deny
    reason: agents do not delete
  - id: no-erase
    match: { actions: [erase] }
    effect: deny
    reason: r
`);
    expect(neverAllowedBy(q, { name: 'machine_delete', actions: ['delete'] }, agent)?.id).toBe(
      'no-agents-delete',
    );
    expect(
      neverAllowedBy(q, { name: 'machine_delete', actions: ['delete'] }, { ...agent, via: ['slack'] }),
    ).toBeUndefined();
    // Releases that do not erase are still allowed.
    expect(
      neverAllowedBy(q, { name: 'machine_release', actions: ['release', 'erase'] }, agent),
    ).toBeUndefined();
  });
});
