/**
 * Socket Mode: Bolt is only the transport. Events fed through Bolt's own processing (a fake Receiver in place of
 * the WebSocket) reach the same command core as the HTTP routes and answer the same way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  actionBody,
  answer,
  boltApp,
  feed,
  firstResponse,
  posts,
  previewOf,
  type Rig,
  slackRig,
  slashBody,
  statusOf,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

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
  // Fix: echo only the verb, or mask secret-looking option values (isSecretKey from src/base/redact.ts).
  it('Bolt’s ack does not echo user_data typed in the command', async () => {
    rig = await slackRig();
    const { app } = boltApp(rig);
    const { body } = slashBody(rig, 'deploy web-01 user_data="#cloud-config\npassword: hunter2-Sup3rSecret"');
    const acks = await feed(app, body);
    expect(JSON.stringify(acks)).not.toContain('hunter2-Sup3rSecret');
  });

  it('an app_home_opened event publishes the person’s App Home, as over HTTP', async () => {
    rig = await slackRig();
    const r = rig;
    const { app } = boltApp(r);
    await feed(app, {
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'A1',
      event_id: 'Ev1',
      event_time: 1,
      event: { type: 'app_home_opened', user: 'UOPS', channel: 'DAPP', tab: 'home', event_ts: '1.0' },
    });
    await r.fake.waitFor((calls) => calls.some((c) => c.path === '/api/views.publish'));
    const call = r.fake.to('/api/views.publish')[0];
    expect(call?.body.user_id).toBe('UOPS');
    expect(JSON.stringify(call?.body)).toContain('*24 machines*');
  });
});
