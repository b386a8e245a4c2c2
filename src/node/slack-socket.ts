/**
 * Slack over Socket Mode (Bolt), for an on-prem MAAS with no public ingress. Bolt is only the transport: every
 * command and click is acked here and then done by the same runSlackJob as the HTTP routes, which answers through
 * the response_url in the payload (the same URL Bolt's own `respond` would post to).
 */
import { App, type Receiver, type RespondArguments } from '@slack/bolt';
import type { Logger } from '../base/log.ts';
import type { Config } from '../config.ts';
import { type InteractionPayload, runSlackJob, type Slack } from '../slack.ts';

export interface SocketModeOptions {
  /** A receiver to use instead of Socket Mode's (tests feed events through it). */
  receiver?: Receiver;
}

export function createSlackApp(slack: Slack, config: Config, log: Logger, opts: SocketModeOptions = {}): App {
  const cfg = config.slack;
  const app = new App({
    ...(cfg.botToken ? { token: cfg.botToken } : {}),
    ...(opts.receiver ? { receiver: opts.receiver } : { appToken: cfg.appToken as string, socketMode: true }),
    // Our own Web API client posts notices; Bolt needs no token check at start (it would call Slack).
    tokenVerificationEnabled: false,
    clientOptions: { slackApiUrl: cfg.apiUrl },
  });

  app.command('/maas', async ({ command, ack }) => {
    await ack(slack.ack(command.text) as RespondArguments);
    await runSlackJob(slack, {
      kind: 'command',
      cmd: {
        user_id: command.user_id,
        channel_id: command.channel_id,
        text: command.text,
        ...(command.response_url ? { response_url: command.response_url } : {}),
        team_id: command.team_id,
      },
    });
  });

  app.action(/^maas:/, async ({ ack, body }) => {
    await ack();
    await runSlackJob(slack, { kind: 'interaction', payload: body as unknown as InteractionPayload });
  });

  app.event('app_home_opened', async ({ event }) => {
    await runSlackJob(slack, {
      kind: 'event',
      event: {
        type: 'app_home_opened',
        user: event.user,
        ...(event.tab ? { tab: event.tab } : {}),
        ...(event.channel ? { channel: event.channel } : {}),
      },
    });
  });

  app.error(async (err) => {
    log.error('Slack (Bolt) error', { error: err });
  });
  return app;
}
