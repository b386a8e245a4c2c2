/** HMAC-SHA256 and a constant-time compare (Web Crypto: Node and Workers alike). */

const enc = new TextEncoder();

/** HMAC-SHA256 of `text` under `key` (a text's UTF-8 bytes, or bytes), as lower-case hex. */
export async function hmacHex(key: string | ArrayBuffer, text: string): Promise<string> {
  const raw = typeof key === 'string' ? enc.encode(key) : key;
  const k = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(text)));
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares two strings in time that depends only on their lengths (signatures, bearer tokens). */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
