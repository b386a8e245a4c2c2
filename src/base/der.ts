/**
 * A minimal DER writer (ITU-T X.690) and PEM armour: just what an X.509 certificate needs (RFC 5280) — sequences,
 * sets, integers, object identifiers, strings, times, bit and octet strings, booleans, context tags. Written here
 * rather than taken from an ASN.1 library because a certificate needs only these few encodings and the libraries
 * that work in workerd (`@peculiar/x509`, `pkijs`) weigh more than the Worker bundle can spare. Runtime-neutral.
 */

export type Der = Uint8Array<ArrayBuffer>;

/** The concatenation of `parts`. */
export function concat(...parts: readonly Uint8Array[]): Der {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function lengthOf(n: number): Der {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV: `tag`, the definite length of `content`, `content`. */
export function tlv(tag: number, ...content: readonly Uint8Array[]): Der {
  const body = concat(...content);
  return concat(Uint8Array.of(tag), lengthOf(body.length), body);
}

export const sequence = (...items: readonly Uint8Array[]): Der => tlv(0x30, ...items);
export const set = (...items: readonly Uint8Array[]): Der => tlv(0x31, ...items);
export const nullValue = (): Der => Uint8Array.of(0x05, 0x00);
export const boolean = (value: boolean): Der => Uint8Array.of(0x01, 0x01, value ? 0xff : 0x00);
export const octetString = (bytes: Uint8Array): Der => tlv(0x04, bytes);
export const utf8String = (text: string): Der => tlv(0x0c, new TextEncoder().encode(text));
/** A BIT STRING of whole bytes (no unused bits): a key or a signature. */
export const bitString = (bytes: Uint8Array): Der => tlv(0x03, Uint8Array.of(0), bytes);
/** `[n]` EXPLICIT (constructed) around `inner`. */
export const explicit = (n: number, inner: Uint8Array): Der => tlv(0xa0 | n, inner);

/**
 * An INTEGER from big-endian unsigned bytes (a serial number, a signature's r or s): leading zeros dropped, and a
 * zero byte put back in front when the top bit is set, so that it reads as positive.
 */
export function unsignedInteger(bytes: Uint8Array): Der {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const pad = (trimmed[0] ?? 0) & 0x80 ? Uint8Array.of(0) : new Uint8Array(0);
  return tlv(0x02, pad, trimmed.length ? trimmed : Uint8Array.of(0));
}

/** A small non-negative INTEGER (a version number). */
export function smallInteger(n: number): Der {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff)
    throw new RangeError(`der: ${n} is not a small integer`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return unsignedInteger(Uint8Array.from(bytes.length ? bytes : [0]));
}

/** An OBJECT IDENTIFIER from its dotted form (`2.5.4.3`). */
export function oid(dotted: string): Der {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`der: "${dotted}" is not a dotted object identifier`);
    return Number(a);
  });
  const [first = 0, second = 0, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const base128: number[] = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v % 128) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/**
 * A certificate time (RFC 5280 §4.1.2.5): UTCTime up to 2049, GeneralizedTime from 2050, in whole seconds, UTC.
 */
export function time(at: Date): Der {
  const iso = at.toISOString();
  const year = at.getUTCFullYear();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const ascii = (s: string) => new TextEncoder().encode(s);
  return year < 2050 ? tlv(0x17, ascii(`${digits.slice(2)}Z`)) : tlv(0x18, ascii(`${digits}Z`));
}

/** Base64 of `bytes` (in slices: a large spread would overflow the argument limit). */
export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 8192) binary += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return btoa(binary);
}

/** Base64 of `text`'s UTF-8 bytes (cloud-init user data as MAAS takes it). */
export function base64Text(text: string): string {
  return base64(new TextEncoder().encode(text));
}

/** `bytes` in PEM armour with `label` (`CERTIFICATE`, `PRIVATE KEY`), 64 characters a line. */
export function pem(label: string, bytes: Uint8Array): string {
  const lines = base64(bytes).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The bytes inside the first PEM block labelled `label`, or undefined when there is none. */
export function unpem(label: string, text: string): Der | undefined {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text);
  if (!m) return undefined;
  const binary = atob((m[1] ?? '').replace(/\s+/g, ''));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** One TLV read from DER: its tag, where its content starts and where it ends (exclusive). */
export interface Tlv {
  tag: number;
  /** Where the whole TLV starts. */
  start: number;
  /** Where its content starts. */
  body: number;
  end: number;
}

/** The TLV at `at` in `bytes` (definite lengths only, as DER has). */
export function readTlv(bytes: Uint8Array, at = 0): Tlv {
  const tag = bytes[at];
  let len = bytes[at + 1];
  if (tag === undefined || len === undefined) throw new RangeError('der: truncated');
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new RangeError('der: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (bytes[body + i] ?? 0);
    body += n;
  }
  const end = body + len;
  if (end > bytes.length) throw new RangeError('der: truncated');
  return { tag, start: at, body, end };
}

/** The TLVs directly inside a constructed one. */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end; ) {
    const t = readTlv(bytes, at);
    out.push(t);
    at = t.end;
  }
  return out;
}
