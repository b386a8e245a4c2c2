import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/slack/verify.ts';
import { call } from '../helpers.ts';
import { freePort, startWranglerDev } from './wrangler.ts';

const SIGNING_SECRET = 'wrangler-dev-test-signing-secret';

/** A loopback server that records what is POSTed to it: the Slack command's response_url. */
async function responseCatcher(): Promise<{ server: Server; url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      bodies.push(body);
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`, bodies };
}

async function until(what: string, pred: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let worker: Awaited<ReturnType<typeof startWranglerDev>> | undefined;
let base = '';

beforeAll(async () => {
  worker = await startWranglerDev(await freePort(), {
    MAAS_MCP_DEMO: 'true',
    MAAS_MCP_DEMO_TIME_SCALE: '0.002',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
  });
  base = worker.base;
}, 30_000);

afterAll(async () => {
  await worker?.stop();
}, 15_000);

describe('wrangler dev (demo mode)', () => {
  it('serves MCP and finishes a deploy through Durable Object alarms', async () => {
    const client = new Client({ name: 'maas-mcp-wrangler-dev-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['machine_deploy', 'operation_get']));

      const args = { machines: 'web-01', distro_series: 'noble' };
      const preview = await call<{ status: string; confirm_token?: string }>(client, 'machine_deploy', args);
      expect(preview.data.status).toBe('confirmation_required');
      const done = await call<{ status: string; operation_id?: string }>(client, 'machine_deploy', {
        ...args,
        confirm_token: preview.data.confirm_token,
      });
      expect(done.data.status).toBe('done');

      const waited = await call<{ operation: { state: string; targets: { status: string }[] } }>(
        client,
        'operation_get',
        { id: done.data.operation_id, wait: true, wait_timeout_s: 20 },
      );
      expect(waited.data.operation.state).toBe('succeeded');
      expect(waited.data.operation.targets[0]?.status).toBe('Deployed');
    } finally {
      await client.close();
    }
  }, 30_000);

  it('acks a signed Slack command and answers it through response_url', async () => {
    const catcher = await responseCatcher();
    try {
      const body = new URLSearchParams({
        command: '/maas',
        text: 'status',
        user_id: 'U123',
        channel_id: 'C123',
        response_url: catcher.url,
      }).toString();
      const ts = String(Math.floor(Date.now() / 1000));
      const res = await fetch(`${base}/slack/commands`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': ts,
          'x-slack-signature': await sign(SIGNING_SECRET, ts, body),
        },
        body,
      });
      expect(res.status).toBe(200);
      await until('the answer on response_url', () => catcher.bodies.length > 0, 10_000);
      expect(catcher.bodies[0]).toContain('machines');
    } finally {
      await new Promise((resolve) => catcher.server.close(resolve));
    }
  });
});
