/**
 * `wrangler dev` end to end, offline: the Worker and its Durable Object in a local workerd, in demo mode. A real
 * MCP client lists tools and deploys web-01 with a confirm token, then waits until the Durable Object's alarms
 * have polled the deploy to success; a signed Slack command is acked and answered through its response_url.
 * Everything binds 127.0.0.1; wrangler runs in its own process group and is stopped by that group's id.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/slack/verify.ts';
import { call } from '../helpers.ts';
import { ROOT, WRANGLER, wranglerEnv } from './wrangler.ts';

const SIGNING_SECRET = 'wrangler-dev-test-signing-secret';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

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

let wrangler: ChildProcess | undefined;
let output = '';
let base = '';
const state = mkdtempSync(join(tmpdir(), 'maas-mcp-wrangler-dev-'));

beforeAll(async () => {
  const port = await freePort();
  const inspector = await freePort();
  base = `http://127.0.0.1:${port}`;
  wrangler = spawn(
    process.execPath,
    [
      WRANGLER,
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--persist-to',
      join(state, 'persist'),
      '--show-interactive-dev-session=false',
      '--var',
      'MAAS_MCP_DEMO:true',
      '--var',
      'MAAS_MCP_DEMO_TIME_SCALE:0.002',
      '--var',
      `SLACK_SIGNING_SECRET:${SIGNING_SECRET}`,
    ],
    // Its own process group, so that stopping it also stops the workerd it starts.
    {
      cwd: ROOT,
      env: wranglerEnv({ WRANGLER_LOG_PATH: join(state, 'logs') }),
      detached: true,
      stdio: 'pipe',
    },
  );
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  wrangler.stdout?.on('data', collect);
  wrangler.stderr?.on('data', collect);
  await until(
    `wrangler dev to answer (output so far:\n${output})`,
    async () => {
      if (wrangler?.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
      return (await fetch(`${base}/healthz`).catch(() => undefined))?.ok === true;
    },
    25_000,
  );
}, 30_000);

afterAll(async () => {
  const pid = wrangler?.pid;
  if (pid !== undefined && wrangler?.exitCode === null) {
    const exited = new Promise((resolve) => wrangler?.once('exit', resolve));
    process.kill(-pid, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(state, { recursive: true, force: true });
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
