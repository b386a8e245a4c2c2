/** Slack validates with the tools' own schemas: a missing `machines` says what is expected, as MCP does. */
import { afterEach, describe, expect, it } from 'vitest';
import { answer, maasWrites, type Rig, slackRig, texts } from './helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('/maas with a missing machine reference', () => {
  it('names what machines expects, with the usage line, and writes nothing', async () => {
    rig = await slackRig();
    const { msg } = await answer(rig, 'release erase=true');
    const text = texts(msg);
    expect(text).toContain(
      'machines: expected a system_id or hostname, or a list of 1–100 of them (none given)',
    );
    expect(text).toContain('/maas release <machines…>');
    expect(text).not.toContain('Invalid input');
    expect(maasWrites(rig)).toBe(0);
  });

  it('names what machine expects for a one-machine verb', async () => {
    rig = await slackRig();
    const { msg } = await answer(rig, 'show');
    expect(texts(msg)).toContain('machine: expected a system_id or hostname (none given)');
  });
});
