/**
 * `maas-mcp run FILE` and `maas-mcp run --status [RUN_ID]` (README "Workflows"): a workflow file run against MAAS
 * from the command line — through workflow_run and the one path, like any caller: previewed, confirmed once
 * (a terminal asks; --yes confirms; without either a destructive plan is refused), run host by host in parallel,
 * shown live, and resumed when the same command runs again after an interruption. Exit code 0 only when every host
 * succeeded.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { type Config, ConfigError, parseConfig } from '../config.ts';
import type { ToolContext } from '../core/deps.ts';
import { invokeTool, runTool } from '../core/invoke.ts';
import { isHeld } from '../core/result.ts';
import { ACTIONS, type Action, parseWorkflow, type WorkflowFile } from '../core/workflows/format.ts';
import { isRunning } from '../core/workflows/record.ts';
import { describeWorkflow, renderWorkflow, workflowView } from '../core/workflows/view.ts';
import type { Operation } from '../store/types.ts';
import { findTool } from '../tools/index.ts';
import { header, liveView, plainView, type RunView } from './run-view.ts';
import { localPrincipal, nodeLogging, type Started, startDeps } from './start.ts';
import { openNodeStore } from './store-open.ts';
import { holderAlive } from './workflows.ts';

export const RUN_USAGE = `maas-mcp run FILE [-a ACTION] [--hosts h1,h2|all] [--max-retries N] [--parallel N] [--dry-run] [--yes] [--json] [-v]
maas-mcp run --status [RUN_ID] [--json]`;

export interface RunArgs {
  file?: string;
  action?: Action;
  hosts?: string[];
  maxRetries: number;
  parallel: number;
  dryRun: boolean;
  yes: boolean;
  json: boolean;
  verbose: boolean;
  /** --status: a run id, or true for the list of runs. */
  status?: string | true;
}

/** Where the command reads and writes: the process's own, or a test's. */
export interface RunIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Whether a person is at a terminal (the live view, and a question before a destructive plan). */
  tty: boolean;
  /** Registers what to do on Ctrl-C or SIGTERM; answers the function that removes it. */
  onSignal(stop: () => void): () => void;
}

export function parseRunArgs(args: readonly string[]): RunArgs {
  const out: RunArgs = {
    maxRetries: 5,
    parallel: 50,
    dryRun: false,
    yes: false,
    json: false,
    verbose: false,
  };
  const int = (name: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    switch (name) {
      case '-a':
      case '--action': {
        const a = value();
        if (!a || !(ACTIONS as readonly string[]).includes(a)) {
          throw new ConfigError(`${name} must be one of ${ACTIONS.join(', ')}${a ? ` (got "${a}")` : ''}`);
        }
        out.action = a as Action;
        break;
      }
      case '--hosts': {
        const v = value();
        if (!v) throw new ConfigError('--hosts needs hostnames, comma-separated, or "all"');
        out.hosts = v
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean);
        break;
      }
      case '--max-retries':
        out.maxRetries = int('--max-retries', value(), 0, 1000);
        break;
      case '--parallel':
        out.parallel = int('--parallel', value(), 1, 500);
        break;
      case '--dry-run':
        out.dryRun = true;
        break;
      case '-y':
      case '--yes':
        out.yes = true;
        break;
      case '--json':
        out.json = true;
        break;
      case '-v':
      case '--verbose':
        out.verbose = true;
        break;
      case '--status': {
        const next = args[i + 1];
        out.status = next !== undefined && !next.startsWith('-') ? (args[++i] as string) : true;
        break;
      }
      default:
        if (arg.startsWith('-')) throw new ConfigError(`unknown option ${arg}\n${RUN_USAGE}`);
        if (out.file !== undefined)
          throw new ConfigError(`one workflow file at a time (got ${out.file} and ${arg})`);
        out.file = arg;
    }
  }
  if (out.status === undefined && out.file === undefined)
    throw new ConfigError(`name a workflow file\n${RUN_USAGE}`);
  return out;
}

/** `maas-mcp run …`; resolves with the exit code. */
export async function runCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: RunIo,
): Promise<number> {
  const args = parseRunArgs(argv);
  if (args.status !== undefined) return status(args, env, io);
  const file = readWorkflow(args.file as string);
  const config = credentials(file, env, io, args);
  const out = (text: string) => io.stdout.write(text);
  const useLive = io.tty && !args.json && !args.verbose;
  let view: RunView | undefined;
  const logLine = (line: string) => {
    if (view) view.line(line, 'WARN');
    else io.stderr.write(`${line}\n`);
  };
  const logging = nodeLogging(config, args.verbose ? 'debug' : 'error', logLine);
  if (file.maas_api_key) logging.secrets.addApiKey(file.maas_api_key);
  let started: Started;
  try {
    started = await startDeps(config, { demo: false }, false, logging, undefined, 'cli');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { deps, workflows } = started;
  try {
    const principal = localPrincipal(config, 'cli');
    const { maas_api_url: _u, maas_api_key: _k, ...workflow } = file;
    const actions = args.action ? [args.action] : (file.actions ?? []);
    const listOnly = actions.length > 0 && actions.every((a) => a === 'list');
    if (listOnly) return await list(started, principal, args, out);
    const call = {
      workflow,
      ...(args.action ? { action: args.action } : {}),
      ...(args.hosts ? { hosts: args.hosts } : {}),
      max_retries: args.maxRetries,
      parallel: args.parallel,
    };
    const ctx: ToolContext = {
      deps,
      principal,
      // --yes is the confirmation; at a terminal the person is asked once; otherwise a destructive plan is refused.
      confirmMode: args.yes ? 'off' : io.tty ? 'auto' : 'token',
      ...(io.tty && !args.yes ? { elicit: (message: string) => ask(io, message) } : {}),
    };
    const tool = findTool('workflow_run');
    if (!tool) throw new Error('internal: workflow_run is not in the registry');
    if (args.dryRun) {
      const plan = await invokeTool(tool, { ...call, dry_run: true }, ctx);
      if (!plan.ok) return fail(io, plan.message);
      out(args.json ? `${JSON.stringify(plan.out, null, 2)}\n` : `${tool.render(plan.out)}\n`);
      return 0;
    }
    const first = actions.indexOf('list');
    if (first === 0 && !args.json) await list(started, principal, args, out);
    const answer = await invokeTool(tool, call, ctx);
    if (!answer.ok) return fail(io, answer.message);
    const res = answer.out as {
      run?: ReturnType<typeof workflowView>;
      how?: string;
      status?: string;
      summary?: string;
      preview?: { hostname: string; status: string; effect: string }[];
    };
    if (isHeld(res)) {
      if (res.status === 'cancelled') return fail(io, 'cancelled: nothing was done', 1);
      const lines = (res.preview ?? []).map((r) => `  ${r.hostname} (${r.status}):${r.effect}`);
      return fail(
        io,
        `refusing to run a plan with destructive steps without a confirmation: run it again with --yes (or at a terminal, to be asked). The plan:\n${lines.join('\n')}`,
      );
    }
    const run = res.run;
    if (!run) return fail(io, 'workflow_run gave no run');
    if (res.how === 'running') {
      return fail(
        io,
        `this workflow is already being run (${run.id}) by another process: watch it with maas-mcp run --status ${run.id}`,
      );
    }
    const engine = workflows.engine(run.id);
    const hosts = run.hosts.map((h) => h.hostname);
    if (!args.json)
      out(
        `${header({ url: deps.maas.http.root.replace(/api\/2\.0\/$/, ''), actions, hosts, parallel: args.parallel })}\n`,
      );
    view = args.json
      ? plainView(
          (t) => io.stderr.write(t),
          () => deps.clock.now(),
          args.verbose,
        )
      : useLive
        ? liveView(io.stdout, () => deps.clock.now())
        : plainView(out, () => deps.clock.now(), args.verbose);
    if (res.how === 'resumed') view.line(`Resuming run ${run.id} where each host stopped`);
    if (res.how === 'continued')
      view.line(`Carrying on from an unfinished run of this file: finished steps are not repeated`);
    let op: Operation;
    if (!engine) {
      op = (await deps.store.getOperation(run.id)) as Operation;
    } else {
      view.begin(engine.op);
      const unsubscribe = engine.subscribe((e) => view?.event(e, engine.op));
      let interrupt = () => {};
      const interrupted = new Promise<'interrupted'>((resolve) => {
        interrupt = () => resolve('interrupted');
      });
      const removeSignal = io.onSignal(interrupt);
      // The clock's timers do not keep a process alive (src/base/clock.ts): this does, while the run goes on.
      const alive = setInterval(() => undefined, 60_000);
      const ended = await Promise.race([engine.done, interrupted]).finally(() => clearInterval(alive));
      removeSignal();
      unsubscribe();
      if (ended === 'interrupted') {
        await engine.stop();
        view.end(engine.op);
        io.stderr.write(
          `Interrupted: run ${run.id} is paused. Run the same command again to resume it where each host stopped.\n`,
        );
        return 130;
      }
      op = ended;
    }
    view.end(op);
    if (first > 0 && !args.json) await list(started, principal, args, out);
    const code = op.targets.every((t) => t.result === 'succeeded') ? 0 : 1;
    if (args.json)
      out(`${JSON.stringify({ ...workflowView(op, false), how: res.how, exit_code: code }, null, 2)}\n`);
    return code;
  } finally {
    await started.close();
  }
}

function fail(io: RunIo, message: string, code = 2): number {
  io.stderr.write(`maas-mcp: ${message}\n`);
  return code;
}

/** The file, read and checked; every problem named by its JSON path. */
function readWorkflow(path: string): WorkflowFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    return parseWorkflow(json);
  } catch (err) {
    throw new ConfigError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** MAAS_URL and MAAS_API_KEY from the environment (preferred), else the file's. */
function credentials(file: WorkflowFile, env: NodeJS.ProcessEnv, io: RunIo, args: RunArgs): Config {
  const fromEnv = !!(env.MAAS_URL && env.MAAS_API_KEY);
  if (!fromEnv && file.maas_api_url && file.maas_api_key) {
    if (!args.json) {
      io.stderr.write(
        `maas-mcp: using the MAAS credentials in ${args.file}; prefer MAAS_URL and MAAS_API_KEY in the environment (a key in a file is easily shared by mistake)\n`,
      );
    }
    return parseConfig({ ...env, MAAS_URL: file.maas_api_url, MAAS_API_KEY: file.maas_api_key });
  }
  if (!fromEnv) {
    throw new ConfigError(
      'no MAAS to talk to: set MAAS_URL and MAAS_API_KEY (or maas_api_url and maas_api_key in the workflow file)',
    );
  }
  return parseConfig(env);
}

/** Asks once at the terminal: the plan, then "Go ahead? [y/N]". */
async function ask(io: RunIo, message: string): Promise<'accept' | 'decline'> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    io.stderr.write(`${message}\n`);
    const answer = await rl.question('Go ahead? [y/N] ');
    return /^y(es)?$/i.test(answer.trim()) ? 'accept' : 'decline';
  } finally {
    rl.close();
  }
}

/** `list`: every machine in MAAS, as machines_list shows them. */
async function list(
  started: Started,
  principal: ReturnType<typeof localPrincipal>,
  args: RunArgs,
  out: (text: string) => void,
): Promise<number> {
  const tool = findTool('machines_list');
  if (!tool) throw new Error('internal: machines_list is not in the registry');
  const rows: unknown[] = [];
  let text = '';
  for (let offset = 0; ; offset += 500) {
    const page = (await runTool(tool, { limit: 500, offset }, { deps: started.deps, principal })) as {
      rows: unknown[];
      more: boolean;
    };
    rows.push(...page.rows);
    text += `${tool.render(page)}\n`;
    if (!page.more) break;
  }
  out(args.json ? `${JSON.stringify({ machines: rows }, null, 2)}\n` : text);
  return 0;
}

/** `--status`: the runs in the store, or one run host by host. Needs no MAAS. */
async function status(args: RunArgs, env: NodeJS.ProcessEnv, io: RunIo): Promise<number> {
  const config = parseConfig(env);
  const store = openNodeStore(config.db, env);
  try {
    const now = Date.now();
    if (args.status === true) {
      const runs = await store.listOperations({ kind: ['workflow'], limit: 20 });
      const views = runs.map((op) => workflowView(op, isRunning(op, now, holderAlive), false));
      if (args.json) io.stdout.write(`${JSON.stringify({ runs: views }, null, 2)}\n`);
      else
        io.stdout.write(
          `${views.length ? views.map((v) => `${describeWorkflow(v)} — ${v.created_at}`).join('\n') : 'No workflow runs.'}\n`,
        );
      return 0;
    }
    const op = await store.getOperation(args.status as string);
    if (op?.kind !== 'workflow')
      return fail(io, `no workflow run "${args.status}" (maas-mcp run --status lists them)`);
    const v = workflowView(op, isRunning(op, now, holderAlive));
    io.stdout.write(args.json ? `${JSON.stringify(v, null, 2)}\n` : `${renderWorkflow(v)}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
