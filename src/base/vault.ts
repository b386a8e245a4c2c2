/**
 * A vault: seals what maas-mcp must keep but no one may read from its store (a cluster's CA key and join token),
 * under a key derived from a secret that is never stored — the MAAS API key in use (README "Kubernetes clusters":
 * why). A copy of the database, its backups or a Durable Object's storage alone reveal nothing. Runtime-neutral.
 */
import { seal, unseal } from './seal.ts';

export interface Vault {
  /** Names the key without revealing it (a digest): a record sealed under another key is recognised as such. */
  keyId(): Promise<string>;
  seal(text: string): Promise<string>;
  /** What {@link seal} sealed, or undefined when it was sealed under another key (or altered). */
  unseal(sealed: string): Promise<string | undefined>;
}

/** A vault whose key is derived from `secret` for `purpose` (different purposes never share a key). */
export function vaultOf(secret: string, purpose: string): Vault {
  const keyed = `${purpose} ${secret}`;
  return {
    async keyId() {
      const digest = await crypto.subtle.digest(
        'SHA-256',
        new TextEncoder().encode(`maas-mcp key id ${keyed}`),
      );
      return [...new Uint8Array(digest).subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
    },
    seal: (text) => seal(keyed, text),
    unseal: (sealed) => unseal(keyed, sealed),
  };
}
