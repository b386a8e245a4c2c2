/**
 * Roles and read-only mode: a write tool the caller may not use is neither listed nor callable, and calling it
 * writes nothing.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/result.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { ADMIN, call, VIEWER } from '../helpers.ts';
import { OPERATOR, posts, runCleanups, setup } from './write-helpers.ts';

afterEach(runCleanups);

const ADMIN_ONLY = [
  'machine_create',
  'machine_update',
  'machine_delete',
  'machine_restore_config',
  'audit_list',
];
const WRITE_TOOLS = ALL_TOOLS.filter((t) => !t.annotations.readOnlyHint).map((t) => t.name);

/** Plausible arguments for any tool, so that only the policy can refuse the call. */
const ANY_ARGS = { machines: 'web-01', machine: 'web-01', mac_addresses: ['52:54:00:aa:dd:01'], id: 'op-1' };

async function listed(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name);
}

describe('roles', () => {
  it('hides the admin-only tools from an operator, and refuses them when called anyway', async () => {
    const { sim, client, deps } = await setup({ principal: OPERATOR });
    const names = await listed(client);
    for (const t of ADMIN_ONLY) expect(names).not.toContain(t);
    for (const t of [
      'machine_deploy',
      'machine_release',
      'machine_power_off',
      'machine_tag',
      'machine_allocate',
    ]) {
      expect(names).toContain(t);
    }
    for (const t of ADMIN_ONLY) {
      const res = await call(client, t, ANY_ARGS);
      expect(res.isError, t).toBe(true);
      expect(res.text).toBe(`${t} needs the admin role; your role is operator.`);
    }
    expect(posts(sim)).toHaveLength(0);
    // Each refusal is audited, as Slack's are; nothing else was written.
    const audit = await deps.store.listAudit({});
    expect(audit.map((r) => [r.tool, r.result, r.principal]).sort()).toEqual(
      ADMIN_ONLY.map((t) => [t, 'refused', OPERATOR.id]).sort(),
    );
  });

  it('lets an operator use the operator tools', async () => {
    const { sim, client, deps } = await setup({ principal: OPERATOR });
    const res = await call<ActionResult>(client, 'machine_lock', { machines: 'web-04' });
    expect(res.data.succeeded).toHaveLength(1);
    expect(sim.requests.count({ method: 'POST', op: 'lock' })).toBe(1);
    const [audit] = await deps.store.listAudit({});
    expect(audit?.principal).toBe(OPERATOR.id);
  });

  it('shows a viewer no write tool, and refuses every one', async () => {
    // Every toolset, the opt-in clusters too.
    const { sim, client } = await setup({ principal: VIEWER, env: { MAAS_MCP_TOOLSETS: 'all' } });
    const names = await listed(client);
    expect(names.length).toBeGreaterThan(5);
    for (const n of names) expect(WRITE_TOOLS).not.toContain(n);
    for (const t of WRITE_TOOLS) {
      const res = await call(client, t, ANY_ARGS);
      expect(res.isError, t).toBe(true);
      expect(res.text, t).toMatch(
        new RegExp(`^${t} needs the (operator|admin) role; your role is viewer\\.$`),
      );
    }
    expect(posts(sim)).toHaveLength(0);
  });
});

describe('MAAS_MCP_READ_ONLY=true', () => {
  it('removes every write tool, even for an admin, and calling one writes nothing', async () => {
    const { sim, client, deps } = await setup({
      principal: ADMIN,
      env: { MAAS_MCP_READ_ONLY: 'true', MAAS_MCP_TOOLSETS: 'all' },
    });
    const names = await listed(client);
    expect(names).toContain('machines_list');
    expect(names).toContain('audit_list');
    for (const t of WRITE_TOOLS) {
      expect(names).not.toContain(t);
      const res = await call(client, t, ANY_ARGS);
      expect(res.isError, t).toBe(true);
      expect(res.text, t).toBe(`${t} is not available: maas-mcp runs read-only here (MAAS_MCP_READ_ONLY).`);
    }
    expect(posts(sim)).toHaveLength(0);
    expect((await deps.store.listAudit({})).every((r) => r.result === 'refused')).toBe(true);
    // Reads still work.
    const list = await call(client, 'machines_list', { limit: 1 });
    expect(list.isError).toBe(false);
  });
});
