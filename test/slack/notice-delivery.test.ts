/**
 * Completion notices are delivered at least once: a Slack 500, a 429 (its Retry-After honoured) or a dropped
 * connection at the end of an operation delays the notice, never loses it — not even across a restart — and two
 * pollers never post it twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Poller } from '../../src/core/operations/poller.ts';
import { SqliteStore } from '../../src/node/sqlite-store.ts';
import { FINAL_STATES } from '../../src/store/types.ts';
import type { Failure } from './fake-slack.ts';
import { clickAnswer, drive, previewOf, type Rig, slackRig, sqliteRig, texts } from './helpers.ts';

let rig: Rig;
afterEach(async () => rig?.close());

/** Confirms `/maas deploy web-01` as UOPS; returns the operation id. */
async function deployed(r: Rig): Promise<string> {
  const { nonce } = await previewOf(r, 'deploy web-01');
  await clickAnswer(r, 'maas:confirm', nonce, 'UOPS');
  const [op] = await r.deps.store.listOperations();
  if (!op) throw new Error('no operation started');
  return op.id;
}

/** chat.postMessage calls that carried a completion notice (the operation's outcome, in the thread). */
function noticeCalls(r: Rig) {
  return r.fake.to('/api/chat.postMessage').filter((c) => /succeeded: 1\/1 done/.test(texts(c.body)));
}
const delivered = (r: Rig) => noticeCalls(r).filter((c) => c.reply?.ok === true);

async function ended(r: Rig, id: string): Promise<boolean> {
  const op = await r.deps.store.getOperation(id);
  return op !== undefined && FINAL_STATES.has(op.state);
}

/** Lets the operation finish in MAAS, with `failure` waiting for the notice's first post. */
async function finishWithFailure(r: Rig, id: string, failure: Failure, poller: Poller) {
  r.fake.failNext('/api/chat.postMessage', failure);
  await drive(r, () => ended(r, id), { poller, stepMs: 1_000 });
  await r.fake.waitFor(() => noticeCalls(r).length === 1);
  expect(delivered(r)).toEqual([]);
  expect((await r.deps.store.getOperation(id))?.notice_sent_at).toBeNull();
}

describe('completion notices are delivered at least once', () => {
  for (const [what, failure] of [
    ['a Slack 500', { status: 500 }],
    ['a dropped connection', 'reset'],
  ] as [string, Failure][]) {
    it(`posts a notice that met ${what} on a later tick, once`, async () => {
      rig = await slackRig({}, { timeScale: 0.1 });
      const id = await deployed(rig);
      const poller = new Poller(rig.deps);
      await finishWithFailure(rig, id, failure, poller);
      await drive(rig, async () => delivered(rig).length > 0, { poller, stepMs: 1_000, maxSteps: 30 });
      expect(delivered(rig)).toHaveLength(1);
      expect(delivered(rig)[0]?.body.thread_ts).toBeDefined();
      expect((await rig.deps.store.getOperation(id))?.notice_sent_at).not.toBeNull();
      // Delivered is final: later ticks post nothing more.
      await drive(rig, async () => false, { poller, stepMs: 60_000, maxSteps: 5 }).catch(() => undefined);
      expect(noticeCalls(rig)).toHaveLength(2);
    });
  }

  it('waits at least as long as a 429’s Retry-After before trying again', async () => {
    rig = await slackRig({}, { timeScale: 0.1 });
    const id = await deployed(rig);
    const poller = new Poller(rig.deps);
    await finishWithFailure(rig, id, { status: 429, retryAfterS: 30 }, poller);
    const failedAt = rig.clock.now();
    const ticks = await drive(rig, async () => noticeCalls(rig).length === 2, {
      poller,
      stepMs: 1_000,
      maxSteps: 60,
    });
    expect(ticks).toBeGreaterThanOrEqual(30);
    expect(rig.clock.now() - failedAt).toBeLessThan(35_000);
    expect(delivered(rig)).toHaveLength(1);
  });

  it('delivers a notice that failed before a restart, from the restarted process', async () => {
    const made = await sqliteRig({}, { timeScale: 0.1 });
    ({ rig } = made);
    const { path: file, store: first } = made;
    const id = await deployed(rig);
    await finishWithFailure(rig, id, { status: 503 }, new Poller(rig.deps));
    // The first process dies here (nothing settles after this point); a new one opens the same file.
    await first.close();
    const store = SqliteStore.open(file, { now: () => rig.clock.now() });
    rig.cleanups.push(() => store.close());
    const again = rig.restart(store);
    const poller = new Poller(again.deps);
    for (let i = 0; i < 30 && delivered(rig).length === 0; i++) {
      await rig.clock.advance(1_000);
      await poller.tick();
    }
    expect(delivered(rig)).toHaveLength(1);
    expect(texts(delivered(rig)[0]?.body)).toContain('<@UOPS>');
    expect((await store.getOperation(id))?.notice_sent_at).not.toBeNull();
  });

  it('posts a notice once when two pollers see the operation end at the same moment', async () => {
    rig = await slackRig({}, { timeScale: 0.1 });
    const id = await deployed(rig);
    const a = new Poller(rig.deps);
    const b = new Poller(rig.deps);
    for (let i = 0; i < 400 && !(await ended(rig, id)); i++) {
      await rig.clock.advance(1_000);
      await Promise.all([a.tick(), b.tick()]);
    }
    for (let i = 0; i < 5; i++) {
      await rig.clock.advance(10_000);
      await Promise.all([a.tick(), b.tick()]);
    }
    expect(delivered(rig)).toHaveLength(1);
  });
});
