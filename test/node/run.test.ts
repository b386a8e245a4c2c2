/**
 * `maas-mcp run` as a person uses it, against a simulator served on 127.0.0.1: the plan of a dry run, the refusal of
 * an unconfirmed destructive plan without a terminal, the question at a terminal, timestamped lines and a summary
 * table, the live view, --json and the exit code, bad input named by JSON path, --status — and a real `kill -9` of
 * a `maas-mcp run` process half-way, resumed by running the same command again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.ts';
import { MaasClient } from '../../src/maas/client.ts';
import { MaasHttp } from '../../src/maas/http.ts';
import { type RunIo, runCommand } from '../../src/node/run.ts';
import { frame } from '../../src/node/run-view.ts';
import { createSimulator, type Simulator } from '../../src/sim/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-run-'));
let sim: Simulator;
let server: ServerType;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sim = createSimulator({ timeScale: 0.002 });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: sim.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  env = {
    MAAS_URL: `http://127.0.0.1:${port}/MAAS`,
    MAAS_API_KEY: sim.users.admin.apiKey,
    MAAS_MCP_DB: join(dir, 'cli.db'),
  };
});

afterAll(() => {
  server?.close();
  sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

/** A terminal (or a pipe) for the command: what it printed, and a Ctrl-C. */
function terminal(opts: { tty?: boolean; input?: string } = {}) {
  const stream = () => {
    const s = new PassThrough() as PassThrough & { columns: number; rows: number; isTTY: boolean };
    s.columns = 120;
    s.rows = 30;
    s.isTTY = opts.tty === true;
    return s;
  };
  const stdout = stream();
  const stderr = stream();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const io: RunIo = {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: Readable.from([opts.input ?? '']) as unknown as NodeJS.ReadStream,
    tty: opts.tty === true,
    onSignal: () => () => undefined,
  };
  return { io, out: () => out, err: () => err };
}

const PROVISION = {
  actions: ['commission', 'deploy'],
  machines: [
    { hostname: 'web-02', distro_series: 'jammy' },
    { hostname: 'gpu-01', distro_series: 'focal' },
  ],
};

describe('maas-mcp run', () => {
  it('--dry-run prints each host its steps, the destructive ones marked, and writes nothing', async () => {
    const t = terminal();
    const before = sim.requests.count({ method: 'POST' });
    const withBmc = {
      ...PROVISION,
      actions: ['set_power', ...PROVISION.actions],
      machines: PROVISION.machines.map((m) => ({
        ...m,
        power_type: 'ipmi',
        power_parameters: {
          power_address: '10.8.0.1',
          power_user: 'admin',
          power_pass: 'Dry-Run-Bmc-Pass-7',
        },
      })),
    };
    const code = await runCommand([file('dry.json', withBmc), '--dry-run'], env, t.io);
    expect(code).toBe(0);
    expect(t.out()).toContain('set power ipmi, BMC 10.8.0.1');
    expect(`${t.out()}${t.err()}`).not.toContain('Dry-Run-Bmc-Pass-7');
    expect(t.out()).toContain('Dry run: nothing was done. The plan per host:');
    expect(t.out()).toContain('  web-02 (');
    expect(t.out()).toMatch(/⚠ deploy: deploy jammy over its disks/);
    expect(t.out()).toMatch(/• commission: commission it, waiting up to 20 min/);
    expect(sim.requests.count({ method: 'POST' })).toBe(before);
  });

  it('refuses a destructive plan without a terminal or --yes, showing it and saying how to confirm', async () => {
    const t = terminal();
    const code = await runCommand([file('unconfirmed.json', PROVISION)], env, t.io);
    expect(code).toBe(2);
    expect(t.err()).toContain(
      'refusing to run a plan with destructive steps without a confirmation: run it again with --yes',
    );
    expect(t.err()).toMatch(/web-02 \(Ready\):\n {4}• commission/);
  });

  it('asks once at a terminal; "n" does nothing', async () => {
    const t = terminal({ tty: true, input: 'n\n' });
    const code = await runCommand([file('ask.json', PROVISION)], env, t.io);
    expect(code).toBe(1);
    expect(t.err()).toMatch(
      /Run workflow on 2 machines\?[\s\S]*⚠ deploy: deploy jammy[\s\S]*Go ahead\? \[y\/N\]/,
    );
    expect(t.err()).toContain('cancelled: nothing was done');
  });

  it('runs with --yes: timestamped lines like the SDK, a summary table, and exit code 0', async () => {
    const t = terminal();
    const code = await runCommand([file('yes.json', PROVISION), '--yes'], env, t.io);
    expect(t.err()).toBe('');
    expect(code).toBe(0);
    const out = t.out();
    expect(out).toContain('MAAS-MCP WORKFLOW');
    expect(out).toContain('Actions: commission, deploy');
    expect(out).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[INFO\] web-02: STEP commission$/m);
    expect(out).toMatch(/\[INFO\] gpu-01: State: Deploying/);
    expect(out).toMatch(/✓ Workflow complete: 2 of 2 hosts succeeded/);
    expect(out).toMatch(/^HOST\s+STEPS\s+RESULT\s+REASON$/m);
    expect(out).toMatch(/^web-02\s+2\/2\s+succeeded$/m);
  });

  it('--json reports every host and exits 1 when a host fails', async () => {
    const t = terminal();
    const path = file('fails.json', {
      actions: ['commission'],
      machines: [{ hostname: 'new-02' }, { hostname: 'ghost-01' }],
    });
    const code = await runCommand([path, '--json'], env, t.io);
    expect(code).toBe(1);
    const report = JSON.parse(t.out());
    expect(report).toMatchObject({ state: 'partial', exit_code: 1, counts: { succeeded: 1, failed: 1 } });
    expect(report.hosts[1]).toMatchObject({ hostname: 'ghost-01', result: 'failed' });
    expect(report.hosts[1].error).toMatch(/ghost-01 is not in MAAS/);
  });

  it('names a bad field by its JSON path and writes nothing', async () => {
    const path = file('bad.json', {
      actions: ['deploy'],
      machines: [{ hostname: 'a', network: { bonds: [{ name: 'b', interfaces: ['e'], mode: 'x' }] } }],
    });
    await expect(runCommand([path], env, terminal().io)).rejects.toThrow(
      new ConfigError(
        `${path}: machines[0].network.bonds[0].mode: expected one of balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb`,
      ),
    );
    await expect(runCommand([file('notjson.json', '{"actions": [')], env, terminal().io)).rejects.toThrow(
      /not JSON/,
    );
    await expect(runCommand(['x.json', '--parallel', '0'], env, terminal().io)).rejects.toThrow(
      '--parallel must be a whole number from 1 to 500',
    );
    await expect(runCommand(['x.json', '-a', 'reboot'], env, terminal().io)).rejects.toThrow(
      /-a must be one of list, create_machine/,
    );
  });

  it('-a list lists every machine in MAAS, whatever the file’s machines', async () => {
    const t = terminal();
    const code = await runCommand([file('list.json', PROVISION), '-a', 'list'], env, t.io);
    expect(code).toBe(0);
    expect(t.out()).toMatch(/^Machines 1–24 of 24:/m);
    expect(t.out()).toMatch(/^db-01 \w+ /m);
  });

  it('--status lists the runs and shows one host by host, without MAAS', async () => {
    const t = terminal();
    expect(await runCommand(['--status'], { MAAS_MCP_DB: env.MAAS_MCP_DB }, t.io)).toBe(0);
    const id = /workflow (op_\w+) succeeded: 2 of 2 hosts done/.exec(t.out())?.[1];
    expect(id).toBeDefined();
    const one = terminal();
    expect(await runCommand(['--status', id as string], { MAAS_MCP_DB: env.MAAS_MCP_DB }, one.io)).toBe(0);
    expect(one.out()).toMatch(/✓ web-02 +██████████ 2\/2 Deployed/);
    expect(one.out()).toContain('deploy: done — deployment: Deployed');
  });

  it('at a terminal, draws a line per host — step, MAAS status, a bar, elapsed time — and leaves the summary', async () => {
    const t = terminal({ tty: true });
    const path = file('live.json', {
      actions: ['commission'],
      machines: [{ hostname: 'stor-01' }, { hostname: 'k8s-03' }],
    });
    const code = await runCommand([path, '--yes'], env, t.io);
    expect(code).toBe(0);
    expect(t.out()).toMatch(/› stor-01 +\[░{10}\] +0\/1 +\d+:\d\d +commission +Commissioning/);
    expect(t.out()).toContain('✓ Workflow complete: 2 of 2 hosts succeeded');
  });
});

describe('the live view', () => {
  it('shows the hosts going and failed first when they do not all fit', () => {
    const now = Date.UTC(2026, 0, 1);
    const targets = Array.from({ length: 30 }, (_, i) => ({
      system_id: `id${i}`,
      hostname: `h-${String(i).padStart(2, '0')}`,
      start_status: 'Ready',
      status: i === 25 ? 'Failed deployment' : 'Deployed',
      status_code: 6,
      status_message: '',
      power_state: 'on',
      result: (i === 25 ? 'failed' : i === 28 ? 'pending' : 'succeeded') as 'failed',
      history: [],
      finished_at: now,
      ...(i === 25 ? { error: 'deploy: deployment failed: disk' } : {}),
    }));
    const op = {
      id: 'op_x',
      state: 'running',
      targets,
      summary: 's',
      requester: { principal: 'p', via: 'cli' },
      created_at: now,
      finished_at: null,
      workflow: {
        origin: 'cli',
        hosts: targets.map(() => ({
          hostname: '',
          steps: [
            { action: 'deploy', state: 'done', started_at: now - 65_000, finished_at: now, attempts: 1 },
          ],
        })),
      },
    } as never;
    const screen = frame(op, now, 100, 12);
    const lines = screen.split('\n');
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(screen).toMatch(/✗ h-25 .*deploy: deployment failed: disk/);
    expect(screen).toContain('h-28');
    expect(screen).toMatch(/… and \d+ more/);
  });
});

describe('a maas-mcp run killed half-way', () => {
  let simProc: ChildProcess | undefined;
  afterAll(() => {
    simProc?.kill('SIGKILL');
  });

  it('resumes where each host stopped when the same command runs again, without deploying anything twice', async () => {
    // The simulator in its own process, as a real MAAS would be.
    simProc = spawn(process.execPath, ['bin/maas-mcp.js', 'sim', '--port', '0', '--time-scale', '0.005'], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const simOut = await until(simProc, /MAAS_API_KEY=(\S+)/, 15_000);
    const url = /MAAS_URL=(\S+)/.exec(simOut)?.[1] as string;
    const key = /MAAS_API_KEY=(\S+)/.exec(simOut)?.[1] as string;
    const runEnv = { ...cleanEnv(), MAAS_URL: url, MAAS_API_KEY: key, MAAS_MCP_DB: join(dir, 'killed.db') };
    const path = file('killed.json', {
      actions: ['commission', 'deploy'],
      machines: [{ hostname: 'web-01' }, { hostname: 'db-02' }],
    });
    const first = spawn(process.execPath, ['bin/maas-mcp.js', 'run', path, '--yes'], {
      cwd: ROOT,
      env: runEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await until(first, /\[INFO\] \S+: State: Deploying/, 30_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    const again = spawn(process.execPath, ['bin/maas-mcp.js', 'run', path, '--yes'], {
      cwd: ROOT,
      env: runEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    again.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        again.kill('SIGKILL');
        resolve(null);
      }, 45_000);
      again.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out).toContain('Resuming run');
    expect(out).toMatch(/✓ Workflow complete: 2 of 2 hosts succeeded/);
    expect(code).toBe(0);
    // MAAS's own record: each machine was commissioned once and deployed once.
    const maas = new MaasClient(new MaasHttp({ url, apiKey: key, retries: 0 }));
    for (const host of ['web-01', 'db-02']) {
      const { events } = await maas.events({ hostname: [host], level: 'DEBUG', limit: 200 });
      const said = (what: string) => events.filter((e) => `${e.type} ${e.description}`.includes(what)).length;
      expect(said('starting commissioning'), host).toBe(1);
      expect(said('starting deployment'), host).toBe(1);
    }
  }, 120_000);
});

/** The environment minus every maas-mcp setting. */
function cleanEnv(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(MAAS_|MCP_|SLACK_|HOST$|PORT$)/.test(k)) out[k] = v;
  return out;
}

/** Resolves with the process's stdout so far once it matches `re`; rejects after `ms` or if it exits. */
function until(p: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${re} within ${ms} ms; stdout: ${out}; stderr: ${err}`)),
      ms,
    );
    p.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (re.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    p.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${re}; stdout: ${out}; stderr: ${err}`));
    });
  });
}
