/**
 * What a pending Slack confirmation, or an agent's call held for approval, leaves in the SQLite file: neither the
 * confirm token, nor the user_data, nor the button's secret — before the click or after it. (Each is sealed with a
 * key only its button carries; deleted rows are overwritten.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIRM_KEY } from '../../src/slack/commands.ts';
import { sealedName, unseal } from '../../src/slack/sealed.ts';
import { call } from '../helpers.ts';
import {
  approvalValue,
  clickAnswer,
  mcpClient,
  node,
  posts,
  previewOf,
  type Rig,
  sqliteRig,
  statusOf,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

/** The database file and its write-ahead log, as bytes a person with the disk could read. */
function fileText(path: string): string {
  return [path, `${path}-wal`]
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p).toString('latin1'))
    .join('\n');
}

describe('secrets of a pending confirmation in the store', () => {
  it('keeps the confirm token, the user_data and the button secret out of the SQLite file', async () => {
    const made = await sqliteRig();
    ({ rig } = made);
    const { store, path } = made;
    const userData = '#cloud-config\\npassword: hunter2-cloud-config-secret';
    const { nonce } = await previewOf(rig, `deploy web-01 user_data="${userData}"`);
    // The test holds the button, so it can open what was stored and learn the token to look for.
    const sealed = (await store.getValue(CONFIRM_KEY(await sealedName(nonce)))) as string;
    const held = JSON.parse((await unseal(nonce, sealed)) as string) as {
      token: string;
      args: { user_data: string };
    };
    expect(held.args.user_data).toContain('hunter2-cloud-config-secret');
    const before = fileText(path);
    for (const secret of [held.token, 'hunter2-cloud-config-secret', nonce])
      expect(before).not.toContain(secret);

    await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
    const after = fileText(path);
    for (const secret of [held.token, 'hunter2-cloud-config-secret', nonce])
      expect(after).not.toContain(secret);
  });

  it('keeps an agent’s user_data out of the SQLite file while its call waits for approval, and still runs it', async () => {
    const made = await sqliteRig({ MAAS_MCP_CONFIRM: 'slack' });
    ({ rig } = made);
    const { path } = made;
    const client = await mcpClient(rig, { id: 'agent-7', role: 'operator', via: 'mcp' });
    const secret = 'agent-cloud-config-secret-4242';
    const out = await call<{ operation_id: string }>(client, 'machine_deploy', {
      machines: 'web-01',
      user_data: `#cloud-config\nwrite_files: [{path: /etc/x, content: ${secret}}]`,
    });
    await rig.fake.waitFor(() => posts(rig, 'CNOTIFY').length > 0);
    const value = approvalValue(rig, out.data.operation_id);
    expect(fileText(path)).not.toContain(secret);
    expect(fileText(path)).not.toContain(value.split('.')[1]);

    // A button that is not this request's does not open it; the request stays.
    const forged = `${out.data.operation_id}.${'0'.repeat(32)}`;
    const refused = await clickAnswer(rig, 'maas:approve', forged, 'UOPS');
    expect(texts(refused.msg)).toContain('does not open that request');
    expect(statusOf(rig, 'web-01')).toBe('Ready');

    await clickAnswer(rig, 'maas:approve', value, 'UOPS');
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
    expect(atob(node(rig, 'web-01').userData ?? '')).toContain(secret);
    expect(fileText(path)).not.toContain(secret);
  });
});
