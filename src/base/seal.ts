/**
 * Sealing text with a secret (AES-GCM under a key made from the secret): what must be kept but not readable from
 * the store — a Slack button's pending call (src/slack/sealed.ts), a workflow's BMC credentials for a server resume
 * (src/core/workflows/). Runtime-neutral: Web Crypto.
 */
import { randomBytes, randomHex } from './ids.ts';

const enc = new TextEncoder();

/** A new per-record secret (a Slack button's): 16 random bytes, hex. */
export function newButtonSecret(): string {
  return randomHex(16);
}

/** Whether `value` is shaped like a per-record secret (anything else is refused before any lookup). */
export function isButtonSecret(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

/** `text` encrypted with `secret`: base64 of a fresh 12-byte IV and the AES-GCM ciphertext. */
export async function seal(secret: string, text: string): Promise<string> {
  const iv = randomBytes(12);
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await keyOf(secret), enc.encode(text));
  const out = new Uint8Array(iv.length + data.byteLength);
  out.set(iv);
  out.set(new Uint8Array(data), iv.length);
  let binary = '';
  // In slices: spreading a large user_data's bytes into one call would overflow the argument limit.
  for (let i = 0; i < out.length; i += 8192) binary += String.fromCharCode(...out.subarray(i, i + 8192));
  return btoa(binary);
}

/** What {@link seal} sealed, or undefined when `secret` is not the one it was sealed with (or it was altered). */
export async function unseal(secret: string, sealed: string): Promise<string | undefined> {
  try {
    const bytes = Uint8Array.from(atob(sealed), (c) => c.charCodeAt(0));
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, 12) },
      await keyOf(secret),
      bytes.slice(12),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}

async function keyOf(secret: string): ReturnType<typeof crypto.subtle.importKey> {
  // The secret is random and long (a button's 128 bits, a MAAS API key): one domain-separated SHA-256 makes a
  // sound AES-256 key of it.
  const raw = await crypto.subtle.digest('SHA-256', enc.encode(`maas-mcp key ${secret}`));
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}
