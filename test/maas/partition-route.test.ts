import { afterEach, describe, expect, it } from 'vitest';
import { MaasError } from '../../src/maas/errors.ts';
import { MaasHttp } from '../../src/maas/http.ts';
import { formatTarget } from '../../src/maas/storage.ts';
import { createSimulator, type Simulator } from '../../src/sim/index.ts';

let sim: Simulator;
afterEach(() => sim?.close());

describe('MAAS’s one route without a trailing slash', () => {
  it('reaches a partition (…/partition/{id}) and still refuses other paths without the slash', async () => {
    sim = createSimulator({ timeScale: 1000 });
    const c = new MaasHttp({
      url: sim.baseUrl,
      apiKey: sim.users.admin.apiKey,
      fetch: sim.fetch,
      retries: 0,
    });
    const sid = sim.control.systemId('web-01');
    const disk = sim.control.machine('web-01').blockDevices[0];
    const part = disk?.partitions[1];
    expect(part).toBeDefined();
    await formatTarget(
      c,
      sid,
      { deviceId: disk!.id, partitionId: part!.id },
      { fstype: 'xfs', label: 'data' },
    );
    const after = (await c.call({
      method: 'GET',
      path: `nodes/${sid}/blockdevices/${disk!.id}/partition/${part!.id}`,
    })) as {
      filesystem: { fstype: string; label: string };
    };
    expect(after.filesystem).toMatchObject({ fstype: 'xfs', label: 'data' });
    await expect(c.call({ method: 'GET', path: 'machines' })).rejects.toBeInstanceOf(MaasError);
    await expect(c.call({ method: 'GET', path: `nodes/${sid}/blockdevices/${disk!.id}` })).rejects.toThrow(
      /end in "\/"/,
    );
  });
});
