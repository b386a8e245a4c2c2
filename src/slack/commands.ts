/**
 * `/maas …` commands: the registry's tools as Slack verbs. The user's role (SLACK_ROLES) and the same predicate
 * as MCP decide which verbs exist; the tool's own schema validates the arguments; anything that needs a
 * confirmation answers with a preview and Confirm/Cancel buttons; writes are posted in the channel, where the
 * completion notice follows.
 */
import type { Role } from '../config.ts';
import { isToolEnabled, type Principal, roleAtLeast } from '../core/access.ts';
import { recordAudit } from '../core/audit.ts';
import type { ToolContext } from '../core/deps.ts';
import { zodMessage } from '../core/errors.ts';
import { invokeTool } from '../core/invoke.ts';
import type { OperationView } from '../core/operations/view.ts';
import type { ActionResult } from '../core/result.ts';
import { type AnyTool, SECRET_SHOWN, type View, withoutSecrets } from '../core/tool.ts';
import type { NotifyTarget } from '../store/types.ts';
import { slackErrorCode } from './api.ts';
import type { SlackMessage } from './blocks.ts';
import * as B from './blocks.ts';
import type { SlackContext } from './context.ts';
import { fieldHelp, type ParsedText, parseText, toArgs, UsageError, usage } from './parse.ts';
import { newButtonSecret, seal, sealedName } from './sealed.ts';

/** The parts of a slash command maas-mcp uses (both the HTTP form and Bolt's Socket Mode body have them). */
export interface SlashCommand {
  user_id: string;
  channel_id: string;
  text: string;
  response_url?: string;
  team_id?: string;
}

/** What a pending confirmation remembers between the preview and the click. */
export interface PendingConfirmation {
  tool: string;
  args: Record<string, unknown>;
  user: string;
  role: Role;
  channel: string;
  token: string;
}

/** Where a pending confirmation is stored: by the digest of its button's secret ({@link sealedName}). */
export const CONFIRM_KEY = (name: string) => `slack:confirm:${name}`;
const RESPONSE_URL_TTL_MS = 30 * 60_000;

/** Runs one command; runSlackJob sends the answer back through the command's response_url. */
export async function handleCommand(s: SlackContext, cmd: SlashCommand): Promise<SlackMessage> {
  const role = await s.roles.roleOf(cmd.user_id);
  if (!role) {
    await refusedAudit(s, cmd.user_id, undefined, cmd.text, 'no maas-mcp role in SLACK_ROLES');
    return B.errorMessage(
      'You have no maas-mcp role here. Ask an admin to add you (or one of your groups) to SLACK_ROLES.',
    );
  }
  let parsed: ParsedText;
  try {
    parsed = parseText(cmd.text);
  } catch (err) {
    return B.errorMessage((err as Error).message, 'Try `/maas help`.');
  }
  const mine = verbsFor(s, role);
  if (parsed.verb === 'help') return help(s, role, mine, parsed.positional[0]);
  parsed = twoWordVerb(s, parsed);
  const tool = mine.find((t) => t.verb === parsed.verb);
  if (!tool) return unknownVerb(s, role, parsed.verb, cmd.user_id);
  if (tool.secret) {
    return B.errorMessage(
      `\`/maas ${tool.verb}\` answers with a secret, which is never shown in Slack: ask for it over MCP.`,
    );
  }

  let args: Record<string, unknown>;
  try {
    const parsedArgs = tool.input.safeParse(toArgs(tool, parsed));
    if (!parsedArgs.success) return B.errorMessage(zodMessage(parsedArgs.error), usage(tool));
    args = parsedArgs.data as Record<string, unknown>;
  } catch (err) {
    if (err instanceof UsageError) return B.errorMessage(err.message, usage(tool));
    throw err;
  }

  const principal: Principal = { id: cmd.user_id, role, via: 'slack' };
  // People in Slack always confirm with buttons: every tool runs in token mode, and any confirmation its answer
  // holds (a destructive verb's own, or a nested one like `cancel … abort=true`) becomes a preview with buttons.
  // In Slack the gate answers with a token the Confirm button redeems: never elicitation, never Slack approval.
  const ctx: ToolContext = {
    deps: s.deps,
    principal,
    confirmMode: 'token',
    notifyTargets: [slackTarget(s, cmd)],
  };
  const outcome = await invokeTool(tool, args, ctx);
  if (!outcome.ok) return B.errorMessage(slackify(s, outcome.message));
  const held = heldConfirmation(outcome.out);
  if (held) return await offerConfirmation(s, tool, args, held, cmd, role);
  return await present(s, tool, outcome.out, cmd, `<@${cmd.user_id}>`);
}

/**
 * A verb typed as two words, the way it is said ("power off web-01" for `power-off`): read as the hyphenated verb
 * when that is one and the first word alone is not.
 */
function twoWordVerb(s: SlackContext, parsed: ParsedText): ParsedText {
  const [next, ...rest] = parsed.positional;
  if (next === undefined || s.tools.some((t) => t.verb === parsed.verb)) return parsed;
  const joined = `${parsed.verb}-${next.toLowerCase()}`;
  return s.tools.some((t) => t.verb === joined) ? { ...parsed, verb: joined, positional: rest } : parsed;
}

/** The tools with a Slack verb that this role may use here (MCP's own predicate). */
export function verbsFor(s: SlackContext, role: Role): AnyTool[] {
  const { toolsets, readOnly } = s.deps.config;
  return s.tools.filter((t) => t.slack !== undefined && isToolEnabled(t, { toolsets, readOnly, role }));
}

/** Where an operation started from a command (or a click on its preview) reports back. */
export function slackTarget(
  s: SlackContext,
  cmd: Pick<SlashCommand, 'channel_id' | 'user_id' | 'response_url'>,
): NotifyTarget {
  return {
    kind: 'slack',
    channel: cmd.channel_id,
    user: cmd.user_id,
    ...(cmd.response_url
      ? { response_url: cmd.response_url, response_url_expires_at: s.deps.clock.now() + RESPONSE_URL_TTL_MS }
      : {}),
  };
}

/**
 * The confirmation an answer holds, if any: the answer itself, or one of its top-level values (a nested action
 * such as `operation_cancel`'s `abort`). Its token must never reach the channel: it becomes buttons instead.
 */
function heldConfirmation(out: unknown): ActionResult | undefined {
  const asks = (v: unknown): v is ActionResult =>
    isActionResult(v) && v.status === 'confirmation_required' && !!v.confirm_token;
  if (asks(out)) return out;
  if (typeof out !== 'object' || out === null || Array.isArray(out)) return undefined;
  return Object.values(out).find(asks);
}

/**
 * Keeps the confirmation (its token, and the arguments — maybe user_data) sealed under a secret only the buttons
 * carry (./sealed.ts); answers with the preview and its buttons.
 */
async function offerConfirmation(
  s: SlackContext,
  tool: AnyTool,
  args: Record<string, unknown>,
  out: ActionResult,
  cmd: SlashCommand,
  role: Role,
): Promise<SlackMessage> {
  const nonce = newButtonSecret();
  const pending: PendingConfirmation = {
    tool: tool.name,
    args,
    user: cmd.user_id,
    role,
    channel: cmd.channel_id,
    token: out.confirm_token as string,
  };
  const expires = Date.parse(out.expires_at ?? '') || s.deps.clock.now() + 5 * 60_000;
  const sealed = await seal(nonce, JSON.stringify(pending));
  await s.deps.store.setValue(CONFIRM_KEY(await sealedName(nonce)), sealed, expires);
  return B.preview(out.action, out, nonce, tool.title);
}

/**
 * Shows a tool's answer. Writes go to the channel; when one started an operation it is posted with the bot so
 * the operation's progress can edit it and its completion notice can reply in its thread.
 */
export async function present(
  s: SlackContext,
  tool: AnyTool,
  out: unknown,
  cmd: Pick<SlashCommand, 'channel_id' | 'user_id'>,
  who: string,
): Promise<SlackMessage> {
  // Secret fields are never shown in Slack, whatever the view.
  const shown = withoutSecrets(tool, out);
  const view = tool.slack?.view ?? 'text';
  if (view === 'text' || typeof shown === 'string') {
    const text = typeof shown === 'string' ? `${tool.title}: ${SECRET_SHOWN}` : tool.render(shown);
    return tool.annotations.readOnlyHint ? B.plain(text) : B.plain(slackify(s, text), 'in_channel');
  }
  if (view !== 'action') return READ_VIEWS[view](shown as never);
  if (!isActionResult(shown)) return B.plain(slackify(s, tool.render(shown)), 'in_channel');
  return presentAction(s, tool, shown, cmd, who);
}

/** Block Kit for the views a tool may name for its answer (core/tool.ts View), but for text and action. */
const READ_VIEWS: Record<Exclude<View, 'text' | 'action'>, (out: never) => SlackMessage> = {
  'machine-list': B.machineList,
  'machine-card': B.machineCard,
  'fleet-summary': B.fleetSummary,
  'operation-list': B.operationsList,
  operation: (out: { operation: OperationView }) => ({
    ...B.operationStatus(out.operation),
    response_type: 'ephemeral',
  }),
};

/**
 * A machine action's outcome, for the channel: posted with the bot when it started an operation, so that the
 * operation's progress can edit it and its completion notice can reply in its thread.
 */
async function presentAction(
  s: SlackContext,
  tool: AnyTool,
  out: ActionResult,
  cmd: Pick<SlashCommand, 'channel_id' | 'user_id'>,
  who: string,
): Promise<SlackMessage> {
  const id = out.operation_id;
  const result = (how?: Parameters<typeof B.noticeFollowUp>[1]) =>
    B.actionResult(out, who, (text) => slackify(s, text), id && how ? B.noticeFollowUp(id, how) : undefined);
  // A write that achieved nothing (every machine refused) is an error for the person who asked, not news.
  if (tool.failed?.(out)) return { ...result(), response_type: 'ephemeral' };
  // No notice follows an operation that was over when MAAS answered (the result says how it ended).
  if (!id || (out.operation && out.operation.state !== 'running')) return result();
  if (!s.api) return result('no-bot');
  try {
    const posted = await s.api.postMessage(cmd.channel_id, result('thread'));
    await s.threads.attach(id, cmd.channel_id, posted.ts);
    return { text: '', delete_original: true };
  } catch (err) {
    // The bot may not be in this channel: answer through the response_url instead.
    s.deps.log.warn('could not post the result with the bot; answering through response_url', { error: err });
    return result(slackErrorCode(err) === 'not_in_channel' ? 'bot-not-in-channel' : 'channel');
  }
}

function isActionResult(out: unknown): out is ActionResult {
  return typeof out === 'object' && out !== null && 'succeeded' in out && 'status' in out;
}

/** Rewrites MCP tool names into the Slack commands that do the same (`machine_deploy` → `/maas deploy`). */
function slackify(s: SlackContext, text: string): string {
  let out = text;
  for (const t of s.tools)
    if (t.slack && out.includes(t.name)) out = out.split(t.name).join(`/maas ${t.verb}`);
  return out.replace(/pass (\w+): (true|false)/g, 'add $1=$2');
}

/** A command refused because the user has no role at all is audited too (before any tool is called). */
async function refusedAudit(
  s: SlackContext,
  user: string,
  role: Role | undefined,
  text: string,
  why: string,
) {
  const verb = (text.trim().split(/\s+/)[0] ?? '').toLowerCase();
  const tool = s.tools.find((t) => t.verb === verb);
  await recordAudit(
    { deps: s.deps, principal: { id: user, role: role ?? 'viewer', via: 'slack' } },
    {
      tool: tool?.name ?? 'slack',
      args: {},
      result: 'refused',
      detail: `/maas ${verb}: ${why}`,
      targets: [],
    },
  );
}

async function help(s: SlackContext, role: Role, mine: AnyTool[], verb?: string): Promise<SlackMessage> {
  if (verb) {
    const tool = mine.find((t) => t.verb === verb.toLowerCase());
    if (!tool) return unknownVerb(s, role, verb.toLowerCase());
    return {
      response_type: 'ephemeral',
      text: usage(tool),
      blocks: [
        B.section(`${usage(tool)}\n${B.esc(slackify(s, tool.description))}`),
        B.section(fieldHelp(tool).map(B.esc).join('\n')),
      ],
    };
  }
  const byToolset = new Map<string, string[]>();
  for (const t of mine) {
    const list = byToolset.get(t.toolset) ?? [];
    list.push(`\`${t.verb}\` ${B.esc(t.title)}${t.annotations.destructiveHint ? ' :warning:' : ''}`);
    byToolset.set(t.toolset, list);
  }
  const blocks = [...byToolset].map(([set, items]) => B.section(`*${set}*\n${items.join(' · ')}`));
  blocks.push(
    B.context(
      `Your role: *${role}*${s.deps.config.readOnly ? ' (read-only mode)' : ''}. \`/maas help <verb>\` for details. :warning: asks for confirmation. Two-word verbs also work with a space (\`power off\`).`,
    ),
  );
  return {
    response_type: 'ephemeral',
    text: 'maas-mcp commands',
    blocks: [B.section('*/maas* — your MAAS fleet from Slack'), ...blocks],
  };
}

/**
 * A verb this user may not run: said in Slack's words (read-only mode, the role it needs), and — when they tried
 * to run it — refused and audited by the one path, as any refused call is. Otherwise an unknown command.
 */
async function unknownVerb(s: SlackContext, role: Role, verb: string, user?: string): Promise<SlackMessage> {
  const tool = s.tools.find((t) => t.verb === verb && t.slack !== undefined);
  let why: string | undefined;
  if (tool && s.deps.config.readOnly && !tool.annotations.readOnlyHint) {
    why = `\`/maas ${verb}\` is not available: maas-mcp runs read-only here.`;
  } else if (tool && !roleAtLeast(role, tool.minRole)) {
    why = `\`/maas ${verb}\` needs the ${tool.minRole} role; your role is ${role}.`;
  }
  if (!tool) {
    // A tool Slack never offers (a kubeconfig is a secret; a workflow file does not fit a command): said so.
    const elsewhere = s.tools.find(
      (t) => t.verb === verb && t.slack === undefined && s.deps.config.toolsets.has(t.toolset),
    );
    if (elsewhere) {
      return B.errorMessage(
        `\`/maas ${verb}\` is not offered in Slack: ask an MCP client for \`${elsewhere.name}\`.`,
      );
    }
  }
  if (!tool || !why) return B.errorMessage(`Unknown command \`${verb}\`.`, 'Try `/maas help` for the list.');
  if (user) await invokeTool(tool, {}, { deps: s.deps, principal: { id: user, role, via: 'slack' } });
  return B.errorMessage(why);
}
