/**
 * A cluster's secrets — the CA key, the join token, the certificate key, a kubeconfig's client key, the user data —
 * never appear in a tool's answer (but the kubeconfig's own, to the admin who asked), a log line, the audit or the
 * store in clear.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/base/log.ts';
import { openSecrets } from '../../../src/core/clusters/secrets.ts';
import { call, drive } from '../../helpers.ts';
import { runCleanups } from '../write-helpers.ts';
import { type ClusterEnv, clusterSetup, finish, SVC } from './rig.ts';

let env: ClusterEnv | undefined;
afterEach(async () => {
  env?.stop();
  await runCleanups();
});

describe('cluster secrets', () => {
  it('stay out of answers, logs, the audit and the store', async () => {
    const lines: string[] = [];
    env = await clusterSetup({ log: createLogger((l) => lines.push(l), { level: 'debug' }) });
    const answers: string[] = [];
    const keep = (r: { text: string; data: unknown }) => {
      answers.push(r.text, JSON.stringify(r.data));
      return r;
    };
    keep(
      await drive(
        env.clock,
        call(env.client, 'cluster_create', { name: 'ha', control_planes: 3, workers: 1, ...SVC }),
      ),
    );
    await finish(env, 'ha');
    keep(await drive(env.clock, call(env.client, 'cluster_scale', { name: 'ha', workers: 2 })));
    keep(await call(env.client, 'cluster_get', { name: 'ha' }));
    keep(await call(env.client, 'clusters_list', {}));
    const kube = await call<{ kubeconfig: string }>(env.client, 'cluster_kubeconfig', { name: 'ha' });
    const record = await env.deps.store.getCluster('ha');
    if (!record) throw new Error('no record');
    const s = await openSecrets(env.deps.vault, record, 'test');
    const clientKey = Buffer.from(
      /client-key-data: "([^"]+)"/.exec(kube.data.kubeconfig)?.[1] ?? '',
      'base64',
    )
      .toString()
      .split('\n')[1] as string;
    const secrets = {
      token: s.token,
      'token secret part': s.token.split('.')[1] as string,
      'certificate key': s.certificate_key,
      'CA key': s.ca_key_pem.split('\n')[1] as string,
      'kubeconfig client key': clientKey,
      'user data': '#cloud-config',
    };
    const { sealed: _sealed, ...storedClear } = record;
    const places = {
      answers: answers.join('\n'),
      logs: lines.join('\n'),
      audit: JSON.stringify(await env.deps.store.listAudit({ limit: 500 })),
      'store (cluster record)': JSON.stringify(storedClear),
      'store (operations)': JSON.stringify(await env.deps.store.listOperations({ limit: 500 })),
    };
    for (const [where, text] of Object.entries(places)) {
      for (const [what, value] of Object.entries(secrets))
        expect(text.includes(value), `${what} in ${where}`).toBe(false);
    }
    expect(record.sealed).toBeTruthy();
    // The kubeconfig was given, and its reading audited without it.
    expect(clientKey.length).toBeGreaterThan(20);
    const audit = await env.deps.store.listAudit({ tool: 'cluster_kubeconfig' });
    expect(audit).toHaveLength(1);
    expect(audit[0]?.detail).toContain('issued an admin kubeconfig for cluster ha');
  });
});
