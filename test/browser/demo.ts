/**
 * `maas-mcp demo` as its own process on a free port of 127.0.0.1, asking a fake Slack (on 127.0.0.1) for approvals:
 * for the browser test and `npm run screenshot`. Resolves once the banner names the status page.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The environment minus every setting, so the demo runs as on a fresh machine whatever the caller has set. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(MAAS_|MCP_|SLACK_|HOST$|PORT$)/.test(k)) env[k] = v;
  return env;
}

export interface Demo {
  /** http://127.0.0.1:<port> */
  base: string;
  proc: ChildProcess;
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

export function startDemo(args: string[], slackUrl: string): Promise<Demo> {
  const proc = spawn(process.execPath, ['bin/maas-mcp.js', 'demo', '--port', '0', ...args], {
    cwd: ROOT,
    env: {
      ...cleanEnv(),
      MAAS_MCP_CONFIRM: 'slack',
      SLACK_BOT_TOKEN: 'xoxb-demo-under-test-0123456789',
      SLACK_SIGNING_SECRET: 'demo-under-test-signing-secret-0123',
      SLACK_NOTIFY_CHANNEL: 'CNOTIFY',
      SLACK_API_URL: `${slackUrl}/api/`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  };
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`no banner within 20 s; stderr: ${stderr}`));
    }, 20_000);
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Status page:\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m?.[1] && out.includes('Stop with Ctrl-C.')) {
        clearTimeout(timer);
        resolve({ base: m[1], proc, stop });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}; stderr: ${stderr}`));
    });
  });
}
