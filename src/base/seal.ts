/**
 * Sealing text with a secret (AES-GCM, base/aead.ts, under a key made from the secret): what must be kept but not
 * readable from the store — a Slack button's pending call (src/slack/sealed.ts), a workflow's BMC credentials for a
 * server resume (src/core/workflows/). Runtime-neutral: Web Crypto.
 */
import { type AeadKey, aeadKey, seal as sealWith, unseal as unsealWith } from './aead.ts';

const enc = new TextEncoder();

/** `text` encrypted with `secret`: base64 of a fresh 12-byte IV and the AES-GCM ciphertext. */
export async function seal(secret: string, text: string): Promise<string> {
  return sealWith(await keyOf(secret), text);
}

/** What {@link seal} sealed, or undefined when `secret` is not the one it was sealed with (or it was altered). */
export async function unseal(secret: string, sealed: string): Promise<string | undefined> {
  return unsealWith(await keyOf(secret), sealed);
}

async function keyOf(secret: string): Promise<AeadKey> {
  // The secret is random and long (a button's 128 bits, a MAAS API key): one domain-separated SHA-256 makes a
  // sound AES-256 key of it.
  const raw = await crypto.subtle.digest('SHA-256', enc.encode(`maas-mcp key ${secret}`));
  return aeadKey(new Uint8Array(raw));
}
