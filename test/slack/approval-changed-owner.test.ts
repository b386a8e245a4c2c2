/**
 * A Slack approval (MAAS_MCP_CONFIRM=slack) and a Slack Confirm click hold only for the machines exactly as the
 * person was shown them: a machine released and allocated by someone else meanwhile keeps its status, but not its
 * owner — approving must not release the new owner's machine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, depsFor } from '../helpers.ts';
import {
  approvalValue,
  clickAnswer,
  maasWrites,
  mcpClient,
  node,
  opState,
  posts,
  previewOf,
  type Rig,
  slackRig,
  texts,
} from './helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** web-05 (Allocated to admin) is released by its owner and allocated by alice: Allocated again, alice's. */
async function changeHands(r: Rig) {
  const web05 = node(r, 'web-05');
  await r.deps.maas.machineOp(web05.systemId, 'release');
  await depsFor(r.sim, r.clock, { user: 'operator' }).maas.allocate({ system_id: web05.systemId });
  expect([web05.owner, web05.status]).toEqual(['alice', 10]);
}

const releases = (r: Rig) => r.sim.requests.count({ method: 'POST', op: 'release' });

describe('a machine that changed owner since it was shown', () => {
  it('stops a Slack approval of an agent’s release', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const client = await mcpClient(rig, { id: 'agent-7', role: 'operator', via: 'mcp' });
    const out = await call<{ status: string; operation_id: string }>(client, 'machine_release', {
      machines: 'web-05',
    });
    expect(out.data.status).toBe('awaiting_approval');
    const r = rig;
    await r.fake.waitFor(() => posts(r, 'CNOTIFY').length > 0);
    await changeHands(r);
    const before = releases(r);
    const writes = maasWrites(r);

    const { msg } = await clickAnswer(r, 'maas:approve', approvalValue(r, out.data.operation_id), 'UADMIN');
    expect(texts(msg)).toContain(
      ":warning: Not run: Since the preview, web-05 now belongs to alice (it was admin's). What was approved no longer holds.",
    );
    expect(releases(r)).toBe(before);
    expect(maasWrites(r)).toBe(writes);
    expect(node(r, 'web-05').owner).toBe('alice');
    expect(await opState(r, out.data.operation_id)).toBe('cancelled');
  });

  it('stops a Confirm click on a /maas release preview', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'release web-05');
    await changeHands(rig);
    const before = releases(rig);
    const { msg } = await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(texts(msg)).toContain("Since the preview, web-05 now belongs to alice (it was admin's).");
    expect(releases(rig)).toBe(before);
    expect(node(rig, 'web-05').owner).toBe('alice');
  });
});
