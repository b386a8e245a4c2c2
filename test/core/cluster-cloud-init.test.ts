/**
 * The user data each node of a cluster deploys with: valid cloud-init by Debian's own `cloud-init schema`, and
 * carrying only the secrets that node needs (workers never the CA key or the certificate key; joining control
 * planes never the CA key). Skipped only where cloud-init is not installed, never under CI=true (.ci/run installs
 * it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderUserData } from '../../src/core/clusters/cloud-init.ts';
import { type NewSecrets, newClusterSecrets, TOKEN_PATTERN } from '../../src/core/clusters/secrets.ts';

const CLOUD_INIT = ['/usr/bin/cloud-init', '/usr/local/bin/cloud-init'].find((p) => existsSync(p));
if (!CLOUD_INIT && process.env.CI === 'true') throw new Error('this test needs cloud-init (see .ci/run)');
let made: NewSecrets;
let dir: string;
beforeAll(async () => {
  made = await newClusterSecrets(Date.UTC(2026, 0, 1));
  dir = mkdtempSync(join(tmpdir(), 'maas-mcp-cloud-init-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(role: 'control-plane' | 'worker', first: boolean, index: number, ha: boolean) {
  return renderUserData({
    cluster: 'prod',
    uid: 'a1b2c3d4e5f6',
    role,
    first,
    index,
    kubernetesVersion: '1.34',
    endpoint: first && !ha ? undefined : 'prod-api.maas:6443',
    certSans: ['node-1.maas'],
    podCidr: '10.244.0.0/16',
    serviceCidr: '172.20.0.0/16',
    caCertPem: made.caCertPem,
    caCertHash: made.caCertHash,
    tokenTtlH: 24,
    ha,
    secrets: made.secrets,
  });
}

const NODES = {
  'the first control plane of one': () => node('control-plane', true, 0, false),
  'the first control plane of three': () => node('control-plane', true, 0, true),
  'a joining control plane': () => node('control-plane', false, 2, true),
  'a worker': () => node('worker', false, 0, true),
};

describe('cluster user data', () => {
  it.skipIf(!CLOUD_INIT).each(Object.entries(NODES))(
    'for %s is valid cloud-config by cloud-init schema',
    (name, render) => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, render());
      const out = execFileSync(CLOUD_INIT as string, ['schema', '-c', file], { encoding: 'utf8' });
      expect(out).toMatch(/Valid (cloud-config|schema)/);
    },
  );

  it.skipIf(!CLOUD_INIT)('catches what is not valid (the check can fail)', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, '#cloud-config\nwrite_files:\n  - path: 3\n    permissions: true\nruncmd: 5\n');
    expect(() => execFileSync(CLOUD_INIT as string, ['schema', '-c', file], { stdio: 'pipe' })).toThrow();
  });

  it('gives each node only the secrets it needs', () => {
    const { ca_key_pem, token, certificate_key } = made.secrets;
    expect(token).toMatch(TOKEN_PATTERN);
    const keyBody = ca_key_pem.split('\n')[1] as string;
    const single = NODES['the first control plane of one']();
    expect(single).toContain(keyBody);
    expect(single).not.toContain(certificate_key);
    const ha = NODES['the first control plane of three']();
    expect(ha).toContain(keyBody);
    expect(ha).toContain(certificate_key);
    const joining = NODES['a joining control plane']();
    expect(joining).not.toContain(keyBody);
    expect(joining).toContain(certificate_key);
    expect(joining).toContain(token);
    const worker = NODES['a worker']();
    expect(worker).not.toContain(keyBody);
    expect(worker).not.toContain(certificate_key);
    expect(worker).toContain(token);
    expect(worker).toContain(made.caCertHash);
  });
});
