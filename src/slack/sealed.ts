/**
 * What a Slack button must carry to act, kept out of the store: a pending confirmation (the tool's arguments —
 * possibly user_data — and its confirm token) or an agent's call held for approval is stored encrypted (AES-GCM)
 * under a key that exists only in the button's value, a random 128-bit secret; the store knows the record only by
 * a digest of that secret. Reading the database (or its deleted pages) yields neither the token nor the data.
 *
 * Why not a key from the environment: it would sit beside the database (on the same disk, or in the same Worker),
 * need managing and rotating, and be the same for every record; a per-record key that only Slack holds (in a
 * message the person was shown) protects each record on its own and needs no setting. Runtime-neutral.
 */

import { randomBytes, randomHex } from '../base/ids.ts';

const enc = new TextEncoder();

/** A new secret for a button: 16 random bytes, hex. */
export function newButtonSecret(): string {
  return randomHex(16);
}

/** Whether `value` is shaped like a button secret (anything else is refused before any lookup). */
export function isButtonSecret(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

/** The name a record sealed with `secret` is stored under: a digest, from which the secret cannot be recovered. */
export async function sealedName(secret: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(`maas-mcp name ${secret}`))));
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
  // The secret is 128 random bits: one domain-separated SHA-256 makes a sound AES-256 key of it.
  const raw = await crypto.subtle.digest('SHA-256', enc.encode(`maas-mcp key ${secret}`));
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
