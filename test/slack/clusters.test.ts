/**
 * Clusters in Slack, through signed requests: `/maas cluster create` previews every machine it will take behind
 * Confirm/Cancel and, confirmed, ends with a completion notice; `/maas clusters`, `/maas cluster show`,
 * `/maas cluster scale` and `/maas cluster delete` work the same way; the kubeconfig is never offered in Slack, and
 * nothing Slack is sent carries a cluster secret.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openSecrets } from '../../src/core/clusters/secrets.ts';
import {
  answer,
  buttonValue,
  clickAnswer,
  drive,
  type Msg,
  maasWrites,
  posts,
  type Rig,
  slackRig,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

describe('/maas cluster', () => {
  it('creates, shows, lists, scales and deletes a cluster, confirming what takes or gives back machines', async () => {
    rig = await slackRig({ MAAS_MCP_TOOLSETS: 'all' });
    const before = maasWrites(rig);
    const preview = await answer(rig, 'cluster create dev workers=1 service_cidr=172.20.0.0/16', 'UADMIN');
    const shown = texts(preview.msg);
    expect(shown).toContain('control plane 1 of 1');
    expect(shown).toContain('worker 1 of 1');
    expect(maasWrites(rig)).toBe(before);
    const done = await clickAnswer(rig, 'maas:confirm', buttonValue(preview.msg), 'UADMIN');
    expect(texts(done.msg)).toContain('create cluster dev (1 + 1');
    // The completion notice, once MAAS has deployed both machines.
    await drive(rig, () => posts(rig).some((m) => /cluster op_\w+ succeeded/.test(texts(m))));
    const notice = posts(rig).find((m) => /cluster op_\w+ succeeded/.test(texts(m))) as Msg;
    expect(texts(notice)).toMatch(/<@UADMIN> .*succeeded: 2\/2 done/);

    const show = await answer(rig, 'cluster show dev', 'UOPS');
    expect(texts(show.msg)).toMatch(
      /Cluster dev \(1 \+ 1, Kubernetes 1\.34 on noble\): ready; API https:\/\//,
    );
    expect(texts(show.msg)).toContain('maas:///');
    const record = await rig.deps.store.getCluster('dev');
    if (!record) throw new Error('no record for cluster dev');
    const secrets = await openSecrets(rig.deps.vault, record, 'test');
    const list = await answer(rig, 'clusters', 'UOPS');
    expect(texts(list.msg)).toContain('dev: 1 + 1, ready');

    const kube = await answer(rig, 'cluster kubeconfig dev', 'UADMIN');
    expect(texts(kube.msg)).not.toContain('apiVersion');
    expect(texts(kube.msg)).toContain(
      '`/maas cluster-kubeconfig` is not offered in Slack: ask an MCP client',
    );

    const down = await answer(rig, 'cluster scale dev workers=0', 'UADMIN');
    expect(texts(down.msg)).toContain('remove from dev');
    const scaled = await clickAnswer(rig, 'maas:confirm', buttonValue(down.msg), 'UADMIN');
    expect(texts(scaled.msg)).toContain('scale cluster dev down to 0 workers');

    const del = await answer(rig, 'cluster delete dev', 'UADMIN');
    expect(texts(del.msg)).toContain('control-plane of dev: release it');
    await clickAnswer(rig, 'maas:confirm', buttonValue(del.msg), 'UADMIN');

    // Nothing Slack was sent, from create to delete, carries a cluster secret.
    const everything = JSON.stringify(rig.fake.calls);
    for (const secret of [
      secrets.token,
      secrets.certificate_key,
      secrets.ca_key_pem.split('\n')[1] as string,
    ]) {
      expect(everything.includes(secret)).toBe(false);
    }
    await drive(rig, async () => (await rig.deps.store.getCluster('dev')) === undefined);
  });

  it('knows no cluster verb while the clusters toolset is off', async () => {
    rig = await slackRig({});
    for (const text of ['clusters', 'cluster kubeconfig dev', 'cluster create dev']) {
      expect(texts((await answer(rig, text, 'UADMIN')).msg), text).toContain('Unknown command');
    }
  });
});
