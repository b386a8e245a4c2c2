import { afterEach, describe, expect, it } from 'vitest';
import { call, drive } from '../../helpers.ts';
import { runCleanups } from '../write-helpers.ts';
import { type ClusterEnv, clusterSetup, heldFor } from './rig.ts';

let env: ClusterEnv | undefined;
afterEach(async () => {
  env?.stop();
  await runCleanups();
});

describe('cluster_create', () => {
  it('creates a 1 + 2 cluster whose three machines end Deployed with their roles on MAAS', async () => {
    env = await clusterSetup();
    const r = await drive(
      env.clock,
      call(env.client, 'cluster_create', {
        name: 'dev',
        control_planes: 1,
        workers: 2,
        service_cidr: '172.20.0.0/16',
        wait: true,
        wait_timeout_s: 900,
      }),
    );
    console.log(r.text);
    expect(r.isError).toBeFalsy();
    expect(heldFor(env, 'dev')).toHaveLength(3);
  });
});
