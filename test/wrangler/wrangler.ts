/** Running the project's wrangler from tests: offline, without telemetry or update checks. */
import { fileURLToPath } from 'node:url';

/** wrangler's CLI script, run with this Node (no npx, no shell). */
export const WRANGLER = fileURLToPath(
  new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url),
);

/** The repository root, where wrangler.toml is. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The environment for a wrangler child: no metrics, no `cf` fetch, no banner (whose update check calls npm). */
export function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    ...extra,
  };
}

/** A free port on 127.0.0.1 (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:http');
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as import('node:net').AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/**
 * `wrangler dev` on 127.0.0.1 at `port` with `vars`, in its own process group (stopping it stops its workerd too),
 * answering once /healthz does. `stop()` ends the group by its id.
 */
export async function startWranglerDev(
  port: number,
  vars: Record<string, string>,
): Promise<{ base: string; output: () => string; stop(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const state = mkdtempSync(join(tmpdir(), 'maas-mcp-wrangler-'));
  const inspector = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = [
    WRANGLER,
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspector),
  ];
  args.push('--persist-to', join(state, 'persist'), '--show-interactive-dev-session=false');
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: wranglerEnv({ WRANGLER_LOG_PATH: join(state, 'logs') }),
    detached: true,
    stdio: 'pipe',
  });
  let output = '';
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = async () => {
    const pid = child.pid;
    if (pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
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
  };
  const deadline = Date.now() + 25_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
    if ((await fetch(`${base}/healthz`).catch(() => undefined))?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer in 25 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, output: () => output, stop };
}
