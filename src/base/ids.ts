/**
 * Random identifiers and secrets, all from the platform's CSPRNG (Web Crypto's getRandomValues: Node and Workers
 * alike). Every id and secret maas-mcp makes comes from here.
 */

/** `n` random bytes. */
export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return b;
}

/** `n` random bytes as lowercase hex (2n characters). */
export function randomHex(n: number): string {
  let s = '';
  for (const b of randomBytes(n)) s += b.toString(16).padStart(2, '0');
  return s;
}

/** `n` random bytes as unpadded base64url. */
export function randomBase64url(n: number): string {
  let s = '';
  for (const b of randomBytes(n)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `<prefix>_` and 14 random base-36 characters (about 72 bits): `op_3kq8…`, `task_…`. */
export function randomId(prefix: string): string {
  let s = '';
  for (const b of randomBytes(9)) s += b.toString(36).padStart(2, '0');
  return `${prefix}_${s.slice(0, 14)}`;
}

/** A random RFC 4122 version 4 UUID (what MCP clients expect a session id to look like). */
export function randomUuid(): string {
  return crypto.randomUUID();
}
