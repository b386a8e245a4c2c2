/**
 * Any confirmation nested in a tool's answer becomes buttons (its token never reaches
 * the channel), and every message that leaves for Slack — answers of any tool, escaped Block Kit text, acks —
 * is scrubbed of known secrets in one place.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REDACTED } from '../../src/base/redact.ts';
import { ActionResult } from '../../src/core/result.ts';
import { defineTool } from '../../src/core/tool.ts';
import { createSlack } from '../../src/slack.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { answer, BOT, buttonValue, command, type Msg, type Rig, slackRig, texts } from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

const TOKEN = 'mmc_nestedconfirmtoken_0123456789abcdef';

/** A write tool whose answer holds a confirmation under a field name nothing else uses. */
const nested = defineTool({
  name: 'nested_stub',
  title: 'Nested stub',
  description: 'A write tool whose answer holds a confirmation under a field name nothing else uses.',
  toolset: 'operations',
  minRole: 'operator',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  verb: 'nested',
  input: z.object({}),
  output: z.object({ note: z.string(), follow_up: ActionResult }),
  async run() {
    const confirmation: z.infer<typeof ActionResult> = {
      status: 'confirmation_required',
      action: 'power off',
      summary: 'Confirmation required: power off 1 machine.',
      succeeded: [],
      skipped: [],
      failed: [],
      not_found: [],
      confirmation_required: true,
      confirm_token: TOKEN,
      expires_at: new Date(Date.now() + 60_000).toISOString(),
      preview: [
        {
          hostname: 'web-01',
          system_id: 'abc123',
          status: 'Deployed',
          power: 'on',
          owner: 'admin',
          locked: false,
          verdict: 'run',
          effect: 'power off',
        },
      ],
    };
    return { note: 'held', follow_up: confirmation };
  },
  render: () => `token ${TOKEN}`,
});

describe('nested confirmations', () => {
  it('a confirmation under any top-level field becomes a preview with buttons; its token stays out', async () => {
    rig = await slackRig();
    const slack = createSlack(rig.deps, { tools: [...ALL_TOOLS, nested] });
    if (!slack) throw new Error('no Slack');
    const msg = await slack.command({ user_id: 'UOPS', channel_id: 'CCHAN', text: 'nested' });
    expect(msg.response_type).toBe('ephemeral');
    expect(msg.text).toBe('Power off 1 machine?');
    expect(buttonValue(msg as Msg)).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(msg)).not.toContain(TOKEN);
  });
});

describe('one scrub for everything that leaves', () => {
  it('a read whose text rendering holds a secret (zones) is scrubbed', async () => {
    rig = await slackRig();
    // Production Deps hold every token from the settings (secretsOf); the test Deps only the MAAS key.
    rig.deps.secrets.add(BOT);
    const zone = (await rig.deps.maas.zones())[0];
    if (!zone) throw new Error('no zone');
    await rig.deps.maas.http.call({
      method: 'PUT',
      path: `zones/${zone.name}/`,
      form: { description: `rack notes: bot ${BOT}` },
    });
    const { msg } = await answer(rig, 'zones', 'UOPS');
    expect(JSON.stringify(msg)).not.toContain(BOT);
    expect(texts(msg)).toContain(`rack notes: bot ${REDACTED}`);
  });

  it('a secret holding &, < or > is found after Block Kit escaped it', async () => {
    rig = await slackRig();
    const secret = 'Pa&ss<w0rd>-77';
    rig.deps.secrets.add(secret);
    rig.sim.control.setMachine('web-01', { errorDescription: `BMC login ${secret} refused` });
    const { msg } = await answer(rig, 'show web-01', 'UOPS');
    const json = JSON.stringify(msg);
    expect(json).not.toContain(secret);
    expect(json).not.toContain('Pa&amp;ss&lt;w0rd&gt;-77');
    expect(texts(msg)).toContain(REDACTED);
  });

  it('an ack that would name a secret does not', async () => {
    rig = await slackRig();
    rig.deps.secrets.add('sesame-open-sesame');
    const { res } = await command(rig, 'sesame-open-sesame now');
    const ack = await res.text();
    expect(ack).not.toContain('sesame-open-sesame');
    expect(ack).toContain(REDACTED);
  });
});
