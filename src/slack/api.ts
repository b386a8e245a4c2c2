/**
 * The slice of the Slack Web API maas-mcp uses, over an injected fetch (runtime-neutral; `SLACK_API_URL`
 * redirects it to a proxy or a test double). Errors never carry the token.
 */
import type { FetchLike } from '../maas/client.ts';
import type { SlackMessage } from './blocks.ts';

export class SlackApiError extends Error {
  override name = 'SlackApiError';
  constructor(
    readonly method: string,
    readonly code: string,
  ) {
    super(`Slack ${method} failed: ${code}`);
  }
}

export interface PostResult {
  channel: string;
  ts: string;
}

export class SlackApi {
  constructor(
    private readonly token: string,
    private readonly baseUrl: string,
    private readonly fetch: FetchLike,
  ) {}

  /** Posts a message (in a thread when `thread_ts` is given); returns where it landed. */
  async postMessage(channel: string, msg: SlackMessage & { thread_ts?: string }): Promise<PostResult> {
    const body = await this.call('chat.postMessage', {
      channel,
      text: msg.text,
      blocks: msg.blocks,
      thread_ts: msg.thread_ts,
    });
    return { channel: String(body.channel ?? channel), ts: String(body.ts) };
  }

  /** Replaces a message's content (progress that edits one message instead of flooding the channel). */
  async update(channel: string, ts: string, msg: SlackMessage): Promise<void> {
    await this.call('chat.update', { channel, ts, text: msg.text, blocks: msg.blocks });
  }

  /** Members of a user group (needs the usergroups:read scope). */
  async usergroupMembers(usergroup: string): Promise<string[]> {
    const body = await this.call('usergroups.users.list', { usergroup });
    return Array.isArray(body.users) ? body.users.map(String) : [];
  }

  /** Answers through a command's or action's response_url (valid 30 minutes, 5 times). */
  async respond(responseUrl: string, msg: SlackMessage): Promise<void> {
    const res = await this.fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(msg),
    });
    if (!res.ok) throw new SlackApiError('response_url', `HTTP ${res.status}`);
    await res.body?.cancel();
  }

  private async call(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await this.fetch(`${this.baseUrl}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(args),
    });
    if (res.status === 429)
      throw new SlackApiError(
        method,
        `rate limited (retry after ${res.headers.get('retry-after') ?? '?'} s)`,
      );
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok || body.ok !== true)
      throw new SlackApiError(method, String(body.error ?? `HTTP ${res.status}`));
    return body;
  }
}
