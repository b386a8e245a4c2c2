import { afterEach, describe, expect, it } from 'vitest';
import { click, command, type Rig, responses, slackRig, textOf } from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

describe('slack smoke', () => {
  it('answers /maas status and runs a confirmed deploy', async () => {
    rig = await slackRig();
    const { res, responseUrl } = await command(rig, 'status');
    expect(res.status).toBe(200);
    await rig.fake.waitFor(() => responses(rig, responseUrl).length > 0);
    expect(textOf(responses(rig, responseUrl)[0])).toContain('24 machines');

    // The issue's own words: `distro=` is short for distro_series.
    const dep = await command(rig, 'deploy web-01 web-02 distro=jammy');
    await rig.fake.waitFor(() => responses(rig, dep.responseUrl).length > 0);
    const prev = responses(rig, dep.responseUrl)[0] as {
      blocks: { type: string; elements?: { value: string; action_id: string }[] }[];
    };
    const actions = prev.blocks.find((b) => b.type === 'actions');
    const nonce = actions?.elements?.[0]?.value as string;
    expect(actions?.elements?.[0]?.action_id).toBe('maas:confirm');
    const c = await click(rig, 'maas:confirm', nonce);
    expect(c.res.status).toBe(200);
    await rig.fake.waitFor(() => rig.fake.to('/api/chat.postMessage').length > 0);
    expect(textOf(rig.fake.to('/api/chat.postMessage')[0]?.body)).toContain('deploy: 2 done');
  });
});
