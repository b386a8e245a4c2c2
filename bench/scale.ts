/**
 * (c) machines_list against a 10,000-machine MAAS (MAAS has no pagination: the whole list, ~25 KB a machine,
 * comes back every time). The simulator runs in its own process, as a real MAAS would; each measurement runs in
 * a fresh process. Targets: time ≤ 1.5× the bare transfer of the same answer, and memory that does not grow with
 * the answer beyond one copy.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface ScaleRun {
  mode: string;
  ms: number;
  bytes: number;
  rows: number;
  baseline_mb: number;
  peak_mb: number;
}

export interface ScaleResult {
  machines: number;
  answer_mb: number;
  transfer: ScaleRun;
  tool: ScaleRun;
  naive: ScaleRun;
  time_ratio: number;
  tool_growth_mb: number;
  naive_growth_mb: number;
}

export async function startSim(
  machines: number,
  timeScale = 1000,
): Promise<{ child: ChildProcess; url: string; key: string }> {
  const child = spawn(
    process.execPath,
    [
      'bin/maas-mcp.js',
      'sim',
      '--machines',
      String(machines),
      '--port',
      '0',
      '--time-scale',
      String(timeScale),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  const found = new Promise<{ url: string; key: string }>((resolve, reject) => {
    child.stdout?.on('data', (d: string) => {
      out += d;
      const url = /^MAAS_URL=(.+)$/m.exec(out)?.[1];
      const key = /^MAAS_API_KEY=(.+)$/m.exec(out)?.[1];
      if (url && key) resolve({ url, key });
    });
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before it was ready`)));
  });
  return { child, ...(await found) };
}

function measure(mode: string, url: string, key: string): Promise<ScaleRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'bench/scale-worker.ts', mode],
      {
        cwd: root,
        env: { ...process.env, MAAS_URL: url, MAAS_API_KEY: key },
        maxBuffer: 1 << 20,
        timeout: 300_000,
      },
      (err, stdout) =>
        err ? reject(err) : resolve(JSON.parse(stdout.trim().split('\n').at(-1) as string) as ScaleRun),
    );
  });
}

const median = (runs: ScaleRun[]) =>
  [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)] as ScaleRun;

export async function scale(machines = 10_000, repeat = 3): Promise<ScaleResult> {
  const sim = await startSim(machines);
  try {
    const runs: Record<string, ScaleRun[]> = { transfer: [], tool: [], naive: [] };
    // Interleave the modes so that any drift in the machine's speed hits all of them alike.
    for (let i = 0; i < repeat; i++) {
      for (const mode of ['transfer', 'tool', 'naive'])
        runs[mode]?.push(await measure(mode, sim.url, sim.key));
    }
    const transfer = median(runs.transfer as ScaleRun[]);
    const tool = median(runs.tool as ScaleRun[]);
    const naive = median(runs.naive as ScaleRun[]);
    return {
      machines,
      answer_mb: transfer.bytes / 1024 / 1024,
      transfer,
      tool,
      naive,
      time_ratio: tool.ms / transfer.ms,
      tool_growth_mb: tool.peak_mb - tool.baseline_mb,
      naive_growth_mb: naive.peak_mb - naive.baseline_mb,
    };
  } finally {
    sim.child.kill('SIGTERM');
    await once(sim.child, 'exit');
  }
}
