/**
 * Tools MAAS keeps to its admins are refused up front when the MAAS API key is not an admin's: no read, no
 * preview, no confirmation that MAAS would then answer with a 403.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/result.ts';
import { WHOAMI_TTL_MS } from '../../src/maas/client.ts';
import { NodeStatus as S } from '../../src/maas/status.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { call } from '../helpers.ts';
import { drive, node, posts, runCleanups, setup } from './write-helpers.ts';

afterEach(runCleanups);

/** A valid call of each tool only a MAAS admin may make. */
const ADMIN_ONLY: Record<string, Record<string, unknown>> = {
  machine_commission: { machines: 'web-01' },
  machine_test: { machines: 'web-01' },
  machine_rescue: { machines: 'web-01' },
  machine_mark_fixed: { machines: 'gpu-02' },
  machine_restore_config: { machines: 'web-01' },
  machine_delete: { machines: 'new-01' },
  machine_update: { machine: 'web-01', description: 'x' },
  machine_tag: { machines: 'web-01', add: 'ssd' },
  machine_storage_layout: { machines: 'db-02', layout: 'flat' },
  machine_network_configure: { machines: 'db-02', interfaces: [{ name: 'eno1', ip_mode: 'dhcp' }] },
  machine_clone: { source: 'web-06', machines: 'db-02', storage: true },
  machine_boot_disk: { machines: 'web-02', disk: 'sdb' },
  // Tags and DNS names are MAAS-admin only (MAAS `maasserver/api/tags.py`, `dnsresources.py`).
  cluster_create: { name: 'dev', service_cidr: '172.20.0.0/16' },
  cluster_scale: { name: 'dev', workers: 3 },
};

const refusal = (tool: string) =>
  `${tool} needs a MAAS admin, and the MAAS API key maas-mcp uses is alice's, who is not one — MAAS would refuse it. Nothing was changed. Give maas-mcp a MAAS admin's API key (MAAS_API_KEY), or ask a MAAS admin to do it.`;

describe('tools only a MAAS admin may use', () => {
  it('are exactly those MAAS reserves to admins (admin permission in MAAS `maasserver/api/machines.py`, `tags.py`)', () => {
    expect(
      ALL_TOOLS.filter((t) => t.maasAdmin)
        .map((t) => t.name)
        .sort(),
    ).toEqual(Object.keys(ADMIN_ONLY).sort());
  });

  for (const [tool, args] of Object.entries(ADMIN_ONLY)) {
    it(`${tool}: refused before any read or preview when the key is not a MAAS admin's, and audited`, async () => {
      const { sim, client, deps } = await setup({
        user: 'operator',
        env: { MAAS_MCP_CONFIRM: 'token', MAAS_MCP_TOOLSETS: 'all' },
      });
      const res = await call<ActionResult>(client, tool, args);
      expect(res.isError).toBe(true);
      expect(res.text).toBe(refusal(tool));
      expect(res.data?.confirm_token).toBeUndefined();
      // Only the question "who is this key?" reached MAAS.
      expect(sim.requests.entries.map((e) => `${e.method} ${e.path}`)).toEqual(['GET /MAAS/api/2.0/users/']);
      expect(posts(sim)).toHaveLength(0);
      const audit = await deps.store.listAudit({});
      expect(audit.map((a) => [a.tool, a.result, a.detail])).toEqual([[tool, 'refused', refusal(tool)]]);
    });
  }

  it('previews as usual with an admin key', async () => {
    const { client } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const res = await call<ActionResult>(client, 'machine_delete', { machines: 'new-01' });
    expect(res.data.status).toBe('confirmation_required');
  });

  it('sees within a minute that the key’s user was made a MAAS admin', async () => {
    const { sim, client, clock } = await setup({ user: 'operator' });
    const before = await call<ActionResult>(client, 'machine_commission', { machines: 'web-01' });
    expect(before.text).toBe(refusal('machine_commission'));
    sim.control.setUser(sim.users.operator.username, { isSuperuser: true });
    await clock.advance(WHOAMI_TTL_MS);
    const after = await drive(
      clock,
      call<ActionResult>(client, 'machine_commission', { machines: 'web-01' }),
    );
    expect(after.isError).toBe(false);
    expect(after.data.succeeded.map((r) => r.hostname)).toEqual(['web-01']);
    expect(node(sim, 'web-01').status).toBe(S.COMMISSIONING);
  });
});
