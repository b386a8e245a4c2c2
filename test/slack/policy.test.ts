/**
 * Guardrails through signed Slack requests: a per-machine deny in a Slack command, and approval by two distinct
 * people (neither the requester) of a call a rule holds, with the same re-checks as a single approval.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/access.ts';
import { parsePolicy } from '../../src/core/policy/rules.ts';
import { YAML_FORMAT } from '../../src/core/policy/yaml.ts';
import { policyNames } from '../../src/wiring.ts';
import { call } from '../helpers.ts';
import {
  answer,
  approvalValue,
  clickAnswer,
  eventually,
  maasWrites,
  mcpClient,
  opState,
  posts,
  previewOf,
  type Rig,
  slackRig,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

const AGENT: Principal = { id: 'agent-7', role: 'operator', via: 'mcp' };

function usePolicy(r: Rig, yaml: string) {
  const policy = parsePolicy(yaml, 'policy.yaml', policyNames(), YAML_FORMAT);
  r.deps.policy = { current: () => policy };
}

const TWO_PEOPLE = `
rules:
  - id: two-for-power-off
    match: { actions: [power-off] }
    effect: approve
    approvers: 2
    reason: powering off needs two people
`;

/** MAAS power-off requests so far. */
const powerOffs = (r: Rig) => r.sim.requests.count({ method: 'POST', op: 'power_off' });

/** An agent's power off of k8s-01, held by the rule: its answer. */
async function heldPowerOff(r: Rig) {
  const client = await mcpClient(r, AGENT);
  const out = await call<{ status: string; operation_id: string; summary: string }>(
    client,
    'machine_power_off',
    {
      machines: 'k8s-01',
    },
  );
  expect(out.data.status).toBe('awaiting_approval');
  await r.fake.waitFor(() => posts(r, 'CNOTIFY').length > 0);
  return out.data;
}

/** The operation id of the (first) approval request in CNOTIFY. */
function requestId(r: Rig): string {
  const v = JSON.stringify(posts(r, 'CNOTIFY')[0]).match(/"value":"(op_[a-z0-9]+)\./);
  if (!v?.[1]) throw new Error('no approval request');
  return v[1];
}

describe('two-person approval', () => {
  it('runs only after two different people approve, and says so to the first', async () => {
    rig = await slackRig({ SLACK_ROLES: 'UADMIN:admin,UOPS:operator,UOPS2:operator,*:viewer' });
    usePolicy(rig, TWO_PEOPLE);
    const held = await heldPowerOff(rig);
    expect(held.summary).toContain('Waiting for 2 people (not the requester) to approve this in Slack');
    const id = held.operation_id;
    const request = posts(rig, 'CNOTIFY')[0];
    expect(texts(request)).toContain(
      'Policy: powering off needs two people (rule two-for-power-off) — needs 2 approvals from different people, not the requester',
    );
    const value = approvalValue(rig, id);
    const first = await clickAnswer(rig, 'maas:approve', value, 'UOPS');
    expect(texts(first.msg)).toContain(
      'Your approval is recorded (1 of 2); 1 more person must approve before it runs.',
    );
    expect(powerOffs(rig)).toBe(0);
    expect(await opState(rig, id)).toBe('awaiting_approval');

    const again = await clickAnswer(rig, 'maas:approve', value, 'UOPS');
    expect(texts(again.msg)).toContain('You already approved this; 1 more person must approve it.');
    expect(powerOffs(rig)).toBe(0);

    const second = await clickAnswer(rig, 'maas:approve', value, 'UOPS2');
    expect(texts(second.msg)).toContain('Approved by <@UOPS2>');
    await eventually(() => powerOffs(rig) === 1);
    const audit = await rig.deps.store.listAudit({});
    expect(audit.map((a) => [a.principal, a.result, a.detail]).filter(([, r]) => r === 'approved')).toEqual([
      ['UOPS2', 'approved', 'approved by <@UOPS2> (2 of 2: slack:UOPS, slack:UOPS2)'],
      ['UOPS', 'approved', 'approval 1 of 2 by <@UOPS>'],
    ]);
    const asked = audit.find((a) => a.result === 'awaiting_approval');
    expect(asked?.detail).toContain('[policy: rule two-for-power-off]');
  });

  it('never counts the requester, in Slack either', async () => {
    rig = await slackRig();
    usePolicy(rig, TWO_PEOPLE.replace('approvers: 2', 'approvers: 1'));
    await answer(rig, 'power-off k8s-01', 'UOPS');
    await rig.fake.waitFor(() => posts(rig, 'CCHAN').length > 0);
    expect(texts(posts(rig, 'CCHAN')[0])).toContain('Waiting for a person to approve this in Slack');
    const id = requestId(rig);
    const own = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(texts(own.msg)).toContain('You asked for this, so you cannot approve it: someone else must.');
    expect(powerOffs(rig)).toBe(0);
    const other = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UADMIN');
    expect(texts(other.msg)).toContain('Approved by <@UADMIN>');
    await eventually(() => powerOffs(rig) === 1);
  });

  it('re-checks the machines on the last approval: a machine changed since is not acted on', async () => {
    rig = await slackRig({ SLACK_ROLES: 'UADMIN:admin,UOPS:operator,*:viewer' });
    usePolicy(rig, TWO_PEOPLE);
    const id = (await heldPowerOff(rig)).operation_id;
    const value = approvalValue(rig, id);
    await clickAnswer(rig, 'maas:approve', value, 'UOPS');
    rig.sim.control.setMachine('k8s-01', { owner: 'admin' });
    const last = await clickAnswer(rig, 'maas:approve', value, 'UADMIN');
    expect(texts(last.msg)).toContain('Not run');
    expect(texts(last.msg)).toContain('k8s-01 now belongs to admin');
    expect(powerOffs(rig)).toBe(0);
    expect(await opState(rig, id)).toBe('cancelled');
  });

  it('refuses to run when the policy now asks for more approvers than approved', async () => {
    rig = await slackRig();
    usePolicy(rig, TWO_PEOPLE.replace('approvers: 2', 'approvers: 1'));
    const opId = (await heldPowerOff(rig)).operation_id;
    // The operator edits the file while the request waits: now two people must approve.
    usePolicy(rig, TWO_PEOPLE);
    const last = await clickAnswer(rig, 'maas:approve', approvalValue(rig, opId), 'UADMIN');
    expect(texts(last.msg)).toContain(
      'policy rule two-for-power-off now asks 2 people to approve this; 1 did.',
    );
    expect(powerOffs(rig)).toBe(0);
  });
});

describe('a Slack command under the policy', () => {
  it('previews the denied machines as refused by the rule and acts only on the others', async () => {
    rig = await slackRig();
    usePolicy(
      rig,
      'rules:\n  - id: protect-production\n    match: { pools: [production] }\n    effect: deny\n    reason: production machines stay on\n',
    );
    const writes = maasWrites(rig);
    const { msg, nonce } = await previewOf(rig, 'power-off k8s-01 db-01');
    expect(texts(msg)).toContain('db-01');
    expect(texts(msg)).toContain('refused by policy rule protect-production: production machines stay on');
    expect(maasWrites(rig)).toBe(writes);
    await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    await rig.fake.waitFor(() => posts(rig, 'CCHAN').length > 0);
    expect(texts(posts(rig, 'CCHAN')[0])).toContain('refused by policy rule protect-production');
    await eventually(() => powerOffs(rig) === 1);
    expect(rig.sim.control.machine('db-01').powerState).toBe('on');
  });
});
