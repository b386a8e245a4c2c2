/**
 * What a Slack route does before it trusts a request: refuse on the headers alone (no signature, a stale
 * timestamp, not a form, a declared size over the cap) without reading the body; read at most 1 MiB of a body
 * that declares no size; and accept each signed request once — a replay within the 5-minute window is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SLACK_BODY_BYTES } from '../../src/slack/verify.ts';
import {
  clickBody,
  commandBody,
  maasWrites,
  post,
  previewOf,
  quiet,
  type Rig,
  signedHeaders,
  slackRig,
  statusOf,
} from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

/** A body of `total` bytes ('a's) served in 64 KiB chunks, made only as they are read; counts what was read. */
function countingBody(total: number) {
  const chunk = new Uint8Array(64 * 1024).fill(97);
  const seen = { bytes: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.bytes >= total) {
        controller.close();
        return;
      }
      seen.bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, seen };
}

async function send(
  r: Rig,
  route: 'commands' | 'interactions',
  body: RequestInit['body'],
  headers: Record<string, string>,
) {
  return r.app.request(`http://127.0.0.1/slack/${route}`, {
    method: 'POST',
    headers,
    body,
    duplex: 'half',
  } as RequestInit);
}

/** Headers that pass every check but the signature itself (which needs the body). */
async function plausible(r: Rig) {
  return signedHeaders('not the body that will be sent', r.clock.now());
}

describe('before the body is read', () => {
  it('refuses a request without signature headers (401) without reading its body', async () => {
    rig = await slackRig();
    for (const route of ['commands', 'interactions'] as const) {
      const { stream, seen } = countingBody(400 * 1024 * 1024);
      const res = await send(rig, route, stream, { 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(401);
      // At most what the stream queued before anyone asked: nothing of the 400 MB was read.
      expect(seen.bytes).toBeLessThanOrEqual(64 * 1024);
    }
  });

  it('refuses a stale timestamp (401) without reading the body', async () => {
    rig = await slackRig();
    const { stream, seen } = countingBody(8 * 1024 * 1024);
    const headers = await signedHeaders('x', rig.clock.now() - 10 * 60_000);
    expect((await send(rig, 'commands', stream, headers)).status).toBe(401);
    expect(seen.bytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('refuses what is not a form (415) without reading the body', async () => {
    rig = await slackRig();
    const { stream, seen } = countingBody(8 * 1024 * 1024);
    const headers = { ...(await plausible(rig)), 'content-type': 'application/json' };
    const res = await send(rig, 'commands', stream, headers);
    expect(res.status).toBe(415);
    expect(await res.text()).toContain('application/x-www-form-urlencoded');
    expect(seen.bytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('refuses a declared Content-Length over 1 MiB (413) without reading the body', async () => {
    rig = await slackRig();
    const { stream, seen } = countingBody(8 * 1024 * 1024);
    const headers = { ...(await plausible(rig)), 'content-length': String(MAX_SLACK_BODY_BYTES + 1) };
    expect((await send(rig, 'commands', stream, headers)).status).toBe(413);
    expect(seen.bytes).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('while the body is read', () => {
  it('stops reading a body that declares no size as soon as it passes 1 MiB (413)', async () => {
    rig = await slackRig();
    for (const route of ['commands', 'interactions'] as const) {
      const { stream, seen } = countingBody(64 * 1024 * 1024);
      const res = await send(rig, route, stream, await plausible(rig));
      expect(res.status).toBe(413);
      expect(seen.bytes).toBeLessThanOrEqual(MAX_SLACK_BODY_BYTES + 2 * 64 * 1024);
    }
    await quiet();
    expect(rig.fake.calls).toEqual([]);
  });

  it('still takes a signed body just under the cap', async () => {
    rig = await slackRig();
    const base = commandBody(rig, 'help');
    const body = `${base}&pad=${'a'.repeat(MAX_SLACK_BODY_BYTES - base.length - 5)}`;
    expect(body.length).toBeLessThanOrEqual(MAX_SLACK_BODY_BYTES);
    expect((await post(rig, 'commands', body, await signedHeaders(body, rig.clock.now()))).status).toBe(200);
  });
});

describe('replays', () => {
  it('runs a signed command once: the same request sent again within the window is refused (409)', async () => {
    rig = await slackRig();
    const body = commandBody(rig, 'commission new-01');
    const headers = await signedHeaders(body, rig.clock.now());
    expect((await post(rig, 'commands', body, headers)).status).toBe(200);
    await rig.fake.waitFor(() => rig.fake.to('/api/chat.postMessage').length === 1);
    const writes = maasWrites(rig);
    await rig.clock.advance(60_000);
    const again = await post(rig, 'commands', body, headers);
    expect(again.status).toBe(409);
    await quiet(100);
    expect(maasWrites(rig)).toBe(writes);
    expect((await rig.deps.store.listAudit()).length).toBe(1);
    expect(rig.fake.to('/api/chat.postMessage')).toHaveLength(1);
  });

  it('takes a click once: a replayed confirmation is refused (409) before it is looked at', async () => {
    rig = await slackRig();
    const { nonce } = await previewOf(rig, 'deploy web-01');
    const body = clickBody('maas:cancel', nonce, 'UOPS', rig.fake.responseUrl());
    const headers = await signedHeaders(body, rig.clock.now());
    expect((await post(rig, 'interactions', body, headers)).status).toBe(200);
    expect((await post(rig, 'interactions', body, headers)).status).toBe(409);
    expect(statusOf(rig, 'web-01')).toBe('Ready');
  });

  it('remembers a request only while its timestamp is in the window (after that it is refused as stale)', async () => {
    rig = await slackRig();
    const body = commandBody(rig, 'help');
    const headers = await signedHeaders(body, rig.clock.now());
    expect((await post(rig, 'commands', body, headers)).status).toBe(200);
    await rig.clock.advance(5 * 60_000 + 2_000);
    expect((await post(rig, 'commands', body, headers)).status).toBe(401);
    // What was remembered for it has expired and is swept by the next request.
    const other = commandBody(rig, 'help');
    expect((await post(rig, 'commands', other, await signedHeaders(other, rig.clock.now()))).status).toBe(
      200,
    );
    const sig = headers['x-slack-signature'] as string;
    expect(await rig.deps.store.getValue(`slack:seen:${sig}`)).toBeUndefined();
  });
});
