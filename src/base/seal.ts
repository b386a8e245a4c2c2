/**
 * Sealing text with a secret (AES-GCM, base/aead.ts, under a key made from the secret): what must be kept but not
 * readable from the store — a Slack button's pending call (src/slack/sealed.ts), a workflow's BMC credentials for a
 * server resume (src/core/workflows/). Runtime-neutral: Web Crypto.
 */
import { type AeadKey, derivedKey, seal as sealWith, unseal as unsealWith } from './aead.ts';
import { randomHex } from './ids.ts';

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
  return sealWith(await keyOf(secret), text);
}

/** What {@link seal} sealed, or undefined when `secret` is not the one it was sealed with (or it was altered). */
export async function unseal(secret: string, sealed: string): Promise<string | undefined> {
  return unsealWith(await keyOf(secret), sealed);
}

function keyOf(secret: string): Promise<AeadKey> {
  return derivedKey(secret, 'key');
}
