/**
 * Guardrails through the official MCP client against the simulator: each effect, rule order, a bulk call with
 * mixed targets (per machine, and all or nothing), and the audit naming the rule of every decision.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/core/deps.ts';
import { parsePolicy } from '../../src/core/policy/rules.ts';
import { YAML_FORMAT } from '../../src/core/policy/yaml.ts';
import type { ActionResult } from '../../src/core/result.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { policyNames } from '../../src/wiring.ts';
import { ADMIN, call, connectClient } from '../helpers.ts';
import { drive, hosts, OPERATOR, posts, runCleanups, setup, sid } from './write-helpers.ts';

afterEach(runCleanups);

function usePolicy(deps: Deps, yaml: string) {
  const policy = parsePolicy(yaml, 'policy.yaml', policyNames(), YAML_FORMAT);
  deps.policy = { current: () => policy };
}

/** Hostnames MAAS received a write for. */
function written(sim: Simulator): string[] {
  const byId = new Map(sim.control.machines().map((m) => [m.systemId, m.hostname]));
  return [
    ...new Set(
      posts(sim).flatMap((e) => [...byId].filter(([id]) => e.path.includes(`/${id}/`)).map(([, h]) => h)),
    ),
  ];
}

const PROTECT = `
rules:
  - id: protect-production
    match: { pools: [production], actions: [power-off] }
    effect: deny
    reason: production machines stay on
`;

describe('guardrails over MCP', () => {
  it('leaves out the machines a rule denies, says which and why, and does the rest', async () => {
    const { client, deps, sim } = await setup();
    usePolicy(deps, PROTECT);
    // web-04, db-01: production; k8s-01, k8s-02: default; all four Deployed and on.
    const res = await call<ActionResult>(client, 'machine_power_off', {
      machines: ['web-04', 'k8s-01', 'db-01', 'k8s-02'],
    });
    expect(res.isError).toBe(false);
    expect(hosts(res.data.succeeded).sort()).toEqual(['k8s-01', 'k8s-02']);
    expect(res.data.failed.map((f) => [f.hostname, f.error])).toEqual(
      ['web-04', 'db-01'].map((h) => [
        h,
        'refused by policy rule protect-production: production machines stay on',
      ]),
    );
    expect(res.data.summary).toContain('2 refused by policy: web-04 (rule protect-production), db-01');
    expect(res.text).toContain('protect-production');
    expect(written(sim).sort()).toEqual(['k8s-01', 'k8s-02']);
    const [rec] = await deps.store.listAudit({});
    expect(rec?.result).toBe('ok');
    expect(rec?.detail).toContain('[policy: rule protect-production]');
    expect(rec?.targets.find((t) => t.hostname === 'web-04')?.outcome).toBe(
      'refused by policy rule protect-production: production machines stay on',
    );
  });

  it('does nothing at all when an all_or_nothing rule denies any machine', async () => {
    const { client, deps, sim } = await setup();
    usePolicy(deps, `${PROTECT}    all_or_nothing: true\n`);
    const res = await call<ActionResult>(client, 'machine_power_off', { machines: ['web-04', 'k8s-01'] });
    expect(res.isError).toBe(true);
    expect(res.text).toContain(
      'machine_power_off is not allowed on web-04: production machines stay on (policy rule protect-production)',
    );
    expect(res.text).toContain('nothing was done');
    expect(posts(sim)).toEqual([]);
    const [rec] = await deps.store.listAudit({});
    expect(rec?.result).toBe('refused');
    expect(rec?.detail).toContain('policy rule protect-production');
  });

  it('refuses a call whose every machine is denied, naming them', async () => {
    const { client, deps, sim } = await setup();
    usePolicy(deps, PROTECT);
    const res = await call(client, 'machine_power_off', { machines: ['db-01', 'web-04'] });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('db-01, web-04: production machines stay on (policy rule protect-production)');
    expect(posts(sim)).toEqual([]);
  });

  it('lets the first matching rule win: an earlier allow shadows a later deny', async () => {
    const { client, deps, sim } = await setup();
    usePolicy(
      deps,
      `
rules:
  - id: admins-may
    match: { roles: [admin] }
    effect: allow
  - id: protect-production
    match: { pools: [production] }
    effect: deny
    reason: production machines stay on
`,
    );
    const res = await call<ActionResult>(client, 'machine_power_off', { machines: 'db-01' });
    expect(hosts(res.data.succeeded)).toEqual(['db-01']);
    expect((await deps.store.listAudit({}))[0]?.detail).toContain('[policy: rule admins-may]');
    const operator = await connectClient(deps, { principal: OPERATOR });
    const denied = await call(operator.client, 'machine_power_off', { machines: 'web-04' });
    await operator.close();
    expect(denied.isError).toBe(true);
    expect(denied.text).toContain('policy rule protect-production');
    expect(written(sim)).toEqual(['db-01']);
  });

  it('keeps every tool its own rules when no rule matches', async () => {
    const { client, deps } = await setup();
    usePolicy(deps, PROTECT);
    const res = await call<ActionResult>(client, 'machine_power_off', { machines: 'k8s-01' });
    expect(hosts(res.data.succeeded)).toEqual(['k8s-01']);
    expect((await deps.store.listAudit({}))[0]?.detail).not.toContain('policy');
  });

  it('asks for confirmation under a confirm rule even with MAAS_MCP_CONFIRM=off', async () => {
    const { client, deps, sim } = await setup({ env: { MAAS_MCP_CONFIRM: 'off' } });
    usePolicy(deps, 'rules:\n  - id: careful\n    match: { owners: [bob] }\n    effect: confirm\n');
    const held = await call<ActionResult>(client, 'machine_power_off', { machines: ['k8s-01', 'db-01'] });
    expect(held.data.status).toBe('confirmation_required');
    expect(posts(sim)).toEqual([]);
    const done = await call<ActionResult>(client, 'machine_power_off', {
      machines: ['k8s-01', 'db-01'],
      confirm_token: held.data.confirm_token,
    });
    expect(done.data.status).toBe('done');
    expect(hosts(done.data.succeeded).sort()).toEqual(['db-01', 'k8s-01']);
    // A machine no rule speaks for keeps MAAS_MCP_CONFIRM=off.
    const other = await call<ActionResult>(client, 'machine_power_off', { machines: 'web-04' });
    expect(other.data.status).toBe('done');
  });

  it('confirms a non-destructive tool through elicitation, and refuses it where the client cannot ask', async () => {
    const { deps, sim } = await setup();
    usePolicy(deps, 'rules:\n  - id: careful-tags\n    match: { tools: machine_tag }\n    effect: confirm\n');
    const plain = await connectClient(deps, { principal: ADMIN });
    const refused = await call(plain.client, 'machine_tag', { machines: 'web-06', add: ['ssd'] });
    await plain.close();
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('policy rule careful-tags asks a person to confirm');
    expect(posts(sim)).toEqual([]);

    const asking = await connectClient(deps, {
      principal: ADMIN,
      capabilities: { capabilities: { elicitation: {} } },
    });
    const prompts: string[] = [];
    asking.client.setRequestHandler('elicitation/create', async (req) => {
      prompts.push(req.params.message);
      return { action: 'accept', content: { confirm: true } };
    });
    const done = await call(asking.client, 'machine_tag', { machines: 'web-06', add: ['ssd'] });
    await asking.close();
    expect(done.isError).toBe(false);
    expect(prompts).toHaveLength(1);
    expect(sim.control.machine('web-06').tags).toContain('ssd');
  });

  it('refuses an approve rule when Slack approvals are not set up, doing nothing', async () => {
    const { client, deps, sim } = await setup();
    usePolicy(deps, 'rules:\n  - id: two-people\n    effect: approve\n    approvers: 2\n');
    const res = await call(client, 'machine_power_off', { machines: 'k8s-01' });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('policy rule two-people asks a person to approve this in Slack');
    expect(posts(sim)).toEqual([]);
  });

  it('denies a call that names no machines by a rule on the tool and caller, added while the session was open', async () => {
    const { deps, sim } = await setup();
    const operator = await connectClient(deps, { principal: OPERATOR });
    usePolicy(
      deps,
      'rules:\n  - id: no-agent-tags\n    match: { tools: tags_list, principals: ["test-op*"] }\n    effect: deny\n    reason: ask a person\n',
    );
    const res = await call(operator.client, 'tags_list', {});
    await operator.close();
    expect(res.isError).toBe(true);
    expect(res.text).toContain('tags_list is not allowed: ask a person (policy rule no-agent-tags)');
    expect(sid(sim, 'web-01')).toBeTruthy();
    const [rec] = await deps.store.listAudit({});
    expect(rec?.result).toBe('refused');
    expect(rec?.detail).toContain('no-agent-tags');
  });
});

describe('guardrails on what an MCP client is offered and on workflows', () => {
  it('hides from tools/list the tools a rule denies this caller on every call, and only those', async () => {
    const { deps } = await setup();
    usePolicy(
      deps,
      `
rules:
  - id: agents-never-delete
    match: { tools: [machine_delete], via: mcp }
    effect: deny
    reason: deleting is for people
  - id: no-erase
    match: { actions: [erase] }
    effect: deny
    reason: erasing is for people
  - id: operators-no-power-off
    match: { tools: [machine_power_off], roles: [operator] }
    effect: deny
    reason: ask an admin
`,
    );
    const names = async (principal: typeof ADMIN) => {
      const c = await connectClient(deps, { principal });
      const { tools } = await c.client.listTools();
      await c.close();
      return tools.map((t) => t.name);
    };
    const admin = await names(ADMIN);
    expect(admin).not.toContain('machine_delete');
    expect(admin).toContain('machine_release');
    expect(admin).toContain('machine_power_off');
    const operator = await names(OPERATOR);
    expect(operator).not.toContain('machine_power_off');
    expect(operator).toContain('machine_power_on');
  });

  it('leaves a denied host out of a workflow run and runs the rest as confirmed', async () => {
    const { deps, client, sim, clock } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    usePolicy(
      deps,
      'rules:\n  - id: keep-ssd\n    match: { tags: [ssd], actions: [release] }\n    effect: deny\n    reason: ssd machines keep their data\n',
    );
    const workflow = {
      actions: ['release'],
      machines: [{ hostname: 'db-01' }, { hostname: 'web-04' }],
    };
    const held = await drive(clock, call<ActionResult>(client, 'workflow_run', { workflow }));
    expect(held.data.status).toBe('confirmation_required');
    expect(held.text).toContain('refused by policy rule keep-ssd: ssd machines keep their data');
    const token = held.data.confirm_token;
    const started = await drive(clock, call(client, 'workflow_run', { workflow, confirm_token: token }));
    expect(started.isError).toBe(false);
    expect(JSON.stringify(started.data)).toContain('1 refused by policy: db-01 (rule keep-ssd)');
    const run = (started.data as { run: { id: string; counts: { total: number } } }).run;
    expect(run.counts.total).toBe(1);
    expect(sim.control.machine('db-01').status).toBe(6);
  });
});

describe('guardrails on tools without a preview and on the tools a workflow calls', () => {
  it('refuses a write without a preview whole when a machine it names is denied, naming it', async () => {
    const { client, deps, sim } = await setup();
    usePolicy(
      deps,
      'rules:\n  - id: ssd-untouched\n    match: { tags: [ssd] }\n    effect: deny\n    reason: ssd machines are frozen\n',
    );
    const res = await call(client, 'machine_tag', { machines: ['web-06', 'db-02'], add: ['gpu'] });
    expect(res.isError).toBe(true);
    expect(res.text).toContain(
      'machine_tag is not allowed on db-02: ssd machines are frozen (policy rule ssd-untouched)',
    );
    expect(res.text).toContain('cannot be narrowed to the other machines: nothing was done');
    expect(posts(sim)).toEqual([]);
    const ok = await call(client, 'machine_tag', { machines: ['web-06'], add: ['gpu'] });
    expect(ok.isError).toBe(false);
  });

  it('matches a rule on a tool against the tools a workflow run would call on each host', async () => {
    const { deps, client, clock } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    usePolicy(
      deps,
      'rules:\n  - id: no-release-ssd\n    match: { tools: [machine_release], tags: [ssd] }\n    effect: deny\n    reason: ssd machines keep their data\n',
    );
    const workflow = { actions: ['release'], machines: [{ hostname: 'db-01' }, { hostname: 'web-04' }] };
    const held = await drive(clock, call<ActionResult>(client, 'workflow_run', { workflow }));
    expect(held.data.status).toBe('confirmation_required');
    expect(held.text).toContain('db-01');
    expect(held.text).toContain('refused by policy rule no-release-ssd');
  });
});

describe('a narrowed call', () => {
  it('still answers for the machines it skips and the names MAAS does not know', async () => {
    const { client, deps } = await setup();
    usePolicy(deps, PROTECT);
    const res = await call<ActionResult>(client, 'machine_power_off', {
      machines: ['db-01', 'k8s-01', 'web-01', 'no-such-host'],
    });
    expect(hosts(res.data.succeeded)).toEqual(['k8s-01']);
    expect(hosts(res.data.skipped)).toEqual(['web-01']);
    expect(res.data.not_found).toEqual(['no-such-host']);
    expect(res.data.failed.map((f) => f.hostname)).toEqual(['db-01']);
  });
});

describe('a workflow run under an approve rule for workflows', () => {
  it('is held as a whole (its steps are then covered), not let through step by step', async () => {
    const { deps, client, clock, sim } = await setup();
    usePolicy(
      deps,
      'rules:\n  - id: workflows-need-a-person\n    match: { via: [workflow] }\n    effect: approve\n',
    );
    const workflow = { actions: ['release'], machines: [{ hostname: 'web-04' }] };
    const res = await drive(clock, call(client, 'workflow_run', { workflow }));
    // No Slack here: the approval cannot be asked, so nothing runs.
    expect(res.isError).toBe(true);
    expect(res.text).toContain('policy rule workflows-need-a-person asks a person to approve this in Slack');
    expect(posts(sim)).toEqual([]);
  });
});
