/**
 * The audit log: one record per write-tool call (who, via, tool, targets before/after, result), arguments
 * redacted, failed writes recorded with the error as the caller reads it, and the admin-only audit_list with its
 * filters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ActionResult } from '../../src/core/result.ts';
import type { Simulator } from '../../src/sim/index.ts';
import type { auditList } from '../../src/tools/admin.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { ADMIN, call } from '../helpers.ts';
import { API, drive, OPERATOR, requestOf, runCleanups, setup, sid } from './write-helpers.ts';

afterEach(runCleanups);

type AuditOut = z.infer<typeof auditList.output>;

const BMC_PASS = 'Audit-Bmc-Pass-0099';
const USER_DATA = '#cloud-config\nchpasswd: { list: "root:Sup3r-Secret-Root" }\n';

/** A valid call of every write tool of the machines, lifecycle and power toolsets (confirmation off). */
const WRITES: Record<string, { args: Record<string, unknown>; prepare?: (sim: Simulator) => void }> = {
  machine_create: {
    args: {
      mac_addresses: ['52:54:00:aa:cc:01'],
      power_type: 'ipmi',
      power_parameters: { power_address: '10.1.1.1', power_pass: BMC_PASS },
    },
  },
  machine_update: {
    args: { machine: 'web-01', description: 'front', power_parameters: { power_pass: BMC_PASS } },
  },
  machine_delete: { args: { machines: 'new-02' } },
  machine_boot_disk: { args: { machines: 'web-02', disk: 'sdb' } },
  machine_owner_data: { args: { machine: 'web-05', set: { service: 'web', api_token: 'tok-123456789' } } },
  machine_allocate: { args: { hostname: 'web-06' } },
  machine_commission: { args: { machines: 'new-01' } },
  machine_test: { args: { machines: 'web-01' } },
  machine_deploy: { args: { machines: 'web-06', user_data: USER_DATA } },
  machine_release: { args: { machines: 'db-01', erase: true } },
  machine_abort: { args: { machines: 'lab-02' } },
  machine_rescue: { args: { machines: 'web-04' } },
  machine_mark_broken: { args: { machines: 'stor-01' } },
  machine_mark_fixed: { args: { machines: 'gpu-02' } },
  machine_lock: { args: { machines: 'web-04' } },
  machine_unlock: { args: { machines: 'web-03' } },
  machine_restore_config: { args: { machines: 'edge-01' } },
  machine_tag: { args: { machines: 'web-01', add: 'gpu' } },
  machine_power_on: {
    args: { machines: 'k8s-02' },
    prepare: (sim) => {
      sim.control.setMachine('k8s-02', { power: 'off' });
    },
  },
  machine_power_off: { args: { machines: 'db-03' } },
  machine_power_cycle: { args: { machines: 'db-01' } },
};

describe('the audit log', () => {
  it('gets exactly one record for each write-tool call, with who, how, what and the result', async () => {
    const tools = ALL_TOOLS.filter(
      (t) => !t.annotations.readOnlyHint && ['machines', 'lifecycle', 'power'].includes(t.toolset),
    ).map((t) => t.name);
    expect(Object.keys(WRITES).sort()).toEqual([...tools].sort());

    for (const [tool, { args, prepare }] of Object.entries(WRITES)) {
      const { sim, client, deps, clock } = await setup();
      prepare?.(sim);
      const start = clock.now();
      const res = await drive(clock, call(client, tool, args));
      expect(res.isError, `${tool}: ${res.text}`).toBe(false);
      const records = await deps.store.listAudit({});
      expect(records, tool).toHaveLength(1);
      const [r] = records;
      expect(r, tool).toMatchObject({ principal: ADMIN.id, via: 'mcp', tool, result: 'ok' });
      expect(r?.at).toBeGreaterThanOrEqual(start);
      expect(r?.at).toBeLessThanOrEqual(clock.now());
      expect(r?.detail.length, tool).toBeGreaterThan(0);
      expect(r?.targets.length, tool).toBeGreaterThan(0);
      const secrets = JSON.stringify(records);
      expect(secrets, tool).not.toContain(BMC_PASS);
      expect(secrets, tool).not.toContain('Sup3r-Secret-Root');
      expect(secrets, tool).not.toContain('tok-123456789');
    }
  });

  it("records each target's status before and after, and the outcome of a partly failed call", async () => {
    const { sim, client, deps } = await setup();
    await call<ActionResult>(client, 'machine_deploy', { machines: ['web-01', 'web-04', 'nope-1'] });
    const [r] = await deps.store.listAudit({});
    expect(r?.result).toBe('partial');
    expect(r?.detail).toBe('deploy: 1 done, 1 failed, 1 not found');
    expect(r?.targets).toEqual([
      {
        system_id: sid(sim, 'web-01'),
        hostname: 'web-01',
        before: 'Ready',
        after: 'Deploying',
        outcome: 'done',
      },
      {
        system_id: sid(sim, 'web-04'),
        hostname: 'web-04',
        before: 'Deployed',
        outcome: 'failed: cannot deploy web-04: it is Deployed — release it first',
      },
    ]);
  });

  it('records a destructive attempt every machine refused, as failed', async () => {
    const { deps, client } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const res = await call<ActionResult>(client, 'machine_deploy', { machines: 'web-03' });
    expect(res.isError).toBe(true);
    const [r] = await deps.store.listAudit({});
    expect(r).toMatchObject({ tool: 'machine_deploy', result: 'failed' });
    expect(r?.targets[0]?.outcome).toBe('failed: web-03 is locked — unlock it first');
  });

  it('redacts user_data, power parameters, tokens and secret-looking keys from the recorded arguments', async () => {
    const { client, deps } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const args = { machines: 'web-01', user_data: USER_DATA };
    const preview = await call<ActionResult>(client, 'machine_deploy', args);
    const token = preview.data.confirm_token ?? '';
    expect(token).toMatch(/^mmc_/);
    const deploy = await call<ActionResult>(client, 'machine_deploy', { ...args, confirm_token: token });
    expect(deploy.data.status).toBe('done');
    await call(client, 'machine_create', WRITES.machine_create?.args);
    await call(client, 'machine_update', WRITES.machine_update?.args);
    await call(client, 'machine_owner_data', {
      machine: 'web-01',
      set: { service: 'web', api_token: 'tok-123456789' },
    });
    const records = await deps.store.listAudit({});
    const byTool = (t: string) => records.find((r) => r.tool === t)?.args;
    expect(byTool('machine_deploy')).toMatchObject({
      machines: 'web-01',
      user_data: '[redacted]',
      confirm_token: '[redacted]',
    });
    expect(byTool('machine_create')?.power_parameters).toBe('[redacted]');
    expect(byTool('machine_create')?.mac_addresses).toEqual(['52:54:00:aa:cc:01']);
    expect(byTool('machine_update')?.power_parameters).toBe('[redacted]');
    expect(byTool('machine_owner_data')?.set).toEqual({ service: 'web', api_token: '[redacted]' });
    const all = JSON.stringify(records);
    for (const s of [BMC_PASS, 'Sup3r-Secret-Root', 'tok-123456789', 'cloud-config', token]) {
      expect(all).not.toContain(s);
    }
  });
});

describe('audit_list', () => {
  it('filters by machine (hostname or system_id), principal, since (age or ISO time) and tool, newest first', async () => {
    const { sim, client, clock, connect } = await setup();
    const operator = await connect(OPERATOR);
    await call(client, 'machine_lock', { machines: 'web-04' });
    await clock.advance(2 * 3_600_000);
    const t1 = clock.now();
    await call(operator, 'machine_tag', { machines: 'web-01', add: 'gpu' });
    await call(client, 'machine_deploy', { machines: 'web-06' });

    const list = async (args: Record<string, unknown>) =>
      (await call<AuditOut>(client, 'audit_list', args)).data.entries.map((e) => e.tool);
    expect(await list({})).toEqual(['machine_deploy', 'machine_tag', 'machine_lock']);
    expect(await list({ machine: 'web-04' })).toEqual(['machine_lock']);
    expect(await list({ machine: sid(sim, 'web-04') })).toEqual(['machine_lock']);
    expect(await list({ principal: OPERATOR.id })).toEqual(['machine_tag']);
    expect(await list({ since: '1h' })).toEqual(['machine_deploy', 'machine_tag']);
    expect(await list({ since: new Date(t1 - 60_000).toISOString() })).toEqual([
      'machine_deploy',
      'machine_tag',
    ]);
    expect(await list({ since: '3h' })).toHaveLength(3);
    expect(await list({ tool: 'machine_lock' })).toEqual(['machine_lock']);
    expect(await list({ tool: 'machine_deploy', since: '1h', principal: ADMIN.id })).toEqual([
      'machine_deploy',
    ]);

    const full = await call<AuditOut>(client, 'audit_list', { machine: 'web-06' });
    expect(full.data.entries[0]).toMatchObject({
      principal: ADMIN.id,
      via: 'mcp',
      tool: 'machine_deploy',
      result: 'ok',
      detail: 'deploy: 1 done',
      targets: [{ hostname: 'web-06', system_id: sid(sim, 'web-06'), change: 'Ready → Deploying done' }],
    });
    expect(full.text).toContain(
      `${ADMIN.id} (mcp) machine_deploy ok: deploy: 1 done [web-06 Ready → Deploying done]`,
    );
  });

  it('pages, and explains a since it cannot read', async () => {
    const { client } = await setup();
    for (const m of ['web-04', 'db-01', 'k8s-01']) await call(client, 'machine_lock', { machines: m });
    const page = await call<AuditOut>(client, 'audit_list', { limit: 2 });
    expect(page.data).toMatchObject({ more: true, next_offset: 2 });
    expect(page.data.entries).toHaveLength(2);
    const bad = await call(client, 'audit_list', { since: 'yesterday' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toBe(
      'since: "yesterday" is neither a time like 2026-01-15T09:00Z nor an age like 30m, 24h, 7d',
    );
  });

  it('is for admins only', async () => {
    const { client } = await setup({ principal: OPERATOR });
    const res = await call(client, 'audit_list', {});
    expect(res.isError).toBe(true);
    expect(res.text).toBe('audit_list needs the admin role; your role is operator.');
  });
});

describe('audited writes: failures and changes', () => {
  it('records a failed write with the error as the caller reads it', async () => {
    const { client, deps } = await setup();
    const res = await call(client, 'machine_update', { machine: 'web-01', zone: 'zone-z' });
    expect(res.isError).toBe(true);
    const [audit] = await deps.store.listAudit({});
    expect(audit).toMatchObject({ tool: 'machine_update', result: 'failed', detail: res.text });
    expect(audit?.detail).toMatch(/^MAAS rejected the request: zone: /);
    expect(audit?.targets).toEqual([expect.objectContaining({ hostname: 'web-01', before: 'Ready' })]);
  });

  it('records a tag change that failed half-way as partial, naming what was done', async () => {
    const { client, deps } = await setup({
      fetch: (s) => async (input, init) => {
        const { method, url } = requestOf(input, init);
        if (method === 'POST' && url.pathname === `${API}tags/gpu/`) {
          return new Response('Unable to connect to any rack controller', { status: 503 });
        }
        return s.fetch(input, init);
      },
    });
    const res = await call(client, 'machine_tag', {
      machines: 'web-01',
      add: ['rack-a', 'gpu'],
      create_missing: true,
    });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('Already done before it failed: created tag rack-a; +rack-a on web-01');
    const audits = await deps.store.listAudit({});
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ tool: 'machine_tag', result: 'partial', detail: res.text });
  });

  it('records a successful change with the machine before and after', async () => {
    const { client, deps } = await setup();
    const res = await call(client, 'machine_update', { machine: 'web-01', description: 'rack 4' });
    expect(res.isError).toBe(false);
    const [audit] = await deps.store.listAudit({});
    expect(audit).toMatchObject({ tool: 'machine_update', result: 'ok' });
    expect(audit?.targets).toEqual([
      expect.objectContaining({ hostname: 'web-01', before: 'Ready', after: 'Ready' }),
    ]);
  });
});
