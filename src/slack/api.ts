/**
 * The slice of the Slack Web API maas-mcp uses, over an injected fetch (runtime-neutral; `SLACK_API_URL`
 * redirects it to a proxy or a test double). Errors never carry the token. Every message leaves through here
 * (or through an ack, see `Slack.ack`), so this is where known secrets are scrubbed from what is sent.
 */
import type { FetchLike } from '../base/fetch.ts';
import { scrubDeep } from '../base/redact.ts';
import { esc, type SlackMessage } from './blocks.ts';

class SlackApiError extends Error {
  override name = 'SlackApiError';
  constructor(
    readonly method: string,
    readonly code: string,
    /** Whether trying again later may work (rate limited, Slack's 5xx, no answer at all). */
    readonly transient = false,
    /** What Slack asked for with Retry-After. */
    readonly retryAfterMs?: number,
  ) {
    super(`Slack ${method} failed: ${code}`);
  }
}

/** No answer from Slack at all (a reset connection, a timeout): always worth another try. */
class SlackUnreachable extends SlackApiError {
  override name = 'SlackUnreachable';
  constructor(method: string, why: string) {
    super(method, why, true);
  }
}

/** The error code Slack answered with (`not_in_channel`, …), when `err` is a failed Web API call Slack answered. */
export function slackErrorCode(err: unknown): string | undefined {
  return err instanceof SlackApiError && !(err instanceof SlackUnreachable) ? err.code : undefined;
}

/**
 * When `err` is a Slack failure that may pass (429, 5xx, a reset or timed-out connection): how long Slack asked
 * to wait (0 when it did not say). Undefined for a failure that trying again cannot fix.
 */
export function slackRetryAfter(err: unknown): number | undefined {
  return err instanceof SlackApiError && err.transient ? (err.retryAfterMs ?? 0) : undefined;
}

/** Longest wait for one Slack call: Slack answers in well under a second; a hung connection must not block. */
const CALL_TIMEOUT_MS = 15_000;

/** Web API error codes Slack documents as passing: try again later. */
const TRANSIENT_CODES = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** A failed answer (`res` not ok) as an error that says whether to try again, honouring Retry-After. */
function httpFailure(method: string, res: Response, code = `HTTP ${res.status}`): SlackApiError {
  const after = Number(res.headers.get('retry-after'));
  const retryAfterMs = Number.isFinite(after) && after > 0 ? after * 1000 : undefined;
  if (res.status === 429)
    return new SlackApiError(method, `rate limited (retry after ${after || '?'} s)`, true, retryAfterMs);
  return new SlackApiError(method, code, res.status >= 500 || TRANSIENT_CODES.has(code), retryAfterMs);
}

interface PostResult {
  channel: string;
  ts: string;
}

export class SlackApi {
  /**
   * `token` is the bot token (the Web API needs it; response_urls do not — an empty token still answers them).
   * `scrub` removes known secret strings from a text.
   */
  constructor(
    private readonly token: string,
    private readonly baseUrl: string,
    private readonly fetch: FetchLike,
    private readonly scrub: (text: string) => string = (t) => t,
  ) {}

  /** Posts a message (in a thread when `thread_ts` is given); returns where it landed. */
  async postMessage(channel: string, msg: SlackMessage & { thread_ts?: string }): Promise<PostResult> {
    const clean = this.clean(msg);
    const body = await this.call('chat.postMessage', {
      channel,
      text: clean.text,
      blocks: clean.blocks,
      thread_ts: msg.thread_ts,
    });
    return { channel: String(body.channel ?? channel), ts: String(body.ts) };
  }

  /** Replaces a message's content (progress that edits one message instead of flooding the channel). */
  async update(channel: string, ts: string, msg: SlackMessage): Promise<void> {
    const clean = this.clean(msg);
    await this.call('chat.update', { channel, ts, text: clean.text, blocks: clean.blocks });
  }

  /** Shows `view` as `userId`'s App Home tab (views.publish). */
  async publishView(userId: string, view: { type: 'home'; blocks: SlackMessage['blocks'] }): Promise<void> {
    const clean = this.clean({ text: '', blocks: view.blocks ?? [] });
    await this.call('views.publish', { user_id: userId, view: { type: 'home', blocks: clean.blocks } });
  }

  /** Members of a user group (needs the usergroups:read scope). */
  async usergroupMembers(usergroup: string): Promise<string[]> {
    const body = await this.call('usergroups.users.list', { usergroup });
    return Array.isArray(body.users) ? body.users.map(String) : [];
  }

  /** Answers through a command's or action's response_url (valid 30 minutes, 5 times); needs no token. */
  async respond(responseUrl: string, msg: SlackMessage): Promise<void> {
    const res = await this.send('response_url', responseUrl, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(this.clean(msg)),
    });
    if (!res.ok) throw httpFailure('response_url', res);
    await res.body?.cancel();
  }

  /** A message as it may leave: every text in it scrubbed of known secrets. */
  clean<T extends SlackMessage>(msg: T): T {
    // Every string in it (texts, block texts, button values), the shape kept.
    return scrubDeep(msg, (text) => scrubText(text, this.scrub));
  }

  private async call(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await this.send(method, `${this.baseUrl}${method}`, {
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(args),
    });
    if (res.status === 429) {
      await res.body?.cancel();
      throw httpFailure(method, res);
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok || body.ok !== true)
      throw httpFailure(method, res, body.error === undefined ? undefined : String(body.error));
    return body;
  }

  /** One POST, bounded in time; no answer at all (a reset, a timeout) is a failure worth retrying. */
  private async send(what: string, url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetch(url, { ...init, method: 'POST', signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new SlackUnreachable(what, timedOut ? 'no answer in 15 s' : 'no answer (connection failed)');
    }
  }
}

/** A secret holding &, < or > reaches Block Kit escaped: it is looked for unescaped too. */
function scrubText(text: string, scrub: (text: string) => string): string {
  const once = scrub(text);
  if (!/&(amp|lt|gt);/.test(once)) return once;
  const plain = once.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const scrubbed = scrub(plain);
  return scrubbed === plain ? once : esc(scrubbed);
}
