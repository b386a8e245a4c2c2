/**
 * Node entry point and CLI: `maas-mcp demo | serve | stdio | sim`. Reads the environment once, builds Deps,
 * and starts what was asked. Everything Node-only (undici, @hono/node-server, stdio) is reached from here.
 */
import { type ServerType, serve } from '@hono/node-server';
import { oauthEnabled } from './config/oauth.ts';
import { bool, type Config, ConfigError, isLoopbackHost, parseConfig } from './config.ts';
import { serveStdio } from './mcp/stdio.ts';
import { type RunIo, runCommand } from './node/run.ts';
import { slackBanner } from './node/slack-banner.ts';
import {
  type Flags,
  type Logging,
  localPrincipal,
  nodeLogging,
  type Started,
  startDeps,
} from './node/start.ts';
import { createApp } from './server.ts';
import type { Simulator } from './sim/index.ts';
import { toolsFor } from './tools/index.ts';
import { VERSION } from './version.ts';

export { type Logging, nodeLogging, type Started, startDeps } from './node/start.ts';

const USAGE = `maas-mcp ${VERSION} — drive a MAAS fleet from AI agents (MCP) and Slack

Usage:
  maas-mcp demo   [--port N] [--machines N] [--time-scale X] [--seed S]
                  simulator + HTTP server on 127.0.0.1 (what \`npm start\` runs)
  maas-mcp serve  [--demo] [--port N] [--host H]
                  HTTP server: /mcp (Streamable HTTP), /healthz
  maas-mcp stdio  [--demo]
                  MCP over stdio, for Claude Desktop and Claude Code
  maas-mcp sim    [--port N] [--host H] [--machines N] [--time-scale X] [--seed S]
                  the MAAS simulator alone; prints MAAS_URL= and MAAS_API_KEY=
  maas-mcp run FILE [-a ACTION] [--hosts h1,h2|all] [--max-retries N] [--parallel N]
                  [--dry-run] [--yes] [--json] [-v]
                  run a workflow file on every host at once (resumable: run it again to resume)
  maas-mcp run --status [RUN_ID] [--json]
                  workflow runs and how far each host got

Settings come from the environment (MAAS_URL, MAAS_API_KEY, PORT, HOST, MCP_AUTH_TOKENS, …); see README.md.`;

/** Parses `--flag value` / `--flag=value` options; throws a ConfigError naming the bad one. */
export function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = { demo: false };
  const num = (name: string, v: string | undefined, min: number, max: number, integer = true): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new ConfigError(`--${name} must be a${integer ? 'n integer' : ' number'} from ${min} to ${max}`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const value = () => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (see maas-mcp help)`);
    switch (name) {
      case 'demo':
        flags.demo = true;
        break;
      case 'port':
        flags.port = num('port', value(), 0, 65535);
        break;
      case 'host':
        flags.host = value() ?? '';
        break;
      case 'machines':
        flags.machines = num('machines', value(), 1, 10_000);
        break;
      case 'time-scale':
        flags.timeScale = num('time-scale', value(), 0.0001, 100_000, false);
        break;
      case 'seed':
        flags.seed = num('seed', value(), 0, 2 ** 31);
        break;
      default:
        throw new ConfigError(`unknown option --${name} (see maas-mcp help)`);
    }
  }
  return flags;
}

function listen(
  app: { fetch: (req: Request) => Response | Promise<Response> },
  host: string,
  port: number,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new ConfigError(`port ${port} on ${host} is in use: set PORT (or --port) to a free one`)
          : err,
      );
    });
  });
}

function boundPort(server: ServerType, fallback: number): number {
  const a = server.address();
  return a && typeof a === 'object' ? a.port : fallback;
}

function untilSignal(onStop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const stop = () => {
      onStop().finally(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function runHttp(config: Config, flags: Flags, demo: boolean, logging: Logging): Promise<number> {
  const { log } = logging;
  const host = flags.host ?? config.host;
  const port = flags.port ?? config.port;
  if (!isLoopbackHost(host) && config.authTokens.length === 0 && !oauthEnabled(config.oauth)) {
    throw new ConfigError(
      `HOST=${host} can be reached from other machines: set MCP_AUTH_TOKENS (token:principal:role, …) or OAuth sign-in (MCP_OAUTH_ISSUER or OIDC_ISSUER) before listening there`,
    );
  }
  // Listening comes first: the demo's MAAS is this server's /MAAS, and its URL needs the port actually bound.
  // A request that arrives while the rest starts waits for it (a client that connects at once is answered, not
  // turned away); if starting fails, it is told so.
  let ready!: (h: (req: Request) => Response | Promise<Response>) => void;
  const handler = new Promise<(req: Request) => Response | Promise<Response>>((resolve) => {
    ready = resolve;
  });
  const server = await listen({ fetch: async (req) => (await handler)(req) }, host, port);
  const actual = boundPort(server, port);
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  let built: Started;
  try {
    built = await startDeps({ ...config, host }, flags, demo, logging, `${base}/MAAS`);
  } catch (err) {
    ready(() => new Response('maas-mcp could not start', { status: 503 }));
    server.close();
    throw err;
  }
  const { sim } = built;
  const http = createApp(built.deps, {
    localPrincipal: localPrincipal(config),
    ...(built.slack ? { slack: built.slack } : {}),
    ...(sim ? { mount: (app) => app.all('/MAAS/*', (c) => sim.app.fetch(c.req.raw)) } : {}),
  });
  ready(http.app.fetch);
  // Socket Mode: Slack reaches us over an outbound WebSocket (no public ingress needed).
  let socket: { stop(): Promise<unknown> } | undefined;
  if (built.slack && config.slack.appToken) {
    const { createSlackApp } = await import('./node/slack-socket.ts');
    const app = createSlackApp(built.slack, config, log);
    await app.start();
    socket = app;
    log.info('Slack Socket Mode connected');
  }
  if (demo) printDemoBanner(base, sim as Simulator);
  else
    console.error(
      `maas-mcp ${VERSION} serving MCP at ${base}/mcp and the status page at ${base}/ (MAAS: ${built.deps.maas.http.root})`,
    );
  const slackLines = slackBanner(base, config);
  if (slackLines) (demo ? console.log : console.error)(`\n${slackLines}\n`);
  log.info('listening', { url: `${base}/mcp`, demo });
  return untilSignal(async () => {
    await socket?.stop().catch(() => undefined);
    await http.close();
    server.close();
    await built.close();
  });
}

function printDemoBanner(base: string, sim: Simulator): void {
  const bin = new URL('../bin/maas-mcp.js', import.meta.url).pathname;
  // This Node's own path: Claude Desktop does not start from a shell, so `node` may not be on its PATH (nvm).
  const desktop = JSON.stringify(
    { mcpServers: { maas: { command: process.execPath, args: [bin, 'stdio', '--demo'] } } },
    null,
    2,
  );
  console.log(`maas-mcp ${VERSION} demo — a simulated MAAS with a seeded fleet, nothing real is touched.

  Status page:            ${base}/
  MCP (Streamable HTTP):  ${base}/mcp
  Health:                 ${base}/healthz
  Simulated MAAS API:     MAAS_URL=${base}/MAAS
                          MAAS_API_KEY=${sim.users.admin.apiKey}

Claude Code:
  claude mcp add --transport http maas ${base}/mcp

Claude Desktop (claude_desktop_config.json; runs its own simulator over stdio):
${desktop}

MCP Inspector (its 2.x needs Node 22.19+; on Node 20 npx picks 0.15.0, whose CLI works):
  Node 22.19+:  npx -y @modelcontextprotocol/inspector@2.12.0  →  transport Streamable HTTP, URL ${base}/mcp
  Node 20:      npx -y @modelcontextprotocol/inspector@0.15.0 --cli ${base}/mcp --transport http --method tools/list

Slack: create an app from slack/manifest.yml, then start with SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN set
  (or SLACK_APP_TOKEN for Socket Mode); /maas then works against this demo fleet. See README.md "Slack".

Stop with Ctrl-C.`);
}

async function runStdio(config: Config, flags: Flags, logging: Logging): Promise<number> {
  const { log } = logging;
  const built = await startDeps(config, flags, flags.demo, logging);
  const principal = localPrincipal(config);
  const tools = toolsFor(built.deps, principal);
  const stdinEnded = new Promise<void>((resolve) => process.stdin.once('end', () => resolve()));
  const stdio = await serveStdio(built.deps, { principal, tools });
  log.info('stdio ready', { tools: tools.length, demo: flags.demo });
  const code = await Promise.race([
    Promise.race([stdio.closed, stdinEnded]).then(() => 0),
    untilSignal(async () => {}),
  ]);
  await stdio.close();
  await built.close();
  return code;
}

async function runSim(config: Config, flags: Flags): Promise<number> {
  const host = flags.host ?? config.host;
  const { createSimulator } = await import('./sim/index.ts');
  const sim = createSimulator({
    machines: flags.machines ?? 24,
    timeScale: flags.timeScale ?? 1,
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  });
  const server = await listen(sim.app, host, flags.port ?? config.port);
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort(server, 0)}`;
  console.log(`MAAS_URL=${base}/MAAS`);
  console.log(`MAAS_API_KEY=${sim.users.admin.apiKey}`);
  console.log(`# non-admin user ${sim.users.operator.username}: MAAS_API_KEY=${sim.users.operator.apiKey}`);
  return untilSignal(async () => {
    server.close();
    sim.close();
  });
}

/** The process's own terminal, for `maas-mcp run`. */
function processIo(): RunIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    tty: process.stdout.isTTY === true && process.stdin.isTTY === true,
    onSignal(stop) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      };
    },
  };
}

/** Runs the CLI; resolves with the exit code when the command ends. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command = 'help', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (command === 'version' || command === '--version' || command === '-v') {
    console.log(VERSION);
    return 0;
  }
  try {
    if (command === 'run') return await runCommand(rest, env, processIo());
    const flags = parseFlags(rest);
    const config = parseConfig(env);
    // MAAS_MCP_DEMO=true is --demo, as on Workers (the Claude Desktop bundle's "Try it without MAAS" sets it).
    if (command === 'stdio' || command === 'serve') flags.demo ||= bool('MAAS_MCP_DEMO', env.MAAS_MCP_DEMO);
    const logging = nodeLogging(config, command === 'stdio' ? 'warn' : 'info');
    switch (command) {
      case 'demo':
        return await runHttp(config, flags, true, logging);
      case 'serve':
        return await runHttp(config, flags, flags.demo, logging);
      case 'stdio':
        return await runStdio(config, flags, logging);
      case 'sim':
        return await runSim(config, flags);
      default:
        console.error(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`maas-mcp: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
