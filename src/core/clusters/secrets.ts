/**
 * A cluster's secrets, made by maas-mcp so that no machine needs to call back (README "Kubernetes clusters"): the
 * cluster CA (kubeadm's `ca.crt`/`ca.key`, placed on the first control plane before `kubeadm init`), a bootstrap
 * token for `kubeadm join`, and the key that encrypts the control-plane certificates kubeadm shares through the
 * cluster (`--certificate-key`). They are kept sealed in the cluster record and opened only to render a node's user
 * data or an admin's kubeconfig.
 */
import { randomBytes } from '../../base/ids.ts';
import type { Vault } from '../../base/vault.ts';
import { createAuthority, issueClientCertificate, pemData } from '../../base/x509.ts';
import { toYaml } from '../../base/yaml.ts';
import type { ClusterRecord } from '../../store/clusters.ts';
import { ToolError } from '../errors.ts';

/** What is sealed in the record. */
export interface ClusterSecrets {
  /** PKCS#8 PEM: the cluster CA's private key. */
  ca_key_pem: string;
  /** `[a-z0-9]{6}.[a-z0-9]{16}`: kubeadm's bootstrap token. */
  token: string;
  /** 64 hex digits: the AES-256 key kubeadm encrypts the shared control-plane certificates with. */
  certificate_key: string;
}

export interface NewSecrets {
  caCertPem: string;
  /** `sha256:<hex>`, as `--discovery-token-ca-cert-hash` takes it. */
  caCertHash: string;
  secrets: ClusterSecrets;
}

/** The cluster CA's lifetime: kubeadm's own (ten years). */
const CA_VALID_MS = 10 * 365 * 24 * 60 * 60_000;

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `n` characters of kubeadm's token alphabet (`[a-z0-9]`), without modulo bias. */
function tokenPart(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      // 252 = 7 × 36: bytes at or above it would favour the first letters.
      if (b < 252 && out.length < n) out += TOKEN_CHARS[b % 36];
    }
  }
  return out;
}

/** A kubeadm bootstrap token: `<6-character id>.<16-character secret>`. */
export function bootstrapToken(): string {
  return `${tokenPart(6)}.${tokenPart(16)}`;
}

export const TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/** A new CA, token and certificate key for a cluster. */
export async function newClusterSecrets(now: number): Promise<NewSecrets> {
  const ca = await createAuthority({ commonName: 'kubernetes' }, now, CA_VALID_MS);
  const key = [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return {
    caCertPem: ca.certPem,
    caCertHash: `sha256:${ca.spkiSha256}`,
    secrets: { ca_key_pem: ca.keyPem, token: bootstrapToken(), certificate_key: key },
  };
}

/** The record's sealing of `secrets`: the ciphertext and the key's id. */
export async function sealSecrets(
  vault: Vault,
  secrets: ClusterSecrets,
): Promise<{ sealed: string; key_id: string }> {
  return { sealed: await vault.seal(JSON.stringify(secrets)), key_id: await vault.keyId() };
}

/**
 * The cluster's secrets, or a {@link ToolError} saying why they cannot be had and what still works: the record was
 * rebuilt from MAAS (the secrets were never there), or they were sealed under another MAAS API key.
 */
export async function openSecrets(
  vault: Vault | undefined,
  c: ClusterRecord,
  what: string,
): Promise<ClusterSecrets> {
  if (!c.sealed) {
    throw new ToolError(
      `cannot ${what}: cluster ${c.name}'s record was rebuilt from MAAS, which never held its secrets; use /etc/kubernetes/admin.conf and kubeadm token create on its first control plane`,
    );
  }
  const opened = vault ? await vault.unseal(c.sealed) : undefined;
  if (opened === undefined) {
    throw new ToolError(
      `cannot ${what}: cluster ${c.name}'s secrets were sealed under another MAAS API key (key id ${c.key_id ?? '?'}); run maas-mcp with the key it was created with`,
    );
  }
  return JSON.parse(opened) as ClusterSecrets;
}

/**
 * An admin kubeconfig for the cluster: a client certificate for `user` in kubeadm's `kubeadm:cluster-admins` group
 * (bound to cluster-admin by `kubeadm init` from Kubernetes 1.29), signed by the cluster CA, valid for `validMs`.
 */
export async function adminKubeconfig(
  c: ClusterRecord,
  secrets: ClusterSecrets,
  user: string,
  now: number,
  validMs: number,
): Promise<{ kubeconfig: string; expires_at: number; server: string }> {
  if (!c.ca_cert_pem || !c.endpoint) {
    throw new ToolError(`cannot make a kubeconfig for ${c.name}: its API endpoint is not known yet`);
  }
  const server = `https://${c.endpoint.host}:${c.endpoint.port}`;
  const cert = await issueClientCertificate(
    { certPem: c.ca_cert_pem, keyPem: secrets.ca_key_pem },
    { commonName: user, organizations: ['kubeadm:cluster-admins'] },
    now,
    validMs,
  );
  const userName = `${user}@${c.name}`;
  const kubeconfig = toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: c.name, cluster: { server, 'certificate-authority-data': pemData(c.ca_cert_pem) } }],
    users: [
      {
        name: userName,
        user: { 'client-certificate-data': pemData(cert.certPem), 'client-key-data': pemData(cert.keyPem) },
      },
    ],
    contexts: [{ name: userName, context: { cluster: c.name, user: userName } }],
    'current-context': userName,
    preferences: {},
  });
  return { kubeconfig, expires_at: now + validMs, server };
}
