/**
 * The Slack adapter core: pure, no transport. The Hono routes (src/server.ts) and Bolt's Socket Mode
 * (src/node/slack-socket.ts) both feed it, so one logic path serves both.
 */
import type { ActionResult, Plan } from './core/actions.ts';
import type { Deps } from './deps.ts';
import type { FetchLike } from './maas/client.ts';
import { SlackApi } from './slack/api.ts';
import { requestApproval } from './slack/approval.ts';
import type { SlackMessage } from './slack/blocks.ts';
import { handleCommand, type SlashCommand } from './slack/commands.ts';
import { OperationThreads, type SlackContext } from './slack/context.ts';
import { handleInteraction, type InteractionAnswer, type InteractionPayload } from './slack/interactions.ts';
import { SlackNotices } from './slack/notices.ts';
import { SlackRoles } from './slack/roles.ts';
import type { AnyTool, ToolContext } from './tools/define.ts';
import { ALL_TOOLS } from './tools/index.ts';

export type { InteractionAnswer, InteractionPayload, SlackMessage, SlashCommand };

export interface Slack {
  context: SlackContext;
  /** Runs a /maas command (after the ack); the answer goes to its response_url. */
  command(cmd: SlashCommand): Promise<SlackMessage>;
  /** Handles a button click (after the ack). */
  interaction(payload: InteractionPayload): Promise<InteractionAnswer>;
  /** Posts an answer to a response_url. */
  respond(responseUrl: string, msg: SlackMessage): Promise<void>;
  /** Completion notices and progress edits; subscribe it to deps.notify where the poller runs. */
  notices: SlackNotices;
  /** MAAS_MCP_CONFIRM=slack: holds an agent's destructive call for a person's approval. */
  requestApproval(
    tool: AnyTool,
    args: Record<string, unknown>,
    plan: Plan,
    ctx: ToolContext,
  ): Promise<ActionResult>;
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
  | { kind: 'interaction'; payload: InteractionPayload };

/** Does a job and answers through its response_url (the same on Node, and in the Workers Durable Object). */
export async function runSlackJob(slack: Slack, job: SlackJob): Promise<void> {
  if (job.kind === 'command') {
    const msg = await slack.command(job.cmd);
    // An ephemeral answer replaces the "working on it" ack; a channel message is posted as a new one.
    if (job.cmd.response_url) {
      await slack.respond(job.cmd.response_url, {
        replace_original: msg.response_type !== 'in_channel',
        ...msg,
      });
    }
    return;
  }
  const answer = await slack.interaction(job.payload);
  const url = job.payload.response_url;
  if (!answer || !url) return;
  if ('replace' in answer) await slack.respond(url, { ...answer.replace, replace_original: true });
  else
    await slack.respond(url, { response_type: 'ephemeral', replace_original: false, text: answer.ephemeral });
}

/** Builds the Slack adapter when Slack is configured (a signing secret, an app token or a bot token). */
export function createSlack(
  deps: Deps,
  opts: { fetch?: FetchLike; tools?: readonly AnyTool[] } = {},
): Slack | undefined {
  const cfg = deps.config.slack;
  if (!cfg.signingSecret && !cfg.appToken && !cfg.botToken) return undefined;
  const fetch: FetchLike = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const api = cfg.botToken ? new SlackApi(cfg.botToken, cfg.apiUrl, fetch) : undefined;
  const responder = api ?? new SlackApi('', cfg.apiUrl, fetch);
  const context: SlackContext = {
    deps,
    api,
    roles: new SlackRoles(cfg.roles, api, deps.clock, deps.log),
    tools: opts.tools ?? ALL_TOOLS,
    threads: new OperationThreads(deps),
  };
  return {
    context,
    command: (cmd) => handleCommand(context, cmd),
    interaction: (payload) => handleInteraction(context, payload),
    respond: (url, msg) => responder.respond(url, msg),
    notices: new SlackNotices(context),
    requestApproval: (tool, args, plan, ctx) => requestApproval(context, tool, args, plan, ctx),
  };
}
