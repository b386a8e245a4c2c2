/**
 * Button clicks: Confirm/Cancel on a destructive preview, Approve/Deny on an agent's request. Only the requester
 * (or a maas-mcp admin) confirms; confirming re-checks the machines (the confirm token is refused if anything
 * changed); a confirmation works once and expires with its token.
 */

import { type Principal, roleAtLeast } from '../core/access.ts';
import { recordAudit } from '../core/audit.ts';
import type { ToolContext } from '../core/deps.ts';
import { invokeTool } from '../core/invoke.ts';
import { approve, deny } from './approval.ts';
import type { SlackMessage } from './blocks.ts';
import * as B from './blocks.ts';
import { CONFIRM_KEY, type PendingConfirmation, present, slackTarget } from './commands.ts';
import type { SlackContext } from './context.ts';
import { homeDecision } from './home.ts';
import { isButtonSecret, sealedName, unseal } from './sealed.ts';

/** The parts of a block_actions payload maas-mcp reads. */
export interface InteractionPayload {
  type: string;
  user: { id: string };
  actions?: { action_id: string; value?: string }[];
  response_url?: string;
  channel?: { id: string };
}

/**
 * What to answer a click with: `replace` rewrites the clicked message (runSlackJob sets replace_original);
 * `ephemeral` tells only the clicker (the message stays as it is).
 */
export type InteractionAnswer = { replace: SlackMessage } | { ephemeral: string } | undefined;

export async function handleInteraction(s: SlackContext, p: InteractionPayload): Promise<InteractionAnswer> {
  const action = p.actions?.[0];
  if (p.type !== 'block_actions' || !action?.action_id.startsWith('maas:')) return undefined;
  const value = action.value ?? '';
  switch (action.action_id) {
    case 'maas:confirm':
      return confirm(s, value, p);
    case 'maas:cancel':
      return cancel(s, value, p.user.id);
    case 'maas:approve':
    case 'maas:deny': {
      const answer = await (action.action_id === 'maas:approve' ? approve : deny)(s, value, p.user.id);
      return 'ephemeral' in answer ? answer : { replace: answer };
    }
    case 'maas:home-approve':
    case 'maas:home-deny':
      // From someone's App Home: the answer is their home, published again with what came of it.
      await homeDecision(s, action.action_id, value, p.user.id);
      return undefined;
    default:
      return { ephemeral: `Unknown action ${action.action_id}.` };
  }
}

/** The confirmation behind a button, opened with the secret only the button carries. */
async function pending(
  s: SlackContext,
  nonce: string,
): Promise<(PendingConfirmation & { key: string }) | undefined> {
  if (!isButtonSecret(nonce)) return undefined;
  const key = CONFIRM_KEY(await sealedName(nonce));
  const sealed = await s.deps.store.getValue(key);
  const raw = sealed === undefined ? undefined : await unseal(nonce, sealed);
  return raw === undefined ? undefined : { ...(JSON.parse(raw) as PendingConfirmation), key };
}

const GONE: InteractionAnswer = {
  replace: {
    text: 'This confirmation expired or was already used.',
    blocks: [
      B.section(
        ':hourglass: This confirmation expired or was already used — nothing was changed. Run the command again for a new preview.',
      ),
    ],
  },
};

async function confirm(s: SlackContext, nonce: string, p: InteractionPayload): Promise<InteractionAnswer> {
  const held = await pending(s, nonce);
  if (!held) return GONE;
  const clicker = p.user.id;
  const clickerRole = await s.roles.roleOf(clicker);
  if (clicker !== held.user && clickerRole !== 'admin') {
    await recordAudit(
      { deps: s.deps, principal: { id: clicker, role: clickerRole ?? 'viewer', via: 'slack' } },
      {
        tool: held.tool,
        args: {},
        result: 'refused',
        detail: `confirmation by <@${clicker}> refused: it belongs to <@${held.user}>`,
        targets: [],
      },
    );
    return { ephemeral: `Only <@${held.user}> (who asked) or a maas-mcp admin can confirm this.` };
  }
  // A confirmation works once.
  await s.deps.store.deleteValue(held.key);
  const tool = s.tools.find((t) => t.name === held.tool);
  if (!tool) return GONE;
  // Roles can change within the 5 minutes: the requester must still be allowed to do this now.
  const role = await s.roles.roleOf(held.user);
  if (!role || !roleAtLeast(role, tool.minRole)) {
    return {
      replace: B.errorMessage(`Not done: <@${held.user}> no longer has the ${tool.minRole} role this needs.`),
    };
  }
  if (clicker !== held.user) {
    await recordAudit(
      { deps: s.deps, principal: { id: clicker, role: clickerRole ?? 'viewer', via: 'slack' } },
      {
        tool: held.tool,
        args: {},
        result: 'approved',
        detail: `confirmed <@${held.user}>'s preview`,
        targets: [],
      },
    );
  }
  const principal: Principal = { id: held.user, role, via: 'slack' };
  const ctx: ToolContext = {
    deps: s.deps,
    confirmMode: 'token',
    principal,
    notifyTargets: [
      slackTarget(s, {
        channel_id: held.channel,
        user_id: held.user,
        ...(p.response_url ? { response_url: p.response_url } : {}),
      }),
    ],
  };
  const outcome = await invokeTool(tool, { ...held.args, confirm_token: held.token }, ctx);
  if (!outcome.ok) return { replace: B.errorMessage(outcome.message) };
  const who = clicker === held.user ? `<@${held.user}>` : `<@${held.user}> (confirmed by <@${clicker}>)`;
  return {
    replace: await present(s, tool, outcome.out, { channel_id: held.channel, user_id: held.user }, who),
  };
}

async function cancel(s: SlackContext, nonce: string, clicker: string): Promise<InteractionAnswer> {
  const held = await pending(s, nonce);
  if (!held) return GONE;
  const role = await s.roles.roleOf(clicker);
  if (clicker !== held.user && role !== 'admin') {
    await recordAudit(
      { deps: s.deps, principal: { id: clicker, role: role ?? 'viewer', via: 'slack' } },
      {
        tool: held.tool,
        args: {},
        result: 'refused',
        detail: `cancel by <@${clicker}> refused: it belongs to <@${held.user}>`,
        targets: [],
      },
    );
    return { ephemeral: `Only <@${held.user}> or an admin can cancel this.` };
  }
  await s.deps.store.deleteValue(held.key);
  await recordAudit(
    { deps: s.deps, principal: { id: held.user, role: held.role, via: 'slack' } },
    {
      tool: held.tool,
      args: held.args,
      result: 'cancelled',
      detail: `cancelled in Slack by <@${clicker}>`,
      targets: [],
    },
  );
  return {
    replace: {
      text: 'Cancelled — nothing was changed.',
      blocks: [B.section(`:no_entry_sign: Cancelled by <@${clicker}> — nothing was changed.`)],
    },
  };
}
