/**
 * X.509 certificates (RFC 5280) made with Web Crypto, so that they can be made on Node and on Workers alike: a
 * self-signed certificate authority (RSA 2048, SHA-256 — what kubeadm makes itself) and client certificates it signs.
 * Keys leave as PKCS#8 PEM, certificates as PEM. Only what a cluster's CA and an admin's kubeconfig need.
 */
import {
  base64,
  bitString,
  boolean,
  children,
  type Der,
  explicit,
  nullValue,
  octetString,
  oid,
  pem,
  readTlv,
  sequence,
  set,
  smallInteger,
  time,
  tlv,
  unpem,
  unsignedInteger,
  utf8String,
} from './der.ts';
import { randomBytes } from './ids.ts';

/** Web Crypto's key and key pair, named without the DOM library (the shared code type-checks without it). */
type Key = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
type Pair = { publicKey: Key; privateKey: Key };

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: Uint8Array.of(1, 0, 1),
  hash: 'SHA-256',
} as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

const OID = {
  sha256WithRsa: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** Who a certificate names: a common name, and organizations (Kubernetes reads them as groups). */
export interface Subject {
  commonName: string;
  organizations?: readonly string[];
}

/** A certificate with its private key, both PEM. */
export interface KeyPair {
  certPem: string;
  /** PKCS#8 `PRIVATE KEY`. */
  keyPem: string;
}

/** A new certificate authority, and the SHA-256 of its public key (hex; RFC 7469 pinning, as kubeadm pins a CA). */
export interface Authority extends KeyPair {
  spkiSha256: string;
}

/** A key's export in a binary format (the DOM-less typings also admit JWK's object, never returned for these). */
async function exported(format: 'spki' | 'pkcs8', key: Key): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array((await crypto.subtle.exportKey(format, key)) as ArrayBuffer);
}

/** Clock skew allowance: a certificate is valid from a few minutes before it was made. */
const BACKDATE_MS = 5 * 60_000;

/** A self-signed CA named `subject`, valid for `validMs` from `now`. */
export async function createAuthority(subject: Subject, now: number, validMs: number): Promise<Authority> {
  const keys = (await crypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as Pair;
  const spki = await exported('spki', keys.publicKey);
  const ski = await keyIdentifier(spki);
  const name = nameDer(subject);
  const tbs = tbsCertificate({
    issuer: name,
    subject: name,
    spki,
    notBefore: now - BACKDATE_MS,
    notAfter: now + validMs,
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true))),
      // digitalSignature, keyEncipherment, keyCertSign: what kubeadm gives its CA.
      extension(OID.keyUsage, true, keyUsage([0, 2, 5])),
      extension(OID.subjectKeyId, false, octetString(ski)),
    ],
  });
  const certDer = await signed(tbs, keys.privateKey);
  const pkcs8 = await exported('pkcs8', keys.privateKey);
  return {
    certPem: pem('CERTIFICATE', certDer),
    keyPem: pem('PRIVATE KEY', pkcs8),
    spkiSha256: hex(new Uint8Array(await crypto.subtle.digest('SHA-256', spki))),
  };
}

/** A client certificate (ECDSA P-256 key) for `subject`, signed by `ca`, valid for `validMs` from `now`. */
export async function issueClientCertificate(
  ca: KeyPair,
  subject: Subject,
  now: number,
  validMs: number,
): Promise<KeyPair> {
  const caDer = unpem('CERTIFICATE', ca.certPem);
  const caKeyDer = unpem('PRIVATE KEY', ca.keyPem);
  if (!caDer || !caKeyDer) throw new Error('x509: the CA certificate or key is not PEM');
  const caParts = certificateParts(caDer);
  const caKey = await crypto.subtle.importKey('pkcs8', caKeyDer, RSA, false, ['sign']);
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as Pair;
  const spki = await exported('spki', keys.publicKey);
  const tbs = tbsCertificate({
    issuer: caParts.subject,
    subject: nameDer(subject),
    spki,
    notBefore: now - BACKDATE_MS,
    notAfter: now + validMs,
    extensions: [
      extension(OID.keyUsage, true, keyUsage([0])),
      extension(OID.extKeyUsage, false, sequence(oid(OID.clientAuth))),
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.authorityKeyId, false, sequence(tlv(0x80, await keyIdentifier(caParts.spki)))),
    ],
  });
  const certDer = await signed(tbs, caKey);
  const pkcs8 = await exported('pkcs8', keys.privateKey);
  return { certPem: pem('CERTIFICATE', certDer), keyPem: pem('PRIVATE KEY', pkcs8) };
}

/** A certificate's subject name and public key (DER), read from the certificate. */
export function certificateParts(certDer: Uint8Array): { subject: Der; spki: Der } {
  const cert = readTlv(certDer);
  const [tbs] = children(certDer, cert);
  if (!tbs) throw new Error('x509: not a certificate');
  const fields = children(certDer, tbs);
  // An explicit [0] version comes first in a v3 certificate; then serial, signature, issuer, validity, subject, key.
  const at = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[at + 4];
  const spki = fields[at + 5];
  if (!subject || !spki) throw new Error('x509: not a certificate');
  return { subject: certDer.slice(subject.start, subject.end), spki: certDer.slice(spki.start, spki.end) };
}

/** SHA-256 of a certificate's SubjectPublicKeyInfo, hex: `kubeadm join --discovery-token-ca-cert-hash sha256:…`. */
export async function spkiSha256(certPem: string): Promise<string> {
  const der = unpem('CERTIFICATE', certPem);
  if (!der) throw new Error('x509: not a PEM certificate');
  const { spki } = certificateParts(der);
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', spki)));
}

/** PEM text as base64 (a kubeconfig's `*-data` fields hold the PEM file base64-encoded). */
export function pemData(pemText: string): string {
  return base64(new TextEncoder().encode(pemText));
}

function nameDer(s: Subject): Der {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  return sequence(
    ...(s.organizations ?? []).map((o) => rdn(OID.organization, o)),
    rdn(OID.commonName, s.commonName),
  );
}

function tbsCertificate(t: {
  issuer: Der;
  subject: Der;
  spki: Der;
  notBefore: number;
  notAfter: number;
  extensions: Der[];
}): Der {
  // A positive serial of at most 20 octets (RFC 5280 §4.1.2.2), random so that no two certificates share one.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  return sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    signatureAlgorithm(),
    t.issuer,
    sequence(time(new Date(t.notBefore)), time(new Date(t.notAfter))),
    t.subject,
    t.spki,
    explicit(3, sequence(...t.extensions)),
  );
}

const signatureAlgorithm = () => sequence(oid(OID.sha256WithRsa), nullValue());

async function signed(tbs: Der, key: Key): Promise<Der> {
  const signature = new Uint8Array(await crypto.subtle.sign(RSA.name, key, tbs));
  return sequence(tbs, signatureAlgorithm(), bitString(signature));
}

function extension(id: string, critical: boolean, value: Der): Der {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** A KeyUsage BIT STRING with the named bits set, trailing zero bits left out as DER requires. */
function keyUsage(bits: readonly number[]): Der {
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)] = (bytes[Math.floor(b / 8)] ?? 0) | (0x80 >> (b % 8));
  const unused = 7 - (highest % 8);
  return tlv(0x03, Uint8Array.of(unused), bytes);
}

/** RFC 5280 §4.2.1.2 method 1: the SHA-1 of the subjectPublicKey bits. */
async function keyIdentifier(spki: Uint8Array): Promise<Der> {
  const [, key] = children(spki, readTlv(spki));
  if (!key) throw new Error('x509: not a public key');
  // Skip the BIT STRING's unused-bits octet.
  const bits = spki.slice(key.body + 1, key.end);
  return new Uint8Array(await crypto.subtle.digest('SHA-1', bits));
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
