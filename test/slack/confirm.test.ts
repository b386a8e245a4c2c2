/**
 * Destructive verbs: an ephemeral preview with Confirm (danger, with Slack's dialog) and Cancel; only the
 * requester or an admin confirms; confirming re-checks the machines; a confirmation works once and expires.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIRM_KEY } from '../../src/slack/commands.ts';
import { sealedName, unseal } from '../../src/slack/sealed.ts';
import { call } from '../helpers.ts';
import {
  answer,
  buttonsOf,
  click,
  clickAnswer,
  firstResponse,
  maasWrites,
  mcpClient,
  node,
  posts,
  previewOf,
  quiet,
  type Rig,
  responses,
  slackRig,
  statusOf,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

/** MAAS deploy requests (op=deploy POSTs) so far. */
function deploys(r: Rig): number {
  return r.sim.requests.count({ method: 'POST', op: 'deploy' });
}

const GONE = 'This confirmation expired or was already used.';

describe('the preview', () => {
  it('is ephemeral, says what happens to each machine, and has Confirm (danger, with a dialog) and Cancel', async () => {
    rig = await slackRig();
    const writes = maasWrites(rig);
    const { msg, nonce } = await previewOf(rig, 'deploy web-01 web-02 distro_series=jammy');
    expect(msg.response_type).toBe('ephemeral');
    expect(msg.text).toBe('Deploy 2 machines?');
    const all = texts(msg);
    expect(all).toContain(':warning: *Deploy 2 machines?* Nothing has changed yet.');
    for (const h of ['web-01', 'web-02']) {
      expect(all).toContain(
        `*${h}* Ready, power off → allocate to admin, then install jammy over its disks and power it on`,
      );
    }
    const [go, stop] = buttonsOf(msg);
    expect(go).toMatchObject({ type: 'button', action_id: 'maas:confirm', value: nonce, style: 'danger' });
    expect(go?.confirm).toMatchObject({
      title: { text: 'Are you sure?' },
      text: { text: 'Deploy 2 machines?' },
      confirm: { text: 'Deploy machines' },
      deny: { text: 'Back' },
      style: 'danger',
    });
    expect(stop).toMatchObject({ type: 'button', action_id: 'maas:cancel', value: nonce });
    expect(stop?.style).toBeUndefined();
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    // Nothing changed; the call waits server-side, token and all, sealed with the nonce only the buttons carry.
    expect(maasWrites(rig)).toBe(writes);
    expect(statusOf(rig, 'web-01')).toBe('Ready');
    const sealed = (await rig.deps.store.getValue(CONFIRM_KEY(await sealedName(nonce)))) ?? '';
    expect(sealed).not.toContain('machine_deploy');
    const held = JSON.parse((await unseal(nonce, sealed)) ?? '{}') as Record<string, unknown>;
    expect(held).toMatchObject({ tool: 'machine_deploy', user: 'UOPS', role: 'operator', channel: 'CCHAN' });
    expect(held.args).toMatchObject({ machines: ['web-01', 'web-02'], distro_series: 'jammy' });
  });

  it('marks machines that will be skipped or refused, and shows no button when nothing would change', async () => {
    rig = await slackRig();
    const mixed = await answer(rig, 'release db-01 web-01 web-03');
    expect(mixed.msg.text).toBe('Release 1 machine?');
    expect(texts(mixed.msg)).toContain(':heavy_minus_sign: *web-01* Ready');
    expect(texts(mixed.msg)).toMatch(/:no_entry: \*web-03\* .*locked/);
    const nothing = await answer(rig, 'release web-01');
    expect(buttonsOf(nothing.msg)).toEqual([]);
    expect(texts(nothing.msg)).toContain('skipped: already Ready');
  });
});

describe('confirming', () => {
  it('the requester’s click runs it, posts the result in the channel and deletes the preview', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01 web-02 distro_series=jammy');
    const c = await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(c.res.status).toBe(200);
    expect(c.msg).toMatchObject({ delete_original: true, replace_original: true });
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
    expect(statusOf(rig, 'web-02')).toBe('Deploying');
    const [result] = posts(rig, 'CCHAN');
    expect(result?.text).toBe('deploy: 2 done');
    expect(texts(result)).toContain('<@UOPS>: *deploy: 2 done*');
    expect(texts(result)).toMatch(/\*web-01\* Ready → Deploying/);
    expect(node(rig, 'web-01').distroSeries).toBe('jammy');
    expect(await rig.deps.store.getValue(CONFIRM_KEY(await sealedName(nonce)))).toBeUndefined();
  });

  it('when the bot cannot post in the channel, the preview is replaced by the result instead', async () => {
    rig = await slackRig();
    rig.fake.notIn.add('CCHAN');
    const { nonce } = await previewOf(rig, 'deploy web-01');
    const { msg } = await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(msg).toMatchObject({
      replace_original: true,
      response_type: 'in_channel',
      text: 'deploy: 1 done',
    });
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
  });

  it('another user’s click (a viewer, another operator) is refused ephemerally and changes nothing', async () => {
    rig = await slackRig();
    rig.fake.groups.set('SOPS', ['UOPS2']);
    const { nonce } = await previewOf(rig, 'deploy web-01', 'UOPS');
    const writes = maasWrites(rig);
    for (const user of ['UVIEW', 'UOPS2']) {
      const { msg } = await clickAnswer(rig, 'maas:confirm', nonce, user);
      expect(msg).toEqual({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'Only <@UOPS> (who asked) or a maas-mcp admin can confirm this.',
      });
    }
    expect(maasWrites(rig)).toBe(writes);
    expect(statusOf(rig, 'web-01')).toBe('Ready');
    // The confirmation is still the requester's to use.
    await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
  });

  it('an admin’s click runs it, and the result says who confirmed', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01', 'UOPS');
    await clickAnswer(rig, 'maas:confirm', nonce, 'UADMIN');
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
    expect(texts(posts(rig, 'CCHAN')[0])).toContain('<@UOPS> (confirmed by <@UADMIN>): *deploy: 1 done*');
    const audit = (await rig.deps.store.listAudit()).find(
      (r) => r.tool === 'machine_deploy' && r.result === 'ok',
    );
    expect(audit?.principal).toBe('UOPS');
  });

  // Regression (fixed): when an admin confirms someone else's preview, the audit log records only the requester (principal UOPS,
  // detail "deploy: 1 done"); the admin who actually pressed Confirm appears nowhere, though every Slack action is
  // to be audited with the Slack user id. confirm() in src/slack/interactions.ts runs the tool as the requester and
  // records nothing about the clicker. Fix: recordAudit a 'confirmed' entry (principal = clicker, detail
  // "confirmed <@UOPS>'s deploy") or put the clicker into the executed call's audit detail.
  it('an admin’s confirmation of someone else’s preview is audited with the admin’s Slack user id', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01', 'UOPS');
    await clickAnswer(rig, 'maas:confirm', nonce, 'UADMIN');
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
    expect(JSON.stringify(await rig.deps.store.listAudit())).toContain('UADMIN');
  });

  it('an expired confirmation (after 5 minutes) is refused with a clear message', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    await rig.clock.advance(5 * 60_000 + 1_000);
    const { msg } = await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(msg.text).toBe(GONE);
    expect(msg.replace_original).toBe(true);
    expect(texts(msg)).toContain('nothing was changed');
    expect(deploys(rig)).toBe(0);
    expect(statusOf(rig, 'web-01')).toBe('Ready');
  });

  it('a confirmation works once: a second click is refused', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(deploys(rig)).toBe(1);
    const again = await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(again.msg.text).toBe(GONE);
    expect(deploys(rig)).toBe(1);
    expect(posts(rig, 'CCHAN')).toHaveLength(1);
  });

  it('two clicks at the same moment run it once', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    const [a, b] = await Promise.all([
      click(rig, 'maas:confirm', nonce, 'UOPS'),
      click(rig, 'maas:confirm', nonce, 'UOPS'),
    ]);
    await firstResponse(rig, a.responseUrl);
    await firstResponse(rig, b.responseUrl);
    expect(deploys(rig)).toBe(1);
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
  });

  it('a nonce that was never issued is refused like an expired one', async () => {
    rig = await slackRig();
    for (const value of ['0123456789abcdef01234567', '../../etc', '']) {
      const { msg } = await clickAnswer(rig, 'maas:confirm', value, 'UOPS');
      expect(msg.text).toBe(GONE);
    }
    expect(maasWrites(rig)).toBe(0);
  });

  it('if a machine changed since the preview, the confirmation is refused with the gate’s message', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    // Someone deploys web-01 over MCP meanwhile (token flow).
    const client = await mcpClient(rig);
    const first = await call<{ confirm_token: string }>(client, 'machine_deploy', { machines: 'web-01' });
    await call(client, 'machine_deploy', { machines: 'web-01', confirm_token: first.data.confirm_token });
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
    expect(deploys(rig)).toBe(1);
    const { msg } = await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(msg.replace_original).toBe(true);
    expect(msg.response_type).toBe('ephemeral');
    expect(msg.text).toMatch(/^Not done: Since the preview, web-01 is now Deploying\./);
    expect(deploys(rig)).toBe(1);
    const refused = (await rig.deps.store.listAudit()).find((r) => r.result === 'refused');
    expect(refused).toMatchObject({ principal: 'UOPS', via: 'slack', tool: 'machine_deploy' });
  });
});

describe('cancelling', () => {
  it('Cancel says "Cancelled", changes nothing, is audited, and the confirmation is gone', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01 web-02');
    const { msg } = await clickAnswer(rig, 'maas:cancel', nonce, 'UOPS');
    expect(msg).toMatchObject({ replace_original: true, text: 'Cancelled — nothing was changed.' });
    expect(texts(msg)).toContain('Cancelled by <@UOPS>');
    expect(maasWrites(rig)).toBe(0);
    expect(statusOf(rig, 'web-01')).toBe('Ready');
    const [rec] = await rig.deps.store.listAudit();
    expect(rec).toMatchObject({
      principal: 'UOPS',
      via: 'slack',
      tool: 'machine_deploy',
      result: 'cancelled',
    });
    const late = await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(late.msg.text).toBe(GONE);
    expect(deploys(rig)).toBe(0);
  });

  it('another user’s Cancel is refused ephemerally; the preview still works for the requester', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01', 'UOPS');
    const { msg } = await clickAnswer(rig, 'maas:cancel', nonce, 'UVIEW');
    expect(msg).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(msg.text).toBe('Only <@UOPS> or an admin can cancel this.');
    await clickAnswer(rig, 'maas:confirm', nonce, 'UOPS');
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
  });

  // Regression (fixed): another user's refused Cancel leaves no audit record (a refused Confirm does): cancel() in
  // src/slack/interactions.ts returns the ephemeral refusal without recordAudit. "Every Slack action is audited
  // with the Slack user id." Fix: record { result: 'refused', detail: 'cancel by <@clicker> refused: it belongs
  // to <@user>' } as confirm() does for a foreign click.
  it('another user’s refused Cancel is audited with their Slack user id', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01', 'UOPS');
    await clickAnswer(rig, 'maas:cancel', nonce, 'UVIEW');
    const records = await rig.deps.store.listAudit();
    expect(records).toContainEqual(
      expect.objectContaining({ principal: 'UVIEW', via: 'slack', result: 'refused' }),
    );
  });

  it('an admin may cancel someone else’s preview', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01', 'UOPS');
    const { msg } = await clickAnswer(rig, 'maas:cancel', nonce, 'UADMIN');
    expect(texts(msg)).toContain('Cancelled by <@UADMIN>');
    await quiet();
    expect(responses(rig, '/api/chat.postMessage')).toEqual([]);
  });
});

describe('conditionally destructive verbs', () => {
  // Regression (fixed): `/maas cancel <op> abort=true` can never abort from Slack. operation_cancel is not marked destructive, so
  // handleCommand (src/slack/commands.ts) runs it directly; its inner machine_abort answers "confirmation_required"
  // with a confirm token, which `present` renders as plain text — posted *in the channel* ("Confirmation required:
  // abort 1 machine…"), with no Confirm button, and the token cannot be typed either (toArgs refuses
  // confirm_token). Fix: when a tool's answer carries a confirmation (out.confirm_token, or out.abort.confirm_token),
  // turn it into the same ephemeral preview with Confirm/Cancel (store the token behind a nonce as preview() does).
  it('cancel <op> abort=true answers with an ephemeral preview and a Confirm button', async () => {
    rig = await slackRig();
    await answer(rig, 'commission new-01');
    const [op] = await rig.deps.store.listOperations();
    const { msg } = await answer(rig, `cancel ${op?.id} abort=true`);
    expect(texts(msg)).toMatch(/abort 1 machine/i);
    expect(msg.response_type).toBe('ephemeral');
    expect(buttonsOf(msg).map((b) => b.action_id)).toEqual(['maas:confirm', 'maas:cancel']);
  });

  it('cancel <op> without abort stops tracking at once (nothing asked)', async () => {
    rig = await slackRig();
    await answer(rig, 'commission new-01');
    const [op] = await rig.deps.store.listOperations();
    const { msg } = await answer(rig, `cancel ${op?.id}`);
    expect(texts(msg)).toContain('cancelled');
    expect((await rig.deps.store.getOperation(op?.id ?? ''))?.state).toBe('cancelled');
    expect(statusOf(rig, 'new-01')).toBe('Commissioning');
  });
});
