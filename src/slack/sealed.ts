/**
 * What a Slack button must carry to act, kept out of the store: a pending confirmation (the tool's arguments —
 * possibly user_data — and its confirm token) or an agent's call held for approval is stored encrypted (AES-GCM)
 * under a key that exists only in the button's value, a random 128-bit secret; the store knows the record only by
 * a digest of that secret. Reading the database (or its deleted pages) yields neither the token nor the data.
 *
 * Why not a key from the environment: it would sit beside the database (on the same disk, or in the same Worker),
 * need managing and rotating, and be the same for every record; a per-record key that only Slack holds (in a
 * message the person was shown) protects each record on its own and needs no setting. The one exception: a call
 * held for approval also keeps its button secret sealed under the server's key (Deps.sealKey, the MAAS API key in
 * use), so that a person can approve it where there is no button (the status page, App Home). Runtime-neutral.
 */

export { isButtonSecret, newButtonSecret, seal, unseal } from '../base/seal.ts';

const enc = new TextEncoder();

/** The name a record sealed with `secret` is stored under: a digest, from which the secret cannot be recovered. */
export async function sealedName(secret: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(`maas-mcp name ${secret}`))));
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
