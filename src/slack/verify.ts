/**
 * Slack request signing (v0): `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret,
 * and a timestamp within 5 minutes. Checked before anything else is done with a request — and what can be checked
 * without the body (the signature headers, the timestamp, the content type, the declared size) is checked before
 * a byte of it is read; the body itself is read only up to {@link MAX_SLACK_BODY_BYTES}. A signed request is
 * accepted once: a replay within the window is refused. Runtime-neutral.
 */
import { hmacHex, timingSafeEqual } from '../base/hmac.ts';

const MAX_SKEW_S = 5 * 60;

/**
 * The largest Slack request body read. Slack's own are small: a slash command is a form of a dozen short fields
 * (its text is at most a few thousand characters); a block_actions payload carries the clicked message, at most
 * 50 blocks of 3,000 characters (~150 KB of text), which form-encoding can triple. 1 MiB holds that with room to
 * spare, and is 400 times less than the body that once pushed the server to 1.3 GB.
 */
export const MAX_SLACK_BODY_BYTES = 1024 * 1024;

export type Verdict = { ok: true } | { ok: false; why: string };

/** A Slack request read and verified (its form), or why it was refused and with which HTTP status. */
export type SlackRequest =
  | { ok: true; form: URLSearchParams; body: string }
  | { ok: false; status: 400 | 401 | 409 | 413 | 415; why: string };

export interface ReadOptions {
  /**
   * Records a verified request's signature until `expiresAt` (when its timestamp leaves the window); false when
   * it was recorded already — a replay. Must be atomic across every process serving Slack (the Store's addValue).
   */
  firstTime(signature: string, expiresAt: number): Promise<boolean>;
  maxBytes?: number;
  /** What the body is: a form (commands, clicks; the default) or JSON (the Events API). */
  type?: 'form' | 'json';
}

/** Reads a request to a Slack route: headers first, the body only if they pass, and never more than the cap. */
export async function readSlackRequest(
  req: Request,
  secret: string,
  nowMs: number,
  opts: ReadOptions,
): Promise<SlackRequest> {
  const headers = {
    timestamp: req.headers.get('x-slack-request-timestamp'),
    signature: req.headers.get('x-slack-signature'),
  };
  const early = checkHeaders(headers, nowMs);
  if (!early.ok) return { ok: false, status: 401, why: early.why };
  const type = (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  const expected = opts.type === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
  if (type !== expected)
    return {
      ok: false,
      status: 415,
      why: `not ${opts.type === 'json' ? 'JSON' : 'a form'} (Slack sends ${expected} here)`,
    };
  const max = opts.maxBytes ?? MAX_SLACK_BODY_BYTES;
  const body = await readAtMost(req, max);
  if (body === undefined)
    return { ok: false, status: 413, why: `body larger than ${max} bytes (Slack's are far smaller)` };
  const v = await verifySlackRequest(secret, headers, body, nowMs);
  if (!v.ok) return { ok: false, status: 401, why: v.why };
  const signature = headers.signature as string;
  const expiresAt = (Number(headers.timestamp) + MAX_SKEW_S + 1) * 1000;
  if (!(await opts.firstTime(signature, expiresAt)))
    return { ok: false, status: 409, why: 'replayed request (this signed request was already received)' };
  return { ok: true, form: opts.type === 'json' ? new URLSearchParams() : new URLSearchParams(body), body };
}

/** What can be refused without the body: missing or malformed signature headers, a timestamp out of the window. */
function checkHeaders(
  headers: { timestamp: string | null; signature: string | null },
  nowMs: number,
): Verdict {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, why: 'missing Slack signature headers' };
  const ts = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || !Number.isInteger(ts)) return { ok: false, why: 'bad timestamp' };
  if (Math.abs(nowMs / 1000 - ts) > MAX_SKEW_S)
    return { ok: false, why: 'stale timestamp (more than 5 minutes off)' };
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, why: 'bad signature' };
  return { ok: true };
}

/**
 * The body as text, or undefined when it is larger than `max` bytes: a declared Content-Length over it is refused
 * unread; otherwise reading stops (and the stream is cancelled) as soon as more than `max` bytes arrived.
 */
async function readAtMost(req: Request, max: number): Promise<string | undefined> {
  if (Number(req.headers.get('content-length') ?? 0) > max) {
    await req.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

export async function verifySlackRequest(
  secret: string,
  headers: { timestamp: string | null; signature: string | null },
  body: string,
  nowMs: number,
): Promise<Verdict> {
  const early = checkHeaders(headers, nowMs);
  if (!early.ok) return early;
  const expected = await sign(secret, headers.timestamp as string, body);
  return timingSafeEqual(expected, headers.signature as string)
    ? { ok: true }
    : { ok: false, why: 'bad signature' };
}

/** The `X-Slack-Signature` value for a body (also what tests and the fake Slack use to sign). */
export async function sign(secret: string, timestamp: string, body: string): Promise<string> {
  return `v0=${await hmacHex(secret, `v0:${timestamp}:${body}`)}`;
}
