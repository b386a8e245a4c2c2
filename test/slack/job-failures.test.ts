/**
 * Whatever goes wrong while doing a command or a click, the person who
 * asked or clicked gets an ephemeral answer (describeError's words), over HTTP and over Socket Mode alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../helpers.ts';
import {
  actionBody,
  answer,
  approvalValue,
  boltApp,
  buttonValue,
  clickAnswer,
  feed,
  firstResponse,
  mcpClient,
  opState,
  posts,
  previewOf,
  type Rig,
  slackRig,
  statusOf,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

/** An agent's release of db-01 held for approval; the operation id behind the Approve button. */
async function heldRelease(r: Rig): Promise<string> {
  const client = await mcpClient(r, { id: 'agent-7', role: 'operator', via: 'mcp' });
  const out = await call(client, 'machine_release', { machines: 'db-01' });
  expect(out.isError).toBe(false);
  await r.fake.waitFor(() => posts(r, 'CNOTIFY').length > 0);
  return buttonValue(posts(r, 'CNOTIFY')[0], 'maas:approve').split('.')[0] as string;
}

describe('a failure after the ack is answered', () => {
  it('an Approve click whose operation cannot be read gets an ephemeral error; the request stays', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const id = await heldRelease(rig);
    const store = rig.deps.store;
    const read = store.getOperation.bind(store);
    store.getOperation = async () => {
      throw new Error('database is locked');
    };
    const { msg } = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(msg).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'internal error in maas-mcp: database is locked',
    });
    store.getOperation = read;
    expect(await opState(rig, id)).toBe('awaiting_approval');
    expect(statusOf(rig, 'db-01')).toBe('Deployed');
  });

  it('a Confirm click whose confirmation cannot be read gets an ephemeral error; nothing changes', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    rig.deps.store.getValue = async () => {
      throw new Error('disk I/O error');
    };
    const { msg } = await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(msg.response_type).toBe('ephemeral');
    expect(msg.replace_original).toBe(false);
    expect(texts(msg)).toContain(':warning: internal error in maas-mcp: disk I/O error');
    expect(statusOf(rig, 'web-01')).toBe('Ready');
  });

  it('a command that fails unexpectedly replaces its “working on it” ack with the error', async () => {
    rig = await slackRig();
    rig.slack.context.roles.roleOf = async () => {
      throw new Error('roles unavailable');
    };
    const { msg } = await answer(rig, 'status');
    expect(msg).toMatchObject({
      response_type: 'ephemeral',
      replace_original: true,
      text: 'internal error in maas-mcp: roles unavailable',
    });
  });

  it('a MAAS that cannot be reached during an approval is reported to the approver', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const id = await heldRelease(rig);
    rig.sim.control.setNetwork({ down: true });
    const { msg } = await clickAnswer(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(texts(msg)).toContain('cannot reach MAAS');
    // Not a check mark: the approval went through, the action did not.
    expect(texts(msg)).toContain(':x: Approved by <@UOPS>, but it failed: ');
    expect(texts(msg)).not.toContain(':white_check_mark:');
    expect(await opState(rig, id)).toBe('failed');
  });

  it('over Socket Mode too: the clicker is told', async () => {
    rig = await slackRig({ MAAS_MCP_CONFIRM: 'slack' });
    const id = await heldRelease(rig);
    rig.deps.store.getOperation = async () => {
      throw new Error('database is locked');
    };
    const { app } = boltApp(rig);
    const { body, path } = actionBody(rig, 'maas:approve', approvalValue(rig, id), 'UOPS');
    expect(await feed(app, body)).toEqual([undefined]);
    expect(await firstResponse(rig, path)).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'internal error in maas-mcp: database is locked',
    });
  });
});
