/**
 * What every Node command starts from: the process's logging, Deps against the configured MAAS (or an embedded
 * simulator), the poller and the workflow runner, and who the local user is. `maas-mcp serve | stdio | demo` and
 * `maas-mcp run` share it.
 */
import { userInfo } from 'node:os';
import { createLogger, type Logger, type LogLevel } from '../base/log.ts';
import type { SecretSet } from '../base/redact.ts';
import { type Config, secretsOf } from '../config.ts';
import type { Principal } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import { Poller } from '../core/operations/poller.ts';
import type { WorkflowRunner } from '../core/workflows/runner.ts';
import type { Simulator } from '../sim/index.ts';
import { type Slack, slackSetupWarnings } from '../slack.ts';
import { MemoryStore } from '../store/memory.ts';
import type { Store } from '../store/types.ts';
import { ALL_TOOLS } from '../tools/index.ts';
import { buildDeps, chooseMaas } from '../wiring.ts';
import { createNodeFetch } from './fetch.ts';
import { openPolicyFile } from './policy-file.ts';
import { openNodeStore } from './store-open.ts';
import { attachWorkflows } from './workflows.ts';

/** Command-line options every command may take. */
export interface Flags {
  demo: boolean;
  port?: number;
  host?: string;
  machines?: number;
  timeScale?: number;
  seed?: number;
}

/** The local user, as who acts through stdio, loopback HTTP or the CLI (with MAAS_MCP_LOCAL_ROLE). */
export function localPrincipal(config: Config, via: Principal['via'] = 'mcp'): Principal {
  let user = 'local';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "local".
  }
  return { id: `local:${user}`, role: config.localRole, via };
}

/** The process's logging: one SecretSet, from the settings, that the logger scrubs and Deps share. */
export interface Logging {
  log: Logger;
  /** {@link startDeps} adds the MAAS key in use (the demo simulator's is not a setting). */
  secrets: SecretSet;
}

/** JSON lines on stderr (stdout belongs to the MCP stdio protocol), scrubbed of every secret the settings hold. */
export function nodeLogging(
  config: Config,
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logging {
  const secrets = secretsOf(config);
  return { log: createLogger(write, { level, secrets }), secrets };
}

export interface Started {
  deps: Deps;
  /** The workflows this process runs (README "Workflows"). */
  workflows: WorkflowRunner;
  sim?: Simulator;
  slack?: Slack;
  close(): Promise<void>;
}

/**
 * Builds Deps against the configured MAAS, or an embedded simulator when `demo`, and starts the poller (stopped
 * by `close`). `demoUrl` is where a user reaches that simulator (the HTTP server's own /MAAS): the MAAS URL that
 * /healthz and messages show. Requests still go to the simulator in-process.
 */
export async function startDeps(
  config: Config,
  flags: Flags,
  demo: boolean,
  logging: Logging,
  demoUrl?: string,
  role: 'cli' | 'server' = 'server',
): Promise<Started> {
  // A broken policy stops maas-mcp before anything starts.
  const policy = openPolicyFile(config, logging.log);
  let sim: Simulator | undefined;
  if (demo) {
    // Loaded only when asked for: a server in front of a real MAAS never carries the simulator.
    const { createSimulator } = await import('../sim/index.ts');
    sim = createSimulator({
      machines: flags.machines ?? 24,
      timeScale: flags.timeScale ?? 0.05,
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    });
  }
  let closeFetch = async () => {};
  const maas = chooseMaas(
    config,
    sim && { url: demoUrl ?? sim.baseUrl, apiKey: sim.users.admin.apiKey, fetch: sim.fetch },
    'point them at your MAAS (e.g. MAAS_URL=http://maas:5240/MAAS), or add --demo to use the built-in simulator',
    () => {
      const nf = createNodeFetch({ caFile: config.maasCaFile, insecure: config.maasTlsInsecure });
      closeFetch = nf.close;
      return nf.fetch;
    },
  );
  // The demo keeps its state in memory: it must not mix simulated operations into a real deployment's history.
  let store: Store;
  try {
    store = demo && !config.db ? new MemoryStore() : openNodeStore(config.db, process.env);
  } catch (err) {
    sim?.close();
    policy?.close();
    await closeFetch();
    throw err;
  }
  // Slack: notices and approvals wherever the poller runs (serve, stdio and demo alike).
  const { deps, slack } = buildDeps({
    config,
    tools: ALL_TOOLS,
    maas,
    store,
    ...logging,
    kickPoller: () => poller.kick(),
    slackNotices: true,
    policy,
  });
  for (const warning of slackSetupWarnings(config.slack)) logging.log.warn(warning);
  // One poller per process: it resumes what a previous run left running, and sends held-back notices.
  const poller = new Poller(deps);
  poller.start();
  const workflows = attachWorkflows(deps, role, maas.apiKey);
  // A server picks up the workflow runs it started that no live process runs any more (after a crash or restart).
  if (role === 'server') {
    const resumed = await workflows.resumeServerRuns();
    if (resumed.length > 0) logging.log.info('resumed workflow runs', { runs: resumed });
  }
  const started: Started = {
    deps,
    workflows,
    close: async () => {
      await workflows.stopAll();
      poller.stop();
      policy?.close();
      sim?.close();
      await store.close();
      await closeFetch();
    },
  };
  if (sim) started.sim = sim;
  if (slack) started.slack = slack;
  return started;
}
