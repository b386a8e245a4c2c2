/**
 * Socket Mode: Bolt is only the transport. Events fed through Bolt's own processing (a fake Receiver in place of
 * the WebSocket) reach the same command core as the HTTP routes and answer the same way.
 */
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.ts';
import { createSlackApp } from '../../src/node/slack-socket.ts';
import { answer, firstResponse, posts, previewOf, type Rig, slackRig, statusOf, texts } from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

/** A Receiver that never opens a socket: tests push events into the app it was given. */
class FakeReceiver implements Receiver {
  app: App | undefined;
  started = false;
  init(app: App): void {
    this.app = app;
  }
  async start(): Promise<void> {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.started = false;
  }
}

function boltApp(r: Rig) {
  const receiver = new FakeReceiver();
  const app = createSlackApp(r.slack, r.deps.config, silentLogger, { receiver });
  return { app, receiver };
}

/** Feeds one event through Bolt; returns what it was acked with and the response_url path. */
async function feed(app: App, body: Record<string, unknown>) {
  const acks: unknown[] = [];
  const event: ReceiverEvent = {
    body,
    ack: async (response?: unknown) => {
      acks.push(response);
    },
  };
  await app.processEvent(event);
  return acks;
}

function slashBody(r: Rig, text: string, user = 'UOPS') {
  const responseUrl = r.fake.responseUrl();
  return {
    path: responseUrl.slice(r.fake.url.length),
    body: {
      token: 'verification-token',
      team_id: 'T1',
      team_domain: 'example',
      channel_id: 'CCHAN',
      channel_name: 'ops',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/maas',
      text,
      api_app_id: 'A1',
      response_url: responseUrl,
      trigger_id: '1.2.3',
    },
  };
}

function actionBody(r: Rig, actionId: string, value: string, user = 'UOPS') {
  const responseUrl = r.fake.responseUrl();
  return {
    path: responseUrl.slice(r.fake.url.length),
    body: {
      type: 'block_actions',
      api_app_id: 'A1',
      token: 'verification-token',
      team: { id: 'T1', domain: 'example' },
      user: { id: user, username: user.toLowerCase(), team_id: 'T1' },
      channel: { id: 'CCHAN', name: 'ops' },
      container: {
        type: 'message',
        message_ts: '1700000000.000001',
        channel_id: 'CCHAN',
        is_ephemeral: true,
      },
      trigger_id: '1.2.3',
      response_url: responseUrl,
      actions: [
        {
          type: 'button',
          action_id: actionId,
          block_id: 'b1',
          value,
          text: { type: 'plain_text', text: 'x' },
          action_ts: '1700000001.000000',
        },
      ],
    },
  };
}

describe('Socket Mode through Bolt', () => {
  it('the app takes the given receiver instead of opening a socket', async () => {
    rig = await slackRig();
    const { app, receiver } = boltApp(rig);
    expect(receiver.app).toBe(app);
    await app.start();
    expect(receiver.started).toBe(true);
    await app.stop();
  });

  it('a /maas command is acked with the "working" body and answered through the response_url like over HTTP', async () => {
    rig = await slackRig();
    const { app } = boltApp(rig);
    for (const text of ['status', 'show web-03', 'list limit=3', 'frobnicate']) {
      const { body, path } = slashBody(rig, text);
      const acks = await feed(app, body);
      // The ack names the verb only (never the rest of what was typed).
      expect(acks).toEqual([
        { response_type: 'ephemeral', text: `:hourglass_flowing_sand: \`/maas ${text.split(' ')[0]}\`…` },
      ]);
      const viaBolt = await firstResponse(rig, path);
      const viaHttp = (await answer(rig, text)).msg;
      expect(viaBolt, text).toEqual(viaHttp);
    }
  });

  it('Bolt’s own Web API calls go to SLACK_API_URL (the fake), with the bot token', async () => {
    rig = await slackRig();
    const { app } = boltApp(rig);
    const { body, path } = slashBody(rig, 'status');
    await feed(app, body);
    await firstResponse(rig, path);
    expect(rig.fake.to('/api/').length).toBeGreaterThan(0);
    for (const c of rig.fake.calls.filter((x) => x.path.startsWith('/api/'))) {
      expect(c.auth).toBe('Bearer xoxb-test-bot-token-0123456789');
    }
  });

  it('a role is applied the same way (a viewer’s deploy is refused)', async () => {
    rig = await slackRig();
    const { app } = boltApp(rig);
    const { body, path } = slashBody(rig, 'deploy web-01', 'UVIEW');
    await feed(app, body);
    expect((await firstResponse(rig, path)).text).toBe(
      '`/maas deploy` needs the operator role; your role is viewer.',
    );
  });

  it('a maas:confirm click runs the confirmation (acked at once, result in the channel, preview deleted)', async () => {
    rig = await slackRig();
    const { app } = boltApp(rig);
    const { nonce } = await previewOf(rig, 'deploy web-01');
    const { body, path } = actionBody(rig, 'maas:confirm', nonce, 'UOPS');
    const acks = await feed(app, body);
    expect(acks).toEqual([undefined]);
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
    expect(texts(posts(rig, 'CCHAN')[0])).toContain('<@UOPS>: *deploy: 1 done*');
    expect(await firstResponse(rig, path)).toMatchObject({ delete_original: true, replace_original: true });
  });

  it('a foreign click through Bolt is refused ephemerally; the requester can still decide', async () => {
    rig = await slackRig();
    const { app } = boltApp(rig);
    const { nonce } = await previewOf(rig, 'deploy web-01');
    const foreign = actionBody(rig, 'maas:confirm', nonce, 'UVIEW');
    await feed(app, foreign.body);
    expect(await firstResponse(rig, foreign.path)).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'Only <@UOPS> (who asked) or a maas-mcp admin can confirm this.',
    });
    expect(statusOf(rig, 'web-01')).toBe('Ready');
    const own = actionBody(rig, 'maas:cancel', nonce, 'UOPS');
    await feed(app, own.body);
    expect((await firstResponse(rig, own.path)).text).toBe('Cancelled — nothing was changed.');
  });

  // BUG (same as in secrets.test.ts, second place): Bolt's ack echoes the command text verbatim, cloud-init user
  // data included: the ack text is built from `command.text.slice(0, 200)` in app.command (src/node/slack-socket.ts).
  // Fix: echo only the verb, or mask secret-looking option values (isSecretKey from src/core/redact.ts).
  it('Bolt’s ack does not echo user_data typed in the command', async () => {
    rig = await slackRig();
    const { app } = boltApp(rig);
    const { body } = slashBody(rig, 'deploy web-01 user_data="#cloud-config\npassword: hunter2-Sup3rSecret"');
    const acks = await feed(app, body);
    expect(JSON.stringify(acks)).not.toContain('hunter2-Sup3rSecret');
  });
});
