/**
 * The Slack routes: v0 signatures and the 5-minute window checked before anything else (401, nothing done),
 * an ack at once, and the work after the ack answered through the response_url.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sign } from '../../src/slack/verify.ts';
import {
  clickBody,
  command,
  commandBody,
  firstResponse,
  maasWrites,
  post,
  previewOf,
  quiet,
  type Rig,
  responses,
  SECRET,
  signedHeaders,
  slackRig,
  statusOf,
  texts,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

/** Everything a request could have caused: Slack calls, audit records, MAAS requests. */
async function footprint(r: Rig) {
  return {
    slack: r.fake.calls.length,
    audit: (await r.deps.store.listAudit()).length,
    maas: r.sim.requests.entries.length,
    ops: (await r.deps.store.listOperations()).length,
  };
}

/** Header sets that must all be refused, for a body at the rig's time. */
async function badHeaders(r: Rig, body: string): Promise<[string, Record<string, string>][]> {
  const now = r.clock.now();
  const good = await signedHeaders(body, now);
  const ts = good['x-slack-request-timestamp'] as string;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const flipped = `${good['x-slack-signature']?.slice(0, -1)}${good['x-slack-signature']?.endsWith('0') ? '1' : '0'}`;
  return [
    ['a tampered signature', { ...good, 'x-slack-signature': flipped }],
    ['a signature made with the wrong secret', await signedHeaders(body, now, 'not-the-signing-secret')],
    [
      'a signature over another body',
      { ...good, 'x-slack-signature': await sign(SECRET, ts, `${body}&x=1`) },
    ],
    ['a v1 signature', { ...good, 'x-slack-signature': `v1=${good['x-slack-signature']?.slice(3)}` }],
    ['a stale timestamp (5 min 1 s old)', await signedHeaders(body, now - 301_000)],
    ['a timestamp 10 minutes in the future', await signedHeaders(body, now + 600_000)],
    ['a non-numeric timestamp', { ...good, 'x-slack-request-timestamp': `${ts}abc` }],
    ['no timestamp header', { ...form, 'x-slack-signature': good['x-slack-signature'] as string }],
    ['no signature header', { ...form, 'x-slack-request-timestamp': ts }],
    ['no Slack headers at all', form],
  ];
}

describe('signed requests: /slack/commands', () => {
  it('acks a good signature at once with an ephemeral "working" body, then answers through the response_url', async () => {
    rig = await slackRig();
    const { res, responseUrl } = await command(rig, 'status');
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toContain('/maas status');
    const msg = await firstResponse(rig, responseUrl);
    expect(texts(msg)).toContain('24 machines');
  });

  it('accepts a timestamp just inside the 5-minute window (either side)', async () => {
    rig = await slackRig();
    for (const skew of [-299_000, 299_000]) {
      const body = commandBody(rig, 'help');
      const res = await post(rig, 'commands', body, await signedHeaders(body, rig.clock.now() + skew));
      expect(res.status).toBe(200);
    }
  });

  it('refuses bad, foreign, stale, future and missing signatures with 401 and does nothing else', async () => {
    rig = await slackRig();
    // A write that, if it ran, would call MAAS, audit, start an operation and post in the channel.
    const before = await footprint(rig);
    const body = commandBody(rig, 'commission new-01');
    for (const [why, headers] of await badHeaders(rig, body)) {
      const res = await post(rig, 'commands', body, headers);
      expect(res.status, why).toBe(401);
      expect(await res.text(), why).not.toContain('hourglass');
    }
    await quiet(100);
    expect(await footprint(rig)).toEqual(before);
    expect(rig.fake.calls).toEqual([]);
    expect(statusOf(rig, 'new-01')).toBe('New');
    // Control: the very same body, well signed, does all of that.
    expect((await post(rig, 'commands', body, await signedHeaders(body, rig.clock.now()))).status).toBe(200);
    await rig.fake.waitFor(() => rig.fake.to('/api/chat.postMessage').length === 1);
    expect(statusOf(rig, 'new-01')).toBe('Commissioning');
    expect((await rig.deps.store.listAudit()).length).toBe(1);
  });
});

describe('signed requests: /slack/interactions', () => {
  it('acks a good signature with an empty 200 and handles the click after the ack', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    const url = rig.fake.responseUrl();
    const body = clickBody('maas:cancel', nonce, 'UOPS', url);
    const res = await post(rig, 'interactions', body, await signedHeaders(body, rig.clock.now()));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const msg = await firstResponse(rig, url.slice(rig.fake.url.length));
    expect(texts(msg)).toContain('Cancelled');
  });

  it('refuses bad, foreign, stale, future and missing signatures with 401 and does nothing else', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    const before = await footprint(rig);
    const writes = maasWrites(rig);
    const url = rig.fake.responseUrl();
    const signed = clickBody('maas:confirm', nonce, 'UOPS', url);
    for (const [why, headers] of await badHeaders(rig, signed)) {
      const res = await post(rig, 'interactions', signed, headers);
      expect(res.status, why).toBe(401);
    }
    await quiet(100);
    expect(await footprint(rig)).toEqual(before);
    expect(maasWrites(rig)).toBe(writes);
    expect(responses(rig, url.slice(rig.fake.url.length))).toEqual([]);
    expect(statusOf(rig, 'web-01')).toBe('Ready');
    // The confirmation was not consumed by the refused clicks: the same body, well signed, goes through.
    expect(
      (await post(rig, 'interactions', signed, await signedHeaders(signed, rig.clock.now()))).status,
    ).toBe(200);
    await rig.fake.waitFor(() => statusOf(rig, 'web-01') === 'Deploying');
  });

  it('answers 400 to a signed request whose payload is not JSON, and does nothing', async () => {
    rig = await slackRig();
    const body = new URLSearchParams({ payload: '{not json' }).toString();
    const res = await post(rig, 'interactions', body, await signedHeaders(body, rig.clock.now()));
    expect(res.status).toBe(400);
    await quiet();
    expect(rig.fake.calls).toEqual([]);
  });

  it('ignores clicks on buttons that are not maas-mcp’s (200, nothing posted)', async () => {
    rig = await slackRig();
    const url = rig.fake.responseUrl();
    const body = clickBody('other:thing', 'x', 'UOPS', url);
    expect((await post(rig, 'interactions', body, await signedHeaders(body, rig.clock.now()))).status).toBe(
      200,
    );
    await quiet();
    expect(rig.fake.calls).toEqual([]);
  });
});

describe('ack before the work', () => {
  it('returns the ack while MAAS is still answering; the answer arrives once MAAS has', async () => {
    rig = await slackRig();
    rig.sim.control.setNetwork({ latencyMs: 5_000 });
    const { res, responseUrl } = await command(rig, 'show web-01');
    expect(res.status).toBe(200);
    // The ack is back, but MAAS (5 s per answer, on the manual clock) has not answered: nothing posted yet.
    await quiet(100);
    expect(responses(rig, responseUrl)).toEqual([]);
    for (let i = 0; i < 20 && responses(rig, responseUrl).length === 0; i++) {
      await rig.clock.advance(5_000);
      await quiet(10);
    }
    const msg = await firstResponse(rig, responseUrl);
    expect(texts(msg)).toContain('web-01');
    expect(msg.response_type).toBe('ephemeral');
  });

  it('acks a click at once while the confirmed write waits for MAAS', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    rig.sim.control.setNetwork({ latencyMs: 5_000 });
    const url = rig.fake.responseUrl();
    const body = clickBody('maas:confirm', nonce, 'UOPS', url);
    const res = await post(rig, 'interactions', body, await signedHeaders(body, rig.clock.now()));
    expect(res.status).toBe(200);
    await quiet(100);
    expect(statusOf(rig, 'web-01')).toBe('Ready');
    for (let i = 0; i < 40 && rig.fake.to('/api/chat.postMessage').length === 0; i++) {
      await rig.clock.advance(5_000);
      await quiet(10);
    }
    await rig.fake.waitFor(() => rig.fake.to('/api/chat.postMessage').length > 0);
    // The confirmed deploy went through once MAAS answered (a deploy takes minutes: it is still under way).
    expect(statusOf(rig, 'web-01')).toBe('Deploying');
  });
});
