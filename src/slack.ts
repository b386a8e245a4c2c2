/**
 * The Slack adapter core: pure, no transport. The Hono routes (src/server.ts) and Bolt's Socket Mode
 * (src/node/slack-socket.ts) both feed it, so one logic path serves both.
 */

import type { FetchLike } from './base/fetch.ts';
import type { Deps, RequestApproval } from './core/deps.ts';
import { describeError } from './core/errors.ts';
import type { OperationListener } from './core/operations/notify.ts';
import type { AnyTool } from './core/tool.ts';
import { SlackApi } from './slack/api.ts';
import { requestApproval } from './slack/approval.ts';
import type { SlackMessage } from './slack/blocks.ts';
import * as B from './slack/blocks.ts';
import { handleCommand, type SlashCommand } from './slack/commands.ts';
import { OperationThreads, type SlackContext } from './slack/context.ts';
import { type HomeOpened, homeOpened, homeRefresher } from './slack/home.ts';
import { handleInteraction, type InteractionAnswer, type InteractionPayload } from './slack/interactions.ts';
import { SlackNotices } from './slack/notices.ts';
import { SlackRoles } from './slack/roles.ts';

export type { HomeOpened, InteractionAnswer, InteractionPayload, SlackMessage, SlashCommand };

export interface Slack {
  context: SlackContext;
  /** Runs a /maas command (after the ack); the answer goes to its response_url. */
  command(cmd: SlashCommand): Promise<SlackMessage>;
  /** Handles a button click (after the ack). */
  interaction(payload: InteractionPayload): Promise<InteractionAnswer>;
  /** Posts an answer to a response_url. */
  respond(responseUrl: string, msg: SlackMessage): Promise<void>;
  /** The immediate answer to a command's text (HTTP and Socket Mode alike). */
  ack(text: string): SlackMessage;
  /** Completion notices and progress edits; subscribe it to deps.notify where the poller runs. */
  notices: SlackNotices;
  /** Keeps open App Homes fresh as operations move; subscribe it beside `notices`. */
  home: OperationListener;
  /** Someone opened the app's Home or Messages tab (Events API app_home_opened). */
  homeOpened(e: HomeOpened): Promise<void>;
  /** MAAS_MCP_CONFIRM=slack: holds an agent's call for a person's approval (Deps.requestApproval). */
  requestApproval: RequestApproval;
}

/**
 * The immediate answer to a command. It names only the verb: the rest of what was typed may hold user_data or a
 * BMC password, and an ack must never repeat it.
 */
export function ackText(text: string): string {
  const verb =
    (text.trim().split(/\s+/)[0] ?? '')
      .toLowerCase()
      .replace(/[^a-z-]/g, '')
      .slice(0, 30) || 'help';
  return `:hourglass_flowing_sand: \`/maas ${verb}\`…`;
}

/** Work that follows a Slack ack: a command, or a click. */
export type SlackJob =
  | { kind: 'command'; cmd: SlashCommand }
  | { kind: 'interaction'; payload: InteractionPayload }
  | { kind: 'event'; event: HomeOpened };

/**
 * Does a job and answers through its response_url (the same on Node — HTTP and Socket Mode — and in the Workers
 * Durable Object). Whatever goes wrong, the person who asked or clicked is told, not only the log.
 */
export async function runSlackJob(slack: Slack, job: SlackJob): Promise<void> {
  if (job.kind === 'event') {
    // Nobody waits on an answer: a failure is the log's.
    await slack
      .homeOpened(job.event)
      .catch((err) => slack.context.deps.log.warn('could not publish a Slack App Home', { error: err }));
    return;
  }
  const url = job.kind === 'command' ? job.cmd.response_url : job.payload.response_url;
  let msg: SlackMessage | undefined;
  try {
    msg =
      job.kind === 'command' ? await commandAnswer(slack, job.cmd) : await clickAnswer(slack, job.payload);
  } catch (err) {
    const { secrets, log } = slack.context.deps;
    // A command's error replaces its "working on it" ack; a click's leaves the clicked message as it was.
    msg = { ...B.errorMessage(describeError(err, secrets, log)), replace_original: job.kind === 'command' };
  }
  if (msg && url) await slack.respond(url, msg);
}

async function commandAnswer(slack: Slack, cmd: SlashCommand): Promise<SlackMessage> {
  const msg = await slack.command(cmd);
  // An ephemeral answer replaces the "working on it" ack; a channel message is posted as a new one.
  return { replace_original: msg.response_type !== 'in_channel', ...msg };
}

async function clickAnswer(slack: Slack, payload: InteractionPayload): Promise<SlackMessage | undefined> {
  const answer = await slack.interaction(payload);
  if (!answer) return undefined;
  if ('replace' in answer) return { ...answer.replace, replace_original: true };
  return { response_type: 'ephemeral', replace_original: false, text: answer.ephemeral };
}

/**
 * What an admin must know at start about the Slack settings (a log line everywhere, the banner on Node): Slack
 * is on, but without a bot token a completion notice can only answer through a command's response_url, which
 * Slack keeps for 30 minutes, so longer operations end without one.
 */
export function slackSetupWarnings(cfg: Deps['config']['slack']): string[] {
  if (!cfg.signingSecret && !cfg.appToken && !cfg.botToken) return [];
  const out: string[] = [];
  if (!cfg.botToken) {
    out.push(
      'SLACK_BOT_TOKEN is not set: completion notices can only answer through a command’s response_url, which Slack keeps for 30 minutes — operations that take longer (erases, large deploys) end without a Slack notice. Set SLACK_BOT_TOKEN for notices of long operations (and for results posted in the channel, progress edits and MAAS_MCP_CONFIRM=slack approvals).',
    );
  } else if (!cfg.notifyChannel) {
    out.push(
      'SLACK_NOTIFY_CHANNEL is not set: operations started by agents (MCP) get no Slack notice, and MAAS_MCP_CONFIRM=slack cannot ask for approval.',
    );
  }
  return out;
}

/** Builds the Slack adapter when Slack is configured (a signing secret, an app token or a bot token). */
export function createSlack(
  deps: Deps,
  opts: { fetch?: FetchLike; tools?: readonly AnyTool[] } = {},
): Slack | undefined {
  const cfg = deps.config.slack;
  if (!cfg.signingSecret && !cfg.appToken && !cfg.botToken) return undefined;
  const fetch: FetchLike = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const scrub = (text: string) => deps.secrets.scrub(text);
  const api = cfg.botToken ? new SlackApi(cfg.botToken, cfg.apiUrl, fetch, scrub) : undefined;
  const responder = api ?? new SlackApi('', cfg.apiUrl, fetch, scrub);
  const context: SlackContext = {
    deps,
    api,
    responder,
    roles: new SlackRoles(cfg.roles, api, deps.clock, deps.log),
    tools: opts.tools ?? deps.tools,
    threads: new OperationThreads(deps),
  };
  return {
    context,
    command: (cmd) => handleCommand(context, cmd),
    interaction: (payload) => handleInteraction(context, payload),
    respond: (url, msg) => responder.respond(url, msg),
    ack: (text) => responder.clean({ response_type: 'ephemeral', text: ackText(text) }),
    notices: new SlackNotices(context),
    home: homeRefresher(context),
    homeOpened: (e) => homeOpened(context, e),
    requestApproval: (tool, args, plan, ctx, need) => requestApproval(context, tool, args, plan, ctx, need),
  };
}
