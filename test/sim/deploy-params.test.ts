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

  it('requires user_data to be base64 and stores it without rendering it', async () => {
    const sim = createSimulator();
    const bad = await op(sim, sim.users.admin, 'web-01', 'deploy', { user_data: '#cloud-config\n' });
    expect([bad.status, await bad.text()]).toEqual([
      400,
      'Invalid user_data: the value must be base64-encoded.',
    ]);
    expect(sim.state.machineByHostname('web-01')?.status).toBe(4);
    const encoded = btoa('#cloud-config\nruncmd: [echo hi]\n');
    const ok = await op(sim, sim.users.admin, 'web-01', 'deploy', { user_data: encoded });
    expect(await ok.text()).not.toContain(encoded);
    expect(sim.state.machineByHostname('web-01')?.userData).toBe(encoded);
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
