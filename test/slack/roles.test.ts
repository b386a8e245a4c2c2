/**
 * SLACK_ROLES: users and user groups to viewer/operator/admin, unknown users to `*` or nothing; the same
 * predicate as MCP decides which verbs exist; read-only hides writes; every Slack action is audited.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/config.ts';
import { verbsFor } from '../../src/slack/commands.ts';
import { enabledTools } from '../../src/tools/index.ts';
import {
  answer,
  buttonsOf,
  clickAnswer,
  hostnames,
  maasWrites,
  previewOf,
  type Rig,
  slackRig,
  statusOf,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

describe('viewers', () => {
  it('any unlisted user is a viewer: list, show and status work', async () => {
    rig = await slackRig();
    expect((await answer(rig, 'list limit=2', 'UANYONE')).msg.text).toBe('Machines 1–2 of 24');
    expect((await answer(rig, 'show web-01', 'UANYONE')).msg.text).toBe('web-01: Ready');
    expect((await answer(rig, 'status', 'UANYONE')).msg.text).toBe('24 machines');
  });

  it('a viewer’s deploy says it needs the operator role, ephemerally, and changes nothing', async () => {
    rig = await slackRig();
    const writes = maasWrites(rig);
    const { msg } = await answer(rig, 'deploy web-01', 'UANYONE');
    expect(msg.response_type).toBe('ephemeral');
    expect(msg.text).toBe('`/maas deploy` needs the operator role; your role is viewer.');
    expect(buttonsOf(msg)).toEqual([]);
    expect(maasWrites(rig)).toBe(writes);
    expect(statusOf(rig, 'web-01')).toBe('Ready');
  });
});

describe('user groups', () => {
  it('a member of an operator group is an operator; the group is read once and cached', async () => {
    rig = await slackRig();
    rig.fake.groups.set('SOPS', ['UGRP']);
    const help = await answer(rig, 'help', 'UGRP');
    expect(texts(help.msg)).toContain('Your role: *operator*');
    const prev = await answer(rig, 'deploy web-01', 'UGRP');
    expect(buttonsOf(prev.msg).map((b) => b.action_id)).toEqual(['maas:confirm', 'maas:cancel']);
    const lookups = rig.fake.to('/api/usergroups.users.list');
    expect(lookups).toHaveLength(1);
    expect(lookups[0]?.body).toEqual({ usergroup: 'SOPS' });
    expect(lookups[0]?.auth).toBe('Bearer xoxb-test-bot-token-0123456789');
  });

  it('the cached membership is read again after 5 minutes (a removed member loses the role)', async () => {
    rig = await slackRig();
    rig.fake.groups.set('SOPS', ['UGRP']);
    expect(texts((await answer(rig, 'help', 'UGRP')).msg)).toContain('*operator*');
    rig.fake.groups.set('SOPS', []);
    await rig.clock.advance(5 * 60_000 + 1_000);
    expect(texts((await answer(rig, 'help', 'UGRP')).msg)).toContain('*viewer*');
    expect(rig.fake.to('/api/usergroups.users.list')).toHaveLength(2);
  });

  it('a group Slack will not list grants nothing (fails closed to the `*` rule)', async () => {
    rig = await slackRig();
    rig.fake.groups.set('SOPS', ['UGRP']);
    rig.fake.failing.add('usergroups.users.list');
    const { msg } = await answer(rig, 'deploy web-01', 'UGRP');
    expect(msg.text).toBe('`/maas deploy` needs the operator role; your role is viewer.');
  });

  it('a rule for the user wins over their groups', async () => {
    rig = await slackRig({ SLACK_ROLES: 'UVIP:viewer,SOPS:admin' });
    rig.fake.groups.set('SOPS', ['UVIP', 'UGRP']);
    expect(texts((await answer(rig, 'help', 'UVIP')).msg)).toContain('*viewer*');
    expect(texts((await answer(rig, 'help', 'UGRP')).msg)).toContain('*admin*');
  });
});

describe('unknown users and configuration', () => {
  it('without a `*` rule, an unknown user has no maas-mcp role — for every command', async () => {
    rig = await slackRig({ SLACK_ROLES: 'UADMIN:admin,UOPS:operator' });
    for (const text of ['status', 'help', 'list', 'deploy web-01']) {
      const { msg } = await answer(rig, text, 'USTRANGER');
      expect(msg.response_type).toBe('ephemeral');
      expect(msg.text).toMatch(/no maas-mcp role/);
    }
    expect((await answer(rig, 'status', 'UOPS')).msg.text).toBe('24 machines');
  });

  it('without SLACK_ROLES, everyone is a viewer', async () => {
    rig = await slackRig({ SLACK_ROLES: '' });
    expect(texts((await answer(rig, 'help', 'UOPS')).msg)).toContain('*viewer*');
    expect((await answer(rig, 'deploy web-01', 'UOPS')).msg.text).toMatch(/needs the operator role/);
  });

  it('MAAS_MCP_READ_ONLY=true hides every write, even from admins', async () => {
    rig = await slackRig({ MAAS_MCP_READ_ONLY: 'true' });
    const help = texts((await answer(rig, 'help', 'UADMIN')).msg);
    expect(help).toContain('(read-only mode)');
    for (const verb of ['deploy', 'release', 'lock', 'power-on', 'create', 'delete', 'cancel', 'annotate']) {
      expect(help).not.toContain(`\`${verb}\``);
    }
    expect(help).toContain('`list`');
    const { msg } = await answer(rig, 'deploy web-01', 'UADMIN');
    expect(msg.response_type).toBe('ephemeral');
    expect(msg.text).toMatch(/read-only/);
    expect((await answer(rig, 'list limit=1', 'UADMIN')).msg.text).toBe('Machines 1–1 of 24');
  });

  it('admin-only verbs are refused for an operator, naming the role', async () => {
    rig = await slackRig();
    for (const text of [
      'delete new-02',
      'create mac_addresses=52:54:00:12:34:56',
      'restore-config web-01',
      'audit',
      'update web-01 zone=zone-b',
    ]) {
      const verb = text.split(' ')[0];
      const { msg } = await answer(rig, text, 'UOPS');
      expect(msg.response_type).toBe('ephemeral');
      expect(msg.text).toBe(`\`/maas ${verb}\` needs the admin role; your role is operator.`);
    }
    expect(hostnames(rig)).toContain('new-02');
  });

  it('the verbs per role are exactly MCP’s tools for that role (one predicate), also with MAAS_MCP_TOOLSETS', async () => {
    const envs: Record<string, string>[] = [
      {},
      { MAAS_MCP_TOOLSETS: 'machines,operations' },
      { MAAS_MCP_READ_ONLY: 'true' },
    ];
    for (const env of envs) {
      rig = await slackRig(env);
      const { toolsets, readOnly } = rig.deps.config;
      for (const role of ROLES as readonly Role[]) {
        const slack = verbsFor(rig.slack.context, role).map((t) => t.name);
        const mcp = enabledTools({ toolsets, readOnly, role })
          .filter((t) => t.slack)
          .map((t) => t.name);
        expect(slack, `${JSON.stringify(env)} ${role}`).toEqual(mcp);
      }
      await rig.close();
    }
    rig = await slackRig({ MAAS_MCP_TOOLSETS: 'machines,operations' });
    expect((await answer(rig, 'deploy web-01', 'UADMIN')).msg.text).toMatch(/Unknown command `deploy`/);
  });
});

describe('audit with the Slack user id', () => {
  it('an executed write is audited as the Slack user, via slack', async () => {
    rig = await slackRig();
    await answer(rig, 'commission new-01', 'UOPS');
    const [rec] = await rig.deps.store.listAudit();
    expect(rec).toMatchObject({ principal: 'UOPS', via: 'slack', tool: 'machine_commission', result: 'ok' });
  });

  it('a confirmed write is audited as the requester; another user’s refused click as that user', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01', 'UOPS');
    await clickAnswer(rig, 'maas:confirm', nonce, 'UVIEW');
    await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    const records = await rig.deps.store.listAudit();
    expect(records.find((r) => r.result === 'refused')).toMatchObject({
      principal: 'UVIEW',
      via: 'slack',
      tool: 'machine_deploy',
    });
    expect(records.find((r) => r.result === 'ok')).toMatchObject({
      principal: 'UOPS',
      via: 'slack',
      tool: 'machine_deploy',
    });
  });

  // Regression (fixed): a command refused for the user's role (or for having no role, or for read-only mode) leaves no audit
  // record, though "every Slack action is audited with the Slack user id". handleCommand (src/slack/commands.ts)
  // returns unknownVerb()'s message without calling recordAudit. Fix: when the verb exists but is refused (role,
  // read-only, no role), recordAudit({ deps, principal: { id: user_id, role: role ?? 'viewer', via: 'slack' } },
  // { tool: tool.name, args: {}, result: 'refused', detail: '<why>', targets: [] }).
  it('a command refused for the user’s role is audited with the Slack user id', async () => {
    rig = await slackRig();
    await answer(rig, 'deploy web-01', 'UANYONE');
    const records = await rig.deps.store.listAudit();
    expect(records).toContainEqual(
      expect.objectContaining({ principal: 'UANYONE', via: 'slack', result: 'refused' }),
    );
  });
});
