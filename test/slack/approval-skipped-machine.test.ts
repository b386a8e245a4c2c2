/**
 * An approval holds only for the machines as the approver was shown them — all of them, including the ones the
 * request would have skipped: a machine that was left alone in the request must not be acted on because it
 * changed while the request waited.
 */
import { afterEach, expect, it } from 'vitest';
import { call } from '../helpers.ts';
import {
  approvalValue,
  clickAnswer,
  maasWrites,
  mcpClient,
  opState,
  posts,
  type Rig,
  slackRig,
  statusOf,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

it('a machine skipped in the request that became releasable meanwhile stops the approval', async () => {
  rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
  const client = await mcpClient(rig, { id: 'agent-7', role: 'operator', via: 'mcp' });
  expect(statusOf(rig, 'web-01')).toBe('Ready');
  const out = await call<{
    status: string;
    operation_id: string;
    preview: { hostname: string; verdict: string }[];
  }>(client, 'machine_release', { machines: 'web-05 web-01' });
  expect(out.data.status).toBe('awaiting_approval');
  // The request releases web-05 and leaves web-01 (Ready) alone.
  expect(out.data.preview.map((r) => [r.hostname, r.verdict])).toEqual([
    ['web-05', 'run'],
    ['web-01', 'skip'],
  ]);
  await rig.fake.waitFor(() => posts(rig, 'CNOTIFY').length > 0);
  // Meanwhile someone allocates web-01: released now, it would be taken from its new owner.
  await rig.deps.maas.allocate({ name: 'web-01' });
  const writes = maasWrites(rig);
  const { msg } = await clickAnswer(rig, 'maas:approve', approvalValue(rig, out.data.operation_id), 'UADMIN');
  expect(rig.sim.requests.count({ method: 'POST', op: 'release' })).toBe(0);
  expect(maasWrites(rig)).toBe(writes);
  expect(statusOf(rig, 'web-01')).toBe('Allocated');
  expect(statusOf(rig, 'web-05')).toBe('Allocated');
  expect(texts(msg)).toMatch(/:warning: Not run: Since the preview, web-01 is now Allocated\./);
  expect(await opState(rig, out.data.operation_id)).toBe('cancelled');
});
