import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/sim/index.ts';
import { json, type MachineJson, op } from './helpers.ts';

describe('deploy parameters', () => {
  it.each([
    ['jammy', 'jammy', 'ga-22.04'],
    ['ubuntu/noble', 'noble', 'ga-24.04'],
    ['20.04', 'focal', 'ga-20.04'],
    ['24.04', 'noble', 'ga-24.04'],
    ['', 'jammy', 'ga-22.04'],
  ])('accepts distro_series %j as %s', async (given, series, kernel) => {
    const sim = createSimulator();
    const m = await json<MachineJson>(
      await op(sim, sim.users.admin, 'web-01', 'deploy', { distro_series: given }),
    );
    expect(m).toMatchObject({ osystem: 'ubuntu', distro_series: series, hwe_kernel: kernel });
    sim.close();
  });

  it('validates hwe_kernel against the series and architecture', async () => {
    const sim = createSimulator();
    const ok = await op(sim, sim.users.admin, 'web-01', 'deploy', {
      distro_series: 'jammy',
      hwe_kernel: 'hwe-22.04',
    });
    expect((await json<MachineJson>(ok)).hwe_kernel).toBe('hwe-22.04');
    const bad = await op(sim, sim.users.admin, 'web-02', 'deploy', {
      distro_series: 'noble',
      hwe_kernel: 'ga-20.04',
    });
    expect([bad.status, await bad.text()]).toEqual([
      400,
      '{"hwe_kernel": ["ga-20.04 is not available for ubuntu/noble on amd64/generic."]}',
    ]);
    sim.close();
  });

  it('stores user_data as given, never renders it, and serves base64 decoded (MAAS `metadataserver/api.py` `UserDataHandler.read`)', async () => {
    const sim = createSimulator();
    const plain = '#cloud-config\nruncmd: [echo plain]\n';
    const first = await op(sim, sim.users.admin, 'web-01', 'deploy', { user_data: plain });
    expect(first.status).toBe(200);
    expect(await first.text()).not.toContain('echo plain');
    expect(sim.control.userData('web-01')).toEqual({ stored: plain, served: plain });
    const encoded = btoa('#cloud-config\nruncmd: [echo hi]\n');
    const wrapped = `${encoded.slice(0, 10)}\n${encoded.slice(10)}`;
    const ok = await op(sim, sim.users.admin, 'web-02', 'deploy', { user_data: wrapped });
    expect(await ok.text()).not.toContain(encoded.slice(0, 10));
    expect(sim.control.userData('web-02')).toEqual({
      stored: wrapped,
      served: '#cloud-config\nruncmd: [echo hi]\n',
    });
    sim.close();
  });

  it('removes the user data of a deploy that sends none', async () => {
    const sim = createSimulator();
    await op(sim, sim.users.admin, 'web-01', 'deploy', { user_data: btoa('#cloud-config\n') });
    await op(sim, sim.users.admin, 'web-01', 'abort');
    await op(sim, sim.users.admin, 'web-01', 'deploy');
    expect(sim.control.userData('web-01')).toBeNull();
    sim.close();
  });

  it('rejects a bad boolean flag with the StringBool message', async () => {
    const sim = createSimulator();
    const res = await op(sim, sim.users.admin, 'web-01', 'deploy', { ephemeral_deploy: 'sometimes' });
    expect([res.status, await res.text()]).toEqual([
      400,
      "Invalid ephemeral_deploy: Value should be 'true' or 'false'",
    ]);
  });
});

describe('runtime neutrality', () => {
  it('uses no node: imports or Node-only globals anywhere in src/sim', () => {
    const dir = join(import.meta.dirname, '../../src/sim');
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text, file).not.toMatch(
        /from ['"]node:|require\(|\bprocess\.|\bBuffer\b|Math\.random|(?<!\.)\bsetTimeout\(|\bconsole\./,
      );
    }
  });
});
