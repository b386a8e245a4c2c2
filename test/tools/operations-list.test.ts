/** operations_list filters as a person means them. */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/result.ts';
import { call } from '../helpers.ts';
import { runCleanups, setup } from './write-helpers.ts';

afterEach(runCleanups);

type ListOut = { operations: { id: string; kind: string }[] };

describe('operations_list kind filter', () => {
  it('finds a release that erases disks under kind=release, and only erases under kind=erase', async () => {
    const { client } = await setup();
    const plain = await call<ActionResult>(client, 'machine_release', { machines: 'db-01' });
    const erasing = await call<ActionResult>(client, 'machine_release', { machines: 'web-04', erase: true });
    const deploy = await call<ActionResult>(client, 'machine_deploy', { machines: 'web-01' });
    const [p, e, d] = [plain, erasing, deploy].map((r) => r.data.operation_id as string);

    const releases = await call<ListOut>(client, 'operations_list', { kind: 'release' });
    expect(releases.data.operations.map((o) => [o.id, o.kind]).sort()).toEqual(
      [
        [p, 'release'],
        [e, 'erase'],
      ].sort(),
    );
    const erases = await call<ListOut>(client, 'operations_list', { kind: 'erase' });
    expect(erases.data.operations.map((o) => o.id)).toEqual([e]);
    const both = await call<ListOut>(client, 'operations_list', { kind: ['deploy', 'release'] });
    expect(both.data.operations.map((o) => o.id).sort()).toEqual([p, e, d].sort());
  });
});
