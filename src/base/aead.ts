/**
 * Authenticated encryption (AES-256-GCM, Web Crypto: Node and Workers alike) of short texts, for what maas-mcp hands
 * out or parks and must get back unaltered and unread: a Slack button's pending request, a queued Slack job, the
 * state of a confirmation asked through MCP. Sealed text is base64 of a fresh 12-byte IV and the ciphertext.
 */
import { randomBytes } from './ids.ts';

const enc = new TextEncoder();

/** A key to seal with (a Web Crypto key; named here because not every runtime's types name CryptoKey). */
export type AeadKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/**
 * The key for one use (`label`: "key", "page session", "confirm state") of a long random secret (a MAAS API key,
 * a button's 128 bits): one domain-separated SHA-256 makes a sound AES-256 key of it, and keys for different uses
 * of one secret have nothing in common.
 */
export async function derivedKey(secret: string, label: string): Promise<AeadKey> {
  const raw = await crypto.subtle.digest('SHA-256', enc.encode(`maas-mcp ${label} ${secret}`));
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/**
 * `text` encrypted under `key`; `context` (who it is for, what it is) is bound in without being stored: opening
 * needs the same one.
 */
export async function seal(key: AeadKey, text: string, context = ''): Promise<string> {
  const iv = randomBytes(12);
  const data = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: enc.encode(context) },
    key,
    enc.encode(text),
  );
  const out = new Uint8Array(iv.length + data.byteLength);
  out.set(iv);
  out.set(new Uint8Array(data), iv.length);
  let binary = '';
  // In slices: spreading a large text's bytes into one call would overflow the argument limit.
  for (let i = 0; i < out.length; i += 8192) binary += String.fromCharCode(...out.subarray(i, i + 8192));
  return btoa(binary);
}

/** What {@link seal} sealed, or undefined for another key or context, or anything altered. */
export async function unseal(key: AeadKey, sealed: string, context = ''): Promise<string | undefined> {
  try {
    const bytes = Uint8Array.from(atob(sealed), (c) => c.charCodeAt(0));
    if (bytes.length < 12 + 16) return undefined;
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData: enc.encode(context) },
      key,
      bytes.slice(12),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}
