/**
 * A fake Slack on 127.0.0.1 for tests: the Web API methods maas-mcp calls (under /api/) and response_url
 * endpoints (under /response/), recording every request. It binds loopback only, answers from memory, and is
 * closed by the test that made it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  path: string;
  method: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** Members of user groups, for usergroups.users.list. */
  readonly groups = new Map<string, string[]>();
  /** Channels the bot is not in: chat.postMessage there answers not_in_channel. */
  readonly notIn = new Set<string>();
  private server: Server | undefined;
  private seq = 0;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        raw += d;
      });
      req.on('end', () => {
        const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        const path = req.url ?? '/';
        this.calls.push({ path, method: req.method ?? 'GET', auth: req.headers.authorization, body });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(this.answer(path, body)));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
    return this;
  }

  private answer(path: string, body: Record<string, unknown>): Record<string, unknown> {
    if (path === '/api/chat.postMessage') {
      if (this.notIn.has(String(body.channel))) return { ok: false, error: 'not_in_channel' };
      return { ok: true, channel: body.channel, ts: `1700000000.${String(++this.seq).padStart(6, '0')}` };
    }
    if (path === '/api/chat.update') return { ok: true, channel: body.channel, ts: body.ts };
    if (path === '/api/usergroups.users.list') return { ok: true, users: this.groups.get(String(body.usergroup)) ?? [] };
    if (path.startsWith('/response/')) return { ok: true };
    return { ok: false, error: 'unknown_method' };
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
      if (Date.now() > until) throw new Error(`fake Slack: condition not met in ${ms} ms; calls: ${this.calls.map((c) => c.path).join(', ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
