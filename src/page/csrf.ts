/**
 * CSRF protection for the page's actions: a token signed with the server's key (HMAC-SHA256), bound to who it was
 * given to and when it expires. A form carries it; a POST without a valid one for the same person is refused.
 * Another site can make a browser post, but cannot read the page to learn the token. Stateless, so it holds on
 * Workers, where every request may meet another isolate. Runtime-neutral: Web Crypto.
 */
import { hmacHex, timingSafeEqual } from '../base/hmac.ts';
import { type Principal, principalKey } from '../core/access.ts';

/** How long a page's token stays good (a page left open for a working day still works). */
export const CSRF_TTL_MS = 12 * 3600_000;

const enc = new TextEncoder();

async function mac(key: string, text: string): Promise<string> {
  return hmacHex(await crypto.subtle.digest('SHA-256', enc.encode(`maas-mcp csrf ${key}`)), text);
}

/** A token for `who`, good until `now` + {@link CSRF_TTL_MS}: `<expiry>.<signature>`. */
export async function csrfToken(key: string, who: Principal, now: number): Promise<string> {
  const until = now + CSRF_TTL_MS;
  return `${until}.${await mac(key, `${principalKey(who)}|${until}`)}`;
}

/** Why `token` is not a good token for `who` at `now`, if it is not. */
export async function csrfRefusal(
  key: string,
  who: Principal,
  token: string | undefined,
  now: number,
): Promise<string | undefined> {
  const m = /^(\d{1,15})\.([0-9a-f]{64})$/.exec(token ?? '');
  if (!m) return 'the form carries no valid CSRF token; reload the page and try again';
  const until = Number(m[1]);
  if (until < now) return 'the page is too old; reload it and try again';
  const expected = await mac(key, `${principalKey(who)}|${until}`);
  return timingSafeEqual(expected, m[2] as string)
    ? undefined
    : 'the form’s CSRF token is not yours; reload the page and try again';
}
