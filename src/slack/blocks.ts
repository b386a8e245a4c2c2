/**
 * Block Kit for /maas: compact lists with counts, machine cards, the fleet summary, action results, previews with
 * Confirm/Cancel, operation progress and approval requests. Slack limits (50 blocks, 3,000 characters a text)
 * are respected by truncating with a "… and N more" line rather than failing.
 */
import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { kindLabel } from '../core/operations/kinds.ts';
import type { OperationView } from '../core/operations/view.ts';
import type { PreviewRow } from '../core/plan.ts';
import type { ActionResult } from '../core/result.ts';
import { NodeStatus, parseStatus, type SimpleStatus, simpleStatus } from '../maas/status.ts';
import type { OperationKind, OperationState, TargetResult } from '../store/types.ts';
import type { MachineRow } from '../tools/common.ts';
import { gib } from '../tools/common.ts';
import type { MachineDetail } from '../tools/detail.ts';

export interface SlackMessage {
  response_type?: 'ephemeral' | 'in_channel';
  text: string;
  blocks?: KnownBlock[];
  replace_original?: boolean;
  delete_original?: boolean;
}

const TEXT_MAX = 2_900;

/** Slack's mrkdwn needs &, < and > escaped; everything a user or MAAS wrote goes through this. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const BUSY = ':hourglass_flowing_sand:';

const FAMILY_EMOJI: Record<SimpleStatus, string> = {
  failed: ':red_circle:',
  deployed: ':large_green_circle:',
  ready: ':white_circle:',
  allocated: ':large_blue_circle:',
  broken: ':hammer_and_wrench:',
  new: ':new:',
  rescue_mode: ':ambulance:',
  commissioning: BUSY,
  deploying: BUSY,
  releasing: BUSY,
  testing: BUSY,
  other: ':black_circle:',
};

/** A machine status label (as MAAS names it) as an emoji of its family (MAAS's simplified statuses). */
export function emoji(status: string): string {
  const s = parseStatus(status);
  if (s === undefined) return FAMILY_EMOJI.other;
  // Entering and leaving rescue mode are on their way, like the other transitional statuses.
  if (s === NodeStatus.ENTERING_RESCUE_MODE || s === NodeStatus.EXITING_RESCUE_MODE) return BUSY;
  return FAMILY_EMOJI[simpleStatus(s)];
}

/** A machine's result within an operation. */
const RESULT_EMOJI: Record<TargetResult, string> = {
  succeeded: ':white_check_mark:',
  failed: ':x:',
  pending: BUSY,
  timed_out: ':alarm_clock:',
  cancelled: ':no_entry_sign:',
};

/** An operation's state (headings, lists). */
function stateEmoji(state: OperationState): string {
  switch (state) {
    case 'running':
      return BUSY;
    case 'awaiting_approval':
      return ':passport_control:';
    case 'partial':
      return ':warning:';
    default:
      return RESULT_EMOJI[state];
  }
}

/** "deploy", "power on", "enter rescue mode". */
const kind = (k: string) => kindLabel(k as OperationKind);

export const section = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text) },
});
export const context = (text: string): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clip(text) }],
});

/** Lines as one monospace block, cut to Slack's limit with a count of what was left out. */
export function lines(rows: readonly string[], more = 0): string {
  return fitLines(rows, more).text;
}

/**
 * As many rows as fit in one monospace block, and how many that was (a "… and N more" line counts the rest); the
 * first `header` rows are headings, always shown and never counted.
 */
function fitLines(rows: readonly string[], more = 0, header = 0): { text: string; shown: number } {
  const out: string[] = [];
  let size = 8;
  let left = more;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as string;
    if (size + row.length + 1 > TEXT_MAX - 40) {
      left += rows.length - i;
      break;
    }
    out.push(row);
    size += row.length + 1;
  }
  const shown = Math.max(0, out.length - header);
  if (left > 0) out.push(`… and ${left} more`);
  return { text: `\`\`\`${out.join('\n')}\`\`\``, shown };
}

function clip(text: string): string {
  return text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text;
}

export function errorMessage(message: string, usage?: string): SlackMessage {
  const blocks = [section(`:warning: ${esc(message)}`)];
  if (usage) blocks.push(context(usage));
  return { response_type: 'ephemeral', text: message, blocks };
}

export function machineList(out: {
  total: number;
  offset: number;
  returned: number;
  more: boolean;
  next_offset: number | null;
  rows: readonly MachineRow[];
}): SlackMessage {
  if (out.total === 0) {
    return {
      response_type: 'ephemeral',
      text: 'No machines match.',
      blocks: [section('No machines match.')],
    };
  }
  const rows = machineTable(out.rows);
  // One message holds about 30 rows: page from what is actually shown, so no machine is ever skipped.
  const { text, shown } = fitLines(rows, 0, 1);
  const last = out.offset + shown;
  const head = `*Machines ${out.offset + 1}–${last} of ${out.total}*`;
  const blocks = [section(head), section(text)];
  if (last < out.total) blocks.push(context(`More: \`/maas list offset=${last}\` (with the same filters)`));
  return { response_type: 'ephemeral', text: `Machines ${out.offset + 1}–${last} of ${out.total}`, blocks };
}

/** Widest a cell of these columns gets (longer values are cut with "…"); the others are short by nature. */
const CELL_MAX: Partial<Record<number, number>> = { 0: 28, 4: 14, 5: 24, 9: 28 };

/**
 * Machines as a table for a monospace block: a header row, then one row per machine, each column as wide as its
 * widest value (or header) so long statuses and `unknown` power keep the columns aligned; tags trimmed to whole
 * tags and a "+N" count. Escaped after padding: Slack shows `&amp;` as one character.
 */
export function machineTable(rows: readonly MachineRow[]): string[] {
  const head = [
    'HOSTNAME',
    'SYSTEM_ID',
    'STATUS',
    'POWER',
    'OWNER',
    'ZONE/POOL',
    'ARCH',
    'CPU',
    'MEM',
    'TAGS',
  ];
  const cells = rows.map(([host, id, status, power, owner, zone, pool, arch, cpus, mem, tags]) => [
    host,
    id,
    status,
    power,
    owner ?? '-',
    `${zone}/${pool}`,
    arch.replace(/\/generic$/, ''),
    String(cpus),
    gib(mem),
    tagCell(tags, CELL_MAX[9] as number),
  ]);
  const clipped = cells.map((r) => r.map((c, i) => cut(c, CELL_MAX[i])));
  const widths = head.map((h, i) => Math.max(h.length, ...clipped.map((r) => (r[i] as string).length)));
  const right = new Set([7, 8]);
  const line = (r: readonly string[]) =>
    esc(
      r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
    );
  return [line(head), ...clipped.map(line)];
}

function cut(text: string, max: number | undefined): string {
  return max !== undefined && text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Tags as "a,b,c", or as many whole tags as fit in `max` and "+N" for the rest; "-" for none. */
function tagCell(tags: readonly string[], max: number): string {
  if (tags.length === 0) return '-';
  const all = tags.join(',');
  if (all.length <= max) return all;
  for (let n = tags.length - 1; n > 0; n--) {
    const text = `${tags.slice(0, n).join(',')},+${tags.length - n}`;
    if (text.length <= max) return text;
  }
  // Even the first tag does not fit whole: cut it, and still count the rest.
  const rest = tags.length > 1 ? `,+${tags.length - 1}` : '';
  return `${cut(tags[0] as string, max - rest.length)}${rest}`;
}

export function machineCard(d: MachineDetail): SlackMessage {
  const m = d.machine;
  const fields = [
    `*Status*\n${emoji(m.status)} ${esc(m.status)}${m.locked ? ' :lock:' : ''}`,
    `*Power*\n${m.power_state} (${esc(m.power_type || 'none')})`,
    `*Owner*\n${esc(m.owner ?? '—')}`,
    `*Zone / pool*\n${esc(m.zone)} / ${esc(m.pool)}`,
    `*Hardware*\n${esc(m.architecture)}, ${m.cpu_count} CPUs, ${gib(m.memory_mib)}, ${m.storage_gb} GB`,
    `*OS*\n${esc(m.os || '—')}`,
  ];
  const blocks: KnownBlock[] = [
    section(
      `*${esc(m.hostname)}* \`${m.system_id}\`${m.status_message && m.status_message !== m.status ? ` — ${esc(m.status_message)}` : ''}`,
    ),
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn' as const, text })) },
  ];
  if (m.error_description) blocks.push(section(`:warning: ${esc(m.error_description)}`));
  const extra = [
    m.tags.length ? `tags: ${esc(m.tags.join(', '))}` : '',
    m.ip_addresses.length ? `IPs: ${esc(m.ip_addresses.join(', '))}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  if (extra) blocks.push(context(extra));
  return { response_type: 'ephemeral', text: `${m.hostname}: ${m.status}`, blocks };
}

export function fleetSummary(out: {
  total: number;
  by_status: Record<string, number>;
  by_zone: Record<string, number>;
  by_power: Record<string, number>;
  needs_attention: { hostname: string; status: string; message: string }[];
  in_progress: { hostname: string; status: string; message: string }[];
}): SlackMessage {
  const counts = Object.entries(out.by_status)
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `${emoji(s)} ${esc(s)} *${n}*`)
    .join('   ');
  const blocks: KnownBlock[] = [section(`*${out.total} machines*\n${counts}`)];
  const zones = Object.entries(out.by_zone)
    .map(([z, n]) => `${esc(z)} ${n}`)
    .join(' · ');
  const power = Object.entries(out.by_power)
    .map(([p, n]) => `${p} ${n}`)
    .join(' · ');
  blocks.push(context(`zones: ${zones} | power: ${power}`));
  if (out.needs_attention.length) {
    blocks.push(
      section(
        `*Needs attention*\n${out.needs_attention.map((m) => `${emoji(m.status)} *${esc(m.hostname)}* ${esc(m.status)}${m.message ? ` — ${esc(m.message)}` : ''}`).join('\n')}`,
      ),
    );
  }
  if (out.in_progress.length) {
    blocks.push(
      section(
        `*In progress*\n${out.in_progress.map((m) => `${emoji(m.status)} *${esc(m.hostname)}* ${esc(m.status)}${m.message ? ` — ${esc(m.message)}` : ''}`).join('\n')}`,
      ),
    );
  }
  return { response_type: 'ephemeral', text: `${out.total} machines`, blocks };
}

/**
 * The outcome of a write, for the channel to see; `fix` adapts texts written for MCP (tool names) to Slack;
 * `followUp` says where its completion notice will come, if one will (see {@link noticeFollowUp}).
 */
export function actionResult(
  out: ActionResult,
  who: string,
  fix: (text: string) => string = (t) => t,
  followUp?: string,
): SlackMessage {
  const rows = [
    ...out.succeeded.map(
      (r) =>
        `${emoji(r.after)} *${esc(r.hostname)}* ${esc(r.before)} → ${esc(r.after)}${r.note ? ` (${esc(r.note)})` : ''}`,
    ),
    ...out.skipped.map((r) => `:heavy_minus_sign: *${esc(r.hostname)}* skipped: ${esc(fix(r.reason))}`),
    ...out.failed.map((r) => `:x: *${esc(r.hostname)}* ${esc(fix(r.error))}`),
    ...out.not_found.map((w) => `:grey_question: "${esc(w)}" not found`),
  ];
  const blocks: KnownBlock[] = [section(`${who}: *${esc(out.summary)}*`)];
  if (rows.length) blocks.push(section(rows.join('\n')));
  const foot = [
    out.note ? esc(fix(out.note)) : '',
    out.operation_id ? `operation \`${out.operation_id}\`${followUp ? ` — ${followUp}` : ''}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  if (foot) blocks.push(context(foot));
  return { response_type: 'in_channel', text: out.summary, blocks };
}

/**
 * Where the completion notice of an operation started from Slack will come — the truth for each way it can go:
 * in the result's thread (posted with the bot), or only through the command's response_url, which Slack keeps
 * for 30 minutes (no bot token, or the bot is not in the channel).
 */
export function noticeFollowUp(
  operationId: string,
  how: 'thread' | 'channel' | 'no-bot' | 'bot-not-in-channel',
): string {
  const follow = `follow it with \`/maas op ${operationId}\``;
  switch (how) {
    case 'thread':
      return 'a notice follows in this thread when MAAS has finished';
    case 'channel':
      return 'a notice follows in this channel when MAAS has finished';
    case 'no-bot':
      return `a notice follows here only if it ends within 30 minutes (without a bot token, Slack lets maas-mcp answer a command for 30 minutes); otherwise ${follow}`;
    case 'bot-not-in-channel':
      return `the bot is not in this channel, so a notice follows here only if it ends within 30 minutes; invite the bot, or ${follow}`;
  }
}

/**
 * The preview rows, as many sections as they need: a row per machine, and a long preview (a layout on each of twenty
 * machines) goes on in the next section rather than being cut at Slack's limit on one.
 */
function previewSections(rows: readonly PreviewRow[]): KnownBlock[] {
  const lines = rows.map((r) => {
    const mark =
      r.verdict === 'run' ? emoji(r.status) : r.verdict === 'skip' ? ':heavy_minus_sign:' : ':no_entry:';
    return `${mark} *${esc(r.hostname)}* ${esc(r.status)}, power ${r.power}${r.owner ? `, owner ${esc(r.owner)}` : ''} → ${esc(r.effect)}`;
  });
  const chunks: string[] = [];
  for (const line of lines) {
    const last = chunks.at(-1);
    if (last !== undefined && last.length + line.length + 1 <= TEXT_MAX)
      chunks[chunks.length - 1] = `${last}\n${line}`;
    else chunks.push(line);
  }
  // Slack takes 50 blocks a message; the rest of a very long preview is cut in its last section.
  const kept = chunks.slice(0, PREVIEW_SECTIONS);
  if (chunks.length > PREVIEW_SECTIONS) kept[kept.length - 1] = `${kept.at(-1)}\n…`;
  return (kept.length ? kept : ['']).map(section);
}

const PREVIEW_SECTIONS = 40;

/** The ephemeral preview of a destructive command, with Confirm (danger, with a dialog) and Cancel. */
export function preview(verb: string, out: ActionResult, nonce: string, label: string): SlackMessage {
  const n = (out.preview ?? []).filter((r) => r.verdict === 'run').length;
  const title = `${verb[0]?.toUpperCase()}${verb.slice(1)} ${n} machine${n === 1 ? '' : 's'}?`;
  const blocks: KnownBlock[] = [
    section(`:warning: *${esc(title)}* Nothing has changed yet.`),
    ...previewSections(out.preview ?? []),
  ];
  if (out.not_found.length) blocks.push(context(`not found: ${esc(out.not_found.join(', '))}`));
  blocks.push(buttons(nonce, 'maas:confirm', label, 'maas:cancel', 'Cancel', title));
  blocks.push(context('Only you (or a maas-mcp admin) can confirm; this expires in 5 minutes.'));
  return { response_type: 'ephemeral', text: title, blocks };
}

export function buttons(
  value: string,
  goId: string,
  goLabel: string,
  stopId: string,
  stopLabel: string,
  question: string,
): ActionsBlock {
  const go: Button = {
    type: 'button',
    action_id: goId,
    value,
    style: 'danger',
    text: { type: 'plain_text', text: goLabel },
    confirm: {
      title: { type: 'plain_text', text: 'Are you sure?' },
      text: { type: 'mrkdwn', text: clip(esc(question)) },
      confirm: { type: 'plain_text', text: goLabel },
      deny: { type: 'plain_text', text: 'Back' },
      style: 'danger',
    },
  };
  const stop: Button = {
    type: 'button',
    action_id: stopId,
    value,
    text: { type: 'plain_text', text: stopLabel },
  };
  return { type: 'actions', elements: [go, stop] };
}

/** An agent's destructive call, put to people in the notify channel; `value` is what its buttons carry. */
export function approvalRequest(
  view: OperationView,
  requester: string,
  verb: string,
  rows: readonly PreviewRow[],
  value: string = view.id,
  need?: { approvers: number; rules: string[]; reason?: string },
): SlackMessage {
  const n = rows.filter((r) => r.verdict === 'run').length;
  const title = `${esc(requester)} asks to ${esc(verb)} ${n} machine${n === 1 ? '' : 's'}`;
  const policy = need
    ? [
        context(
          `Policy: ${esc(need.reason ?? `rule ${need.rules.join(', ')}`)}${need.approvers > 1 ? ` — needs ${need.approvers} approvals from different people, not the requester` : ''}`,
        ),
      ]
    : [];
  return {
    text: title,
    blocks: [
      section(`:passport_control: *${title}*`),
      ...policy,
      ...previewSections(rows),
      buttons(value, 'maas:approve', 'Approve', 'maas:deny', 'Deny', `${title}. Approve?`),
      context(`operation \`${view.id}\` · expires ${view.deadline_at}`),
    ],
  };
}

/** Where an operation stands: one message, edited as machines move on. */
export function operationStatus(view: OperationView, mention?: string): SlackMessage {
  const head = `${stateEmoji(view.state)} *${esc(kind(view.kind))}* \`${view.id}\` ${view.state}: ${view.counts.succeeded}/${view.counts.total} done${view.counts.failed ? `, ${view.counts.failed} failed` : ''}${view.counts.timed_out ? `, ${view.counts.timed_out} timed out` : ''}`;
  const rows = view.targets.map(
    (t) =>
      `${RESULT_EMOJI[t.result as TargetResult] ?? ''} *${esc(t.hostname)}* ${esc(t.status)}${t.error ? ` — ${esc(t.error)}` : t.result === 'pending' && t.message ? ` (${esc(t.message)})` : ''}`,
  );
  const blocks = [section(`${mention ? `${mention} ` : ''}${head}`), section(rows.join('\n'))];
  const reasons = view.targets.flatMap((t) =>
    t.events?.[0]
      ? [
          `${esc(t.hostname)}: ${esc(t.events[0].type)}${t.events[0].description ? ` — ${esc(t.events[0].description)}` : ''}`,
        ]
      : [],
  );
  if (reasons.length) blocks.push(context(reasons.join(' · ')));
  return { text: `${kind(view.kind)} ${view.id} ${view.state}`, blocks };
}

export function operationsList(out: {
  operations: Omit<OperationView, 'targets'>[];
  more: boolean;
  next_offset: number | null;
}): SlackMessage {
  if (out.operations.length === 0)
    return { response_type: 'ephemeral', text: 'No operations.', blocks: [section('No operations.')] };
  const rows = out.operations.map(
    (o) =>
      `${stateEmoji(o.state)} \`${o.id}\` *${esc(kind(o.kind))}* ${o.state} ${o.counts.succeeded}/${o.counts.total} — ${esc(o.summary)} (${esc(o.requester)})`,
  );
  const blocks = [section(rows.join('\n'))];
  if (out.more) blocks.push(context(`More: \`/maas ops offset=${out.next_offset}\``));
  return { response_type: 'ephemeral', text: `${out.operations.length} operations`, blocks };
}

/** Any other answer: the tool's own text rendering in a monospace block. */
export function plain(text: string, responseType: 'ephemeral' | 'in_channel' = 'ephemeral'): SlackMessage {
  return {
    response_type: responseType,
    text: text.split('\n')[0] ?? text,
    blocks: [section(lines(text.split('\n')))],
  };
}
