/**
 * The workflow runner of a Node process (README "Workflows"): whose lease it holds (this machine, this process) and
 * whether another process named by a lease still runs — a lease of a process that died (`kill -9`) on this machine
 * is taken over at once instead of waited out.
 */
import { hostname } from 'node:os';
import { randomId } from '../base/ids.ts';
import type { Deps } from '../core/deps.ts';
import { WorkflowRunner } from '../core/workflows/runner.ts';
import { findTool } from '../tools/index.ts';

/** `cli|server:<host>:<pid>:<random>`: who holds a lease. */
export function leaseHolder(kind: 'cli' | 'server', pid = process.pid): string {
  return `${kind}:${hostname()}:${pid}:${randomId('p')}`;
}

/** Whether the process a lease names is alive: known only for processes on this machine. */
export function holderAlive(holder: string): boolean | undefined {
  const [, host, pid] = holder.split(':');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return undefined;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Attaches this process's workflow runner to `deps`; `sealKey` is the MAAS API key in use. */
export function attachWorkflows(deps: Deps, kind: 'cli' | 'server', sealKey: string): WorkflowRunner {
  const runner = new WorkflowRunner(deps, {
    tools: (name) => findTool(name),
    holder: leaseHolder(kind),
    alive: holderAlive,
    sealKey,
  });
  deps.workflows = runner;
  return runner;
}
