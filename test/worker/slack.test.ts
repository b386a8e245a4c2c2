/**
 * Slack on Workers: signed requests through the Worker, acked at once; the work after the ack is handed to the
 * Durable Object (a fast RPC under `ctx.waitUntil`) and done by its alarm, free of a request's time limit, as is
 * tracking the deploy and posting its completion notice. Slack itself is a fetch double: the Worker, its Durable Object and these tests share
 * one isolate, so replacing the global fetch reaches both.
 */
import {
  createExecutionContext,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_SLACK_BODY_BYTES, sign } from '../../src/slack/verify.ts';
import worker from '../../src/worker.ts';
import { mainObject, runAlarmsUntil } from './helpers.ts';

/** Set in vitest.workers.config.ts, so the Durable Object has the same Slack settings as the Worker. */
const SECRET = 'workerd-test-signing-secret-0123';
const SLACK = 'https://slack.test';

interface SlackCall {
  url: string;
  body: Record<string, unknown>;
}

let calls: SlackCall[] = [];
let seq = 0;
/** How many completion notices (posts saying "succeeded") Slack answers with a 500 before it takes one. */
let failNotices = 0;

beforeEach(() => {
  calls = [];
  failNotices = 0;
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (!req.url.startsWith(SLACK)) return realFetch(input, init);
    const body = (await req.json()) as Record<string, unknown>;
    calls.push({ url: req.url, body });
    if (failNotices > 0 && req.url.endsWith('/chat.postMessage') && /succeeded/.test(JSON.stringify(body))) {
      failNotices--;
      return Response.json({ ok: false, error: 'internal_error' }, { status: 500 });
    }
    const ts = `1700000000.${String(++seq).padStart(6, '0')}`;
    return Response.json({ ok: true, channel: 'CCHAN', ts });
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const to = (prefix: string) => calls.filter((c) => c.url.startsWith(`${SLACK}${prefix}`));
const textOf = (c: SlackCall | undefined) => JSON.stringify(c?.body ?? {});

/** Posts a signed Slack form to the Worker, waits for the work after the ack, and returns the ack. */
async function slackPost(path: string, form: Record<string, string>, secret = SECRET): Promise<Response> {
  const body = new URLSearchParams(form).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://127.0.0.1${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': ts,
        'x-slack-signature': await sign(secret, ts, body),
      },
      body,
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

function command(text: string, responseId: string): Promise<Response> {
  return slackPost('/slack/commands', {
    command: '/maas',
    text,
    user_id: 'UOPS',
    channel_id: 'CCHAN',
    team_id: 'T1',
    response_url: `${SLACK}/response/${responseId}`,
  });
}

/** A signed-looking request whose body is `total` bytes made only as read; counts what was read. */
async function oversized(total: number) {
  const ts = String(Math.floor(Date.now() / 1000));
  const seen = { bytes: 0 };
  const chunk = new Uint8Array(64 * 1024).fill(97);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.bytes >= total) return controller.close();
      seen.bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  const request = new Request('http://127.0.0.1/slack/commands', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': await sign(SECRET, ts, 'another body'),
    },
    body,
    duplex: 'half',
  } as RequestInit);
  return { request, seen };
}

describe('Slack work waiting in the Durable Object', () => {
  it('waits sealed: what was typed (user_data) is never written to the store, and the work is still done', async () => {
    // Every value the object writes under slack:jobs, as it writes it (the alarm may take the job at any moment).
    const written: string[] = [];
    await runInDurableObject(mainObject(), (o) => {
      const store = (o as unknown as { store: { setValue(k: string, v: string): Promise<void> } }).store;
      const setValue = store.setValue.bind(store);
      store.setValue = (k: string, v: string) => {
        if (k === 'slack:jobs') written.push(v);
        return setValue(k, v);
      };
    });
    await command('deploy web-01 user_data=queued-cloud-config-secret-77', 'sealed-job');
    await runAlarmsUntil(async () => to('/response/sealed-job').length > 0);
    expect(textOf(to('/response/sealed-job')[0])).toContain('Deploy 1 machine?');
    expect(written.some((v) => v.includes('"sealed"'))).toBe(true);
    for (const v of written) {
      expect(v).not.toContain('queued-cloud-config-secret-77');
      expect(v).not.toContain('deploy web-01');
    }
  });

  it('tells the sender to ask again when a restart lost the key of their queued request', async () => {
    // Sealed by an instance that no longer exists: its key went with it.
    const lost = [{ sealed: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', response_url: `${SLACK}/response/lost-job` }];
    await runInDurableObject(mainObject(), async (o) => {
      await o.storeCall('setValue', ['slack:jobs', JSON.stringify(lost)]);
      await o.alarm();
    });
    expect(textOf(to('/response/lost-job')[0])).toContain(
      'maas-mcp restarted before this ran, so nothing was done',
    );
  });
});

describe('Slack requests on Workers: size and replays', () => {
  it('stops reading a body past 1 MiB (413), as on Node', async () => {
    const { request, seen } = await oversized(32 * 1024 * 1024);
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(413);
    expect(seen.bytes).toBeLessThanOrEqual(MAX_SLACK_BODY_BYTES + 2 * 64 * 1024);
  });

  it('takes a signed command once: the same request again is refused (409), whichever isolate gets it', async () => {
    const form = {
      command: '/maas',
      text: 'status',
      user_id: 'UOPS',
      channel_id: 'CCHAN',
      team_id: 'T1',
      response_url: `${SLACK}/response/replayed`,
    };
    const body = new URLSearchParams(form).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': await sign(SECRET, ts, body),
    };
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      const ctx = createExecutionContext();
      const req = new Request('http://127.0.0.1/slack/commands', { method: 'POST', headers, body });
      statuses.push((await worker.fetch(req, env, ctx)).status);
      await waitOnExecutionContext(ctx);
    }
    expect(statuses).toEqual([200, 409]);
    // The Durable Object remembers it (the store every isolate shares).
    const seen = await runInDurableObject(mainObject(), (o) =>
      o.storeCall('getValue', [`slack:seen:${headers['x-slack-signature']}`]),
    );
    expect(seen).toBe('1');
  });
});

/** `/maas deploy <host>` and a click on its Confirm button (response_urls named after `tag`); the click's ack. */
async function confirmedDeploy(host: string, tag: string): Promise<Response> {
  await command(`deploy ${host} distro_series=noble`, tag);
  await runAlarmsUntil(async () => to(`/response/${tag}`).length > 0);
  const preview = to(`/response/${tag}`)[0]?.body as {
    blocks: { type: string; elements?: { action_id: string; value: string }[] }[];
  };
  const button = preview.blocks.find((b) => b.type === 'actions')?.elements?.[0];
  expect(button?.action_id).toBe('maas:confirm');
  const payload = {
    type: 'block_actions',
    user: { id: 'UOPS' },
    actions: [{ action_id: 'maas:confirm', value: button?.value }],
    response_url: `${SLACK}/response/${tag}-click`,
  };
  return slackPost('/slack/interactions', { payload: JSON.stringify(payload) });
}

describe('Slack on Workers', () => {
  it('acks a signed /maas command and answers it through response_url after the ack', async () => {
    const res = await command('show web-01', 'show');
    expect(res.status).toBe(200);
    // The ack names the verb only, never the rest of what was typed.
    const ack = ((await res.json()) as { text: string }).text;
    expect(ack).toContain('/maas show');
    expect(ack).not.toContain('web-01');
    // Nothing answered yet: the Worker handed the work to the Durable Object, whose alarm does it.
    expect(to('/response/show')).toEqual([]);
    await runAlarmsUntil(async () => to('/response/show').length > 0);
    expect(textOf(to('/response/show')[0])).toContain('web-01');
  });

  it('refuses a command with a bad signature before doing anything', async () => {
    const form = {
      command: '/maas',
      text: 'status',
      user_id: 'UOPS',
      channel_id: 'CCHAN',
      response_url: `${SLACK}/response/forged`,
    };
    const res = await slackPost('/slack/commands', form, 'not-the-secret');
    expect(res.status).toBe(401);
    // Nothing was handed to the Durable Object, and its alarm — where Slack work runs — finds nothing to answer.
    const queued = await runInDurableObject(mainObject(), (o) => o.storeCall('getValue', ['slack:jobs']));
    expect(JSON.parse(queued ?? '[]')).toEqual([]);
    await runDurableObjectAlarm(mainObject());
    expect(calls).toEqual([]);
  });

  it('confirms a deploy with a button, and the Durable Object posts the completion notice', async () => {
    const clicked = await confirmedDeploy('web-02', 'deploy');
    expect(clicked.status).toBe(200);
    await runAlarmsUntil(async () => to('/api/chat.postMessage').length > 0);
    expect(textOf(to('/api/chat.postMessage')[0])).toContain('deploy: 1 done');

    // The rest happens in the Durable Object: its alarm polls MAAS until web-02 is Deployed, then posts.
    const notices = () => to('/api/chat.postMessage').filter((c) => /succeeded|Deployed/.test(textOf(c)));
    await runAlarmsUntil(async () => notices().length > 0);
    expect(textOf(notices()[0])).toContain('web-02');
    expect(notices()[0]?.body.thread_ts).toBeDefined();
  });

  it('retries a completion notice Slack refused with a 500, from the Durable Object’s alarm', async () => {
    failNotices = 1;
    await confirmedDeploy('web-06', 'deploy-retry');
    const notices = () =>
      to('/api/chat.postMessage').filter((c) => /web-06/.test(textOf(c)) && /succeeded/.test(textOf(c)));
    await runAlarmsUntil(async () => notices().length >= 2);
    // The first try met the 500; the second, a few seconds later, was taken — and nothing after it.
    await runDurableObjectAlarm(mainObject());
    expect(notices()).toHaveLength(2);
    expect(failNotices).toBe(0);
  });
});

describe('the App Home on Workers', () => {
  it('publishes the person’s home from the Durable Object after a signed app_home_opened event', async () => {
    const raw = JSON.stringify({
      type: 'event_callback',
      team_id: 'T1',
      event: { type: 'app_home_opened', user: 'UOPS', tab: 'home', channel: 'DAPP' },
    });
    const ts = String(Math.floor(Date.now() / 1000));
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request('http://127.0.0.1/slack/events', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-slack-request-timestamp': ts,
          'x-slack-signature': await sign(SECRET, ts, raw),
        },
        body: raw,
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    await runAlarmsUntil(async () => to('/api/views.publish').length > 0);
    const published = to('/api/views.publish')[0];
    expect(published?.body.user_id).toBe('UOPS');
    expect(textOf(published)).toContain('machines*');
  });
});
