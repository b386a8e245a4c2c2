/**
 * What clusters need from the Worker runtime: the cluster CA, bootstrap token and an admin's client certificate
 * made with workerd's Web Crypto (no Node crypto), and a cluster record kept in the Durable Object's SQLite with
 * compare-and-set updates.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { vaultOf } from '../../src/base/vault.ts';
import { spkiSha256 } from '../../src/base/x509.ts';
import {
  adminKubeconfig,
  newClusterSecrets,
  openSecrets,
  sealSecrets,
  TOKEN_PATTERN,
} from '../../src/core/clusters/secrets.ts';
import type { ClusterRecord } from '../../src/store/clusters.ts';
import { DurableSqlStore } from '../../src/store/durable.ts';

const T0 = Date.UTC(2026, 0, 1);

async function record(): Promise<{ rec: ClusterRecord; token: string }> {
  const made = await newClusterSecrets(T0);
  const vault = vaultOf('consumer:token:secret', 'clusters');
  const rec: ClusterRecord = {
    name: 'edge',
    uid: 'a1b2c3',
    created_at: T0,
    updated_at: T0,
    created_by: 'test',
    spec: { name: 'edge' },
    endpoint: { host: '10.10.0.5', port: 6443, kind: 'ip', dns_resource_id: null },
    ca_cert_pem: made.caCertPem,
    ca_cert_hash: made.caCertHash,
    ...(await sealSecrets(vault, made.secrets)),
    token_expires_at: null,
    machines: [],
    action: null,
    operation_id: null,
    recovered: false,
    problems: [],
    leaks: [],
    reconciled_at: null,
    version: 0,
  };
  return { rec, token: made.secrets.token };
}

describe('clusters on Workers', () => {
  it('makes the CA, token and an admin kubeconfig with Web Crypto, and seals them', async () => {
    const { rec, token } = await record();
    expect(token).toMatch(TOKEN_PATTERN);
    expect(rec.ca_cert_hash).toBe(`sha256:${await spkiSha256(rec.ca_cert_pem ?? '')}`);
    expect(rec.sealed).not.toContain(token);
    const secrets = await openSecrets(vaultOf('consumer:token:secret', 'clusters'), rec, 'test');
    expect(secrets.token).toBe(token);
    const k = await adminKubeconfig(rec, secrets, 'admin', T0, 3_600_000);
    expect(k.server).toBe('https://10.10.0.5:6443');
    expect(k.kubeconfig).toMatch(/client-certificate-data: "[A-Za-z0-9+/=]+"/);
    await expect(openSecrets(vaultOf('other:key:here', 'clusters'), rec, 'test')).rejects.toThrow(
      /another MAAS API key/,
    );
  });

  it('keeps a cluster record in the Durable Object’s SQLite, refusing a stale update', async () => {
    const { rec } = await record();
    const stub = env.MAAS_MCP.get(env.MAAS_MCP.idFromName('clusters-test'));
    await runInDurableObject(stub, async (_o, state) => {
      const store = new DurableSqlStore(state.storage);
      await store.createCluster(rec);
      const saved = await store.updateCluster({ ...rec, problems: ['x'] });
      expect(saved?.version).toBe(1);
      expect(await store.updateCluster({ ...rec, problems: ['stale'] })).toBeUndefined();
      expect((await store.getCluster('edge'))?.problems).toEqual(['x']);
      expect(await store.deleteCluster('edge', 1)).toBe(true);
    });
  });
});
