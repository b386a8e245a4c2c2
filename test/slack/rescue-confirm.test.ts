/** `/maas rescue` of a Deployed machine reboots its workload: Slack shows the preview with Confirm first. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  buttonsOf,
  clickAnswer,
  maasWrites,
  previewOf,
  quiet,
  type Rig,
  slackRig,
  statusOf,
  texts,
} from './helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('/maas rescue', () => {
  it('asks for confirmation before rebooting a Deployed machine into rescue mode, and runs once confirmed', async () => {
    rig = await slackRig();
    const writes = maasWrites(rig);
    const { msg, nonce } = await previewOf(rig, 'rescue db-01');
    expect(texts(msg)).toContain('its running OS and workload stop until it exits rescue mode');
    expect(buttonsOf(msg).map((b) => b.action_id)).toEqual(['maas:confirm', 'maas:cancel']);
    await quiet();
    expect(maasWrites(rig)).toBe(writes);
    expect(statusOf(rig, 'db-01')).toBe('Deployed');
    await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(statusOf(rig, 'db-01')).toBe('Entering rescue mode');
  });
});
