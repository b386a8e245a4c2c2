/**
 * Slack's App Home (README "Status page"): the status page's summary for the person who opens it — the fleet's
 * counts (the `/maas status` summary), their running operations with a progress bar per machine, and the agents'
 * calls waiting for them with Approve / Deny (decided by core/approvals.ts, as the buttons in the notify channel
 * and the status page are). Published with views.publish when they open it, and again when something changes while
 * they may still be looking. Opening the Messages tab gets the same summary as a message, at most once in a while.
 */

import { progressBar } from '../base/bar.ts';
import type { Role } from '../config.ts';
import { approveHeld, denyHeld, describeDecision, heldCalls, mayDecide } from '../core/approvals.ts';
import { invokeTool } from '../core/invoke.ts';
import { judgedAs, kindLabel, successWord } from '../core/operations/kinds.ts';
import type { OperationListener } from '../core/operations/notify.ts';
import { targetProgress } from '../core/operations/progress.ts';
import type { Operation } from '../store/types.ts';
import type { SlackMessage } from './blocks.ts';
import * as B from './blocks.ts';
import { decider, type SlackContext } from './context.ts';

/** The Events API's app_home_opened, as far as maas-mcp reads it. */
export interface HomeOpened {
  type: 'app_home_opened';
  user: string;
  /** `home` or `messages`. */
  tab?: string;
  /** The app's DM channel with the user (the Messages tab). */
  channel?: string;
}

/** Who opened the home tab lately (user → until when a change republishes it), one record for every process. */
const VIEWERS_KEY = 'slack:home:viewers';
/** How long after opening the home tab a person's view is kept fresh. */
const HOME_FRESH_MS = 60 * 60_000;
/** At most one republish per person in this long (a 40-machine deploy changes often). */
const REPUBLISH_EVERY_MS = 5_000;
/** The Messages tab's summary is posted at most once in this long per person. */
const MESSAGE_EVERY_MS = 10 * 60_000;
const OPS_SHOWN = 5;
const TARGETS_SHOWN = 10;
const APPROVALS_SHOWN = 10;

/** The blocks of `userId`'s home: counts, their running operations, approvals waiting for them; `note` on top. */
async function homeBlocks(s: SlackContext, userId: string, note?: string): Promise<SlackMessage> {
  const role = await s.roles.roleOf(userId);
  const blocks: NonNullable<SlackMessage['blocks']> = [];
  if (note) blocks.push(B.section(B.esc(note)));
  blocks.push({ type: 'header', text: { type: 'plain_text', text: 'MAAS fleet' } });
  if (!role) {
    blocks.push(B.section('You have no maas-mcp role: ask an admin to add you to SLACK_ROLES.'));
    return { text: 'MAAS fleet', blocks };
  }
  blocks.push(...(await summaryBlocks(s, userId, role)));
  const mine = (await s.deps.store.runningOperations()).filter(
    (op) => op.requester.via === 'slack' && op.requester.principal === userId,
  );
  blocks.push({ type: 'divider' }, B.section(`*Your running operations* (${mine.length})`));
  if (mine.length === 0) blocks.push(B.context('None.'));
  for (const op of mine.slice(0, OPS_SHOWN)) blocks.push(B.section(operationLines(op)));
  const waiting = (await heldCalls(s.deps)).filter((op) => mayDecide(s.tools, op, role));
  blocks.push({ type: 'divider' }, B.section(`*Waiting for your approval* (${waiting.length})`));
  if (waiting.length === 0) blocks.push(B.context('Nothing.'));
  for (const op of waiting.slice(0, APPROVALS_SHOWN)) {
    const who = `${op.requester.principal} (${op.requester.via})`;
    const machines = op.targets.map((t) => `*${B.esc(t.hostname)}* ${B.esc(t.start_status)}`).join(', ');
    blocks.push(
      B.section(`:passport_control: *${B.esc(op.summary)}*\n${B.esc(who)} asks · ${machines}`),
      B.buttons(
        op.id,
        'maas:home-approve',
        'Approve',
        'maas:home-deny',
        'Deny',
        `${who} asks to ${op.summary}. Approve?`,
      ),
      B.context(`operation \`${op.id}\` · expires ${new Date(op.deadline_at).toISOString()}`),
    );
  }
  return { text: 'MAAS fleet', blocks };
}

/** How long one reading of the fleet serves every home (MAAS has no pagination: a large fleet is a large read). */
const SUMMARY_FOR_MS = 15_000;
const summaries = new WeakMap<SlackContext, { at: number; blocks: Promise<Block[]> }>();
type Block = NonNullable<SlackMessage['blocks']>[number];

/** The fleet's counts and what needs attention: the `/maas status` summary (read-only, every role may see it). */
function summaryBlocks(s: SlackContext, userId: string, role: Role): Promise<Block[]> {
  const now = s.deps.clock.now();
  const cached = summaries.get(s);
  if (cached && now - cached.at < SUMMARY_FOR_MS) return cached.blocks;
  const blocks = (async () => {
    const tool = s.tools.find((t) => t.name === 'fleet_summary');
    if (!tool) return [];
    const out = await invokeTool(tool, {}, { deps: s.deps, principal: { id: userId, role, via: 'slack' } });
    if (!out.ok) return [B.section(`:warning: ${B.esc(out.message)}`)];
    return B.fleetSummary(out.out as Parameters<typeof B.fleetSummary>[0]).blocks ?? [];
  })();
  summaries.set(s, { at: now, blocks });
  blocks.catch(() => summaries.delete(s));
  return blocks;
}

function operationLines(op: Operation): string {
  const done = op.targets.filter((t) => t.result === 'succeeded').length;
  const head = `*${B.esc(kindLabel(op.kind))}* \`${op.id}\` ${done}/${op.targets.length} ${successWord(judgedAs(op))}`;
  const rows = op.targets.slice(0, TARGETS_SHOWN).map((t) => {
    const bar = progressBar(targetProgress(judgedAs(op), t), 100, 10);
    const msg = t.error ?? (t.status_message && t.status_message !== t.status ? t.status_message : '');
    return `\`${bar}\` *${B.esc(t.hostname)}* ${B.esc(t.status)}${msg ? ` — ${B.esc(msg)}` : ''}`;
  });
  const more = op.targets.length - TARGETS_SHOWN;
  return [head, ...rows, ...(more > 0 ? [`… and ${more} more`] : [])].join('\n');
}

/** Publishes `userId`'s home, and keeps it fresh for a while. */
async function publishHome(s: SlackContext, userId: string, note?: string): Promise<void> {
  if (!s.api) return;
  const msg = await homeBlocks(s, userId, note);
  await s.api.publishView(userId, { type: 'home', blocks: msg.blocks });
}

/** A person opened the app: the Home tab is published; the Messages tab gets the summary (not too often). */
export async function homeOpened(s: SlackContext, e: HomeOpened): Promise<void> {
  if (!s.api || !/^[UW][A-Z0-9]+$/.test(e.user)) return;
  const now = s.deps.clock.now();
  if (e.tab === 'messages') {
    if (!e.channel) return;
    if (!(await s.deps.store.addValue(`slack:home:message:${e.user}`, '1', now + MESSAGE_EVERY_MS))) return;
    await s.api.postMessage(e.channel, await homeBlocks(s, e.user));
    return;
  }
  await remember(s, e.user, now);
  await publishHome(s, e.user);
}

async function viewers(s: SlackContext): Promise<Record<string, number>> {
  try {
    return JSON.parse((await s.deps.store.getValue(VIEWERS_KEY)) ?? '{}') as Record<string, number>;
  } catch {
    return {};
  }
}

async function remember(s: SlackContext, user: string, now: number): Promise<void> {
  const all = await viewers(s);
  const fresh = Object.fromEntries(Object.entries(all).filter(([, until]) => until > now));
  fresh[user] = now + HOME_FRESH_MS;
  await s.deps.store.setValue(VIEWERS_KEY, JSON.stringify(fresh));
}

/** A click on Approve or Deny in someone's home: decided as everywhere else, and their home says what came of it. */
export async function homeDecision(
  s: SlackContext,
  action: 'maas:home-approve' | 'maas:home-deny',
  opId: string,
  userId: string,
): Promise<void> {
  const who = await decider(s, userId);
  const key = s.deps.sealKey;
  const out =
    action === 'maas:home-deny'
      ? await denyHeld(s.deps, s.tools, opId, who)
      : key
        ? await approveHeld(s.deps, s.tools, opId, { serverKey: key }, who)
        : ({ kind: 'refused', message: 'Approve this from its message in the notify channel.' } as const);
  summaries.delete(s);
  await publishHome(s, userId, describeDecision(opId, out));
  await refreshHomes(s, userId, true);
}

/**
 * Republishes the home of everyone who opened it lately (but `except`), each at most every few seconds unless
 * `always` (an operation finished: its outcome must not wait for the next change).
 */
export async function refreshHomes(s: SlackContext, except?: string, always = false): Promise<void> {
  if (!s.api) return;
  const now = s.deps.clock.now();
  for (const [user, until] of Object.entries(await viewers(s))) {
    if (until <= now || user === except) continue;
    if (!always && now - (lastPublished.get(s)?.get(user) ?? 0) < REPUBLISH_EVERY_MS) continue;
    const seen = lastPublished.get(s) ?? new Map<string, number>();
    seen.set(user, now);
    lastPublished.set(s, seen);
    await publishHome(s, user).catch((err) =>
      s.deps.log.warn('could not refresh a Slack App Home', { user, error: err }),
    );
  }
}

const lastPublished = new WeakMap<SlackContext, Map<string, number>>();

/** Keeps open homes fresh as operations move (subscribe it where the poller runs, beside the notices). */
export function homeRefresher(s: SlackContext): OperationListener {
  return {
    progress: () => refreshHomes(s),
    finished: () => refreshHomes(s, undefined, true),
  };
}
