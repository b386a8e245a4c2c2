/**
 * A fake Slack on 127.0.0.1 for tests: the Web API methods maas-mcp calls (under /api/) and response_url
 * endpoints (under /response/), recording every request. It binds loopback only, answers from memory, and is
 * closed by the test that made it.
 *
 * Bodies may be JSON (maas-mcp's own client, response_url posts) or form-encoded (Bolt's WebClient); a form's
 * `token` field is authentication, so it is recorded as `auth` and left out of `body`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  path: string;
  method: string;
  auth: string | undefined;
  body: Record<string, unknown>;
  /** The body exactly as received (for scans). */
  raw: string;
  /** What the fake answered. */
  reply?: Record<string, unknown>;
}

/** How {@link FakeSlack.failNext} fails a request. */
export type Failure = { status: number; retryAfterS?: number } | 'reset';

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** Members of user groups, for usergroups.users.list. */
  readonly groups = new Map<string, string[]>();
  /** Channels the bot is not in: chat.postMessage there answers not_in_channel. */
  readonly notIn = new Set<string>();
  /** Web API methods (e.g. "usergroups.users.list") that answer an error, as when a scope is missing. */
  readonly failing = new Set<string>();
  /** Failures to answer next, per path prefix, oldest first (see {@link failNext}). */
  private readonly failures: { prefix: string; fail: Failure }[] = [];
  private server: Server | undefined;
  private seq = 0;
  url = '';

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        raw += d;
      });
      req.on('end', () => {
        const path = req.url ?? '/';
        const parsed = parseBody(raw, req.headers['content-type']);
        const auth = req.headers.authorization ?? (parsed.token ? `Bearer ${parsed.token}` : undefined);
        const call: SlackCall = { path, method: req.method ?? 'GET', auth, body: parsed.body ?? {}, raw };
        this.calls.push(call);
        const i = this.failures.findIndex((f) => path.startsWith(f.prefix));
        const failure = i < 0 ? undefined : this.failures.splice(i, 1)[0]?.fail;
        if (failure === 'reset') {
          call.reply = { reset: true };
          req.socket.destroy();
          return;
        }
        if (failure) {
          call.reply = { status: failure.status };
          res.statusCode = failure.status;
          if (failure.retryAfterS !== undefined) res.setHeader('retry-after', String(failure.retryAfterS));
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({ ok: false, error: failure.status === 429 ? 'ratelimited' : 'internal_error' }),
          );
          return;
        }
        res.setHeader('content-type', 'application/json');
        if (!parsed.body) {
          res.statusCode = 400;
          res.end(JSON.stringify({ ok: false, error: 'invalid_body' }));
          return;
        }
        call.reply = this.answer(path, parsed.body);
        res.end(JSON.stringify(call.reply));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  private answer(path: string, body: Record<string, unknown>): Record<string, unknown> {
    if (path.startsWith('/api/') && this.failing.has(path.slice(5)))
      return { ok: false, error: 'missing_scope' };
    if (path === '/api/chat.postMessage') {
      if (this.notIn.has(String(body.channel))) return { ok: false, error: 'not_in_channel' };
      return { ok: true, channel: body.channel, ts: `1700000000.${String(++this.seq).padStart(6, '0')}` };
    }
    if (path === '/api/chat.update') return { ok: true, channel: body.channel, ts: body.ts };
    if (path === '/api/views.publish') return { ok: true, view: { id: `V${++this.seq}`, type: 'home' } };
    if (path === '/api/usergroups.users.list')
      return { ok: true, users: this.groups.get(String(body.usergroup)) ?? [] };
    if (path === '/api/auth.test') return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' };
    if (path.startsWith('/response/')) return { ok: true };
    return { ok: false, error: 'unknown_method' };
  }

  /**
   * The next `times` requests to a path starting with `prefix` fail: with an HTTP status (and Retry-After), or
   * `reset` (the connection is dropped without an answer).
   */
  failNext(prefix: string, fail: Failure, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ prefix, fail });
  }

  /** A response_url for a command or click. */
  responseUrl(id = String(++this.seq)): string {
    return `${this.url}/response/${id}`;
  }

  /** Calls to one API method or response_url prefix. */
  to(pathPrefix: string): SlackCall[] {
    return this.calls.filter((c) => c.path.startsWith(pathPrefix));
  }

  /** Waits (real time, bounded) until `pred` holds for the recorded calls. */
  async waitFor(pred: (calls: SlackCall[]) => boolean, ms = 5_000): Promise<void> {
    const until = Date.now() + ms;
    while (!pred(this.calls)) {
      if (Date.now() > until) {
        throw new Error(
          `fake Slack: condition not met in ${ms} ms; calls: ${this.calls.map((c) => c.path).join(', ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function parseBody(
  raw: string,
  contentType: string | undefined,
): { body: Record<string, unknown> | undefined; token?: string } {
  if (!raw) return { body: {} };
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) {
    const form = Object.fromEntries(new URLSearchParams(raw)) as Record<string, string>;
    const { token, ...rest } = form;
    return token ? { body: rest, token } : { body: rest };
  }
  try {
    const body = JSON.parse(raw) as unknown;
    return { body: body && typeof body === 'object' ? (body as Record<string, unknown>) : {} };
  } catch {
    return { body: undefined };
  }
}
