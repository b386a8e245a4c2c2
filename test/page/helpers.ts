/** Reading the status page in tests: requests through the Hono app, its forms' CSRF token, its event stream. */
import type { Hono } from 'hono';

/** GET (or another method) through the app, addressed to 127.0.0.1, with a bearer token when given. */
export function pageRequest(
  app: Hono,
  path: string,
  opts: { token?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { host: '127.0.0.1:8080', ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return Promise.resolve(
    app.request(`http://127.0.0.1:8080${path}`, {
      method: opts.method ?? 'GET',
      headers,
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    }),
  );
}

/** The CSRF token the page's approval forms carry. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error('the page has no approval form');
  return m[1];
}

/** Posts a decision from the page's form, as a browser without the script would (or with it: `json`). */
export function decide(
  app: Hono,
  opId: string,
  form: Record<string, string>,
  opts: { token?: string; json?: boolean; origin?: string } = {},
): Promise<Response> {
  return pageRequest(app, `/approvals/${opId}`, {
    method: 'POST',
    ...(opts.token ? { token: opts.token } : {}),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: opts.origin ?? 'http://127.0.0.1:8080',
      ...(opts.json ? { accept: 'application/json' } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
}

export interface PageEvent {
  event: string;
  data: unknown;
  raw: string;
}

/**
 * Reads server-sent events from `res` until `done` holds for what was read, at most `max` events or `ms` of real
 * time; then stops reading (the server's stream ends with it).
 */
export async function readEvents(
  res: Response,
  done: (events: PageEvent[]) => boolean,
  opts: { max?: number; ms?: number; onEach?: () => Promise<void> } = {},
): Promise<PageEvent[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  const events: PageEvent[] = [];
  let buf = '';
  const until = Date.now() + (opts.ms ?? 10_000);
  try {
    while (events.length < (opts.max ?? 500) && Date.now() < until && !done(events)) {
      const next = await Promise.race([
        reader.read(),
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(1, until - Date.now()))),
      ]);
      if (next === 'timeout' || next.done) break;
      buf += dec.decode(next.value, { stream: true });
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const chunk = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(chunk)?.[1];
        const data = /^data: (.*)$/m.exec(chunk)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data), raw: chunk });
      }
      await opts.onEach?.();
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

/** The HTML of the last update of section `id` among `events`. */
export function lastSection(events: PageEvent[], id: string): string | undefined {
  const e = events.filter((x) => x.event === 'section' && (x.data as { id: string }).id === id).at(-1);
  return (e?.data as { html: string } | undefined)?.html;
}
