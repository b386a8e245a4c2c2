/**
 * Slack over Socket Mode (Bolt), for an on-prem MAAS with no public ingress. Bolt is only the transport: every
 * command and click goes to the same core as the HTTP routes.
 */
import { App, type Receiver, type RespondArguments } from '@slack/bolt';
import type { Config } from '../config.ts';
import type { Logger } from '../core/log.ts';
import { ackText, type InteractionPayload, type Slack, type SlackMessage } from '../slack.ts';

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

  app.command('/maas', async ({ command, ack, respond }) => {
    await ack({
      response_type: 'ephemeral',
      text: ackText(command.text),
    });
    const msg = await slack.command({
      user_id: command.user_id,
      channel_id: command.channel_id,
      text: command.text,
      ...(command.response_url ? { response_url: command.response_url } : {}),
      team_id: command.team_id,
    });
    await respond(toRespond({ replace_original: msg.response_type !== 'in_channel', ...msg }));
  });

  app.action(/^maas:/, async ({ ack, body, respond }) => {
    await ack();
    const answer = await slack.interaction(body as unknown as InteractionPayload);
    if (!answer) return;
    if ('replace' in answer) await respond(toRespond({ ...answer.replace, replace_original: true }));
    else await respond({ response_type: 'ephemeral', replace_original: false, text: answer.ephemeral });
  });

  app.error(async (err) => {
    log.error('Slack (Bolt) error', { error: err });
  });
  return app;
}

function toRespond(msg: SlackMessage): RespondArguments {
  return msg as RespondArguments;
}
