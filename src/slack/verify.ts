/**
 * Slack request signing (v0): `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret,
 * and a timestamp within 5 minutes. Checked before anything else is done with a request. Runtime-neutral.
 */

const MAX_SKEW_S = 5 * 60;

export type Verdict = { ok: true } | { ok: false; why: string };

export async function verifySlackRequest(
  secret: string,
  headers: { timestamp: string | null; signature: string | null },
  body: string,
  nowMs: number,
): Promise<Verdict> {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, why: 'missing Slack signature headers' };
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) return { ok: false, why: 'bad timestamp' };
  if (Math.abs(nowMs / 1000 - ts) > MAX_SKEW_S)
    return { ok: false, why: 'stale timestamp (more than 5 minutes off)' };
  const expected = await sign(secret, timestamp, body);
  return timingSafeEqual(expected, signature) ? { ok: true } : { ok: false, why: 'bad signature' };
}

/** The `X-Slack-Signature` value for a body (also what tests and the fake Slack use to sign). */
export async function sign(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`v0:${timestamp}:${body}`));
  return `v0=${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Compares two strings in time that depends only on their lengths (signatures, bearer tokens). */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
