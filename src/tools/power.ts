/** Power tools: ask the BMCs, power on, power off, power cycle. */
import * as z from 'zod/v4';
import { sleep } from '../base/clock.ts';
import { mapLimit } from '../base/concurrency.ts';
import { defineMachineAction, type Verdict } from '../core/actions.ts';
import type { ToolContext } from '../core/deps.ts';
import { describeError, ToolError } from '../core/errors.ts';
import { notFound, resolveMachines } from '../core/targets.ts';
import { defineTool } from '../core/tool.ts';
import { waitFields } from '../core/wait.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import { NodeStatus as S } from '../maas/status.ts';
import { eventComment, machinesRef, READ_ONLY } from './common.ts';
import { hintFor } from './lifecycle.ts';

/** BMC queries go to MAAS one machine at a time (there is no bulk call); this many run at once. */
const BMC_CONCURRENCY = 8;

export const machinePowerQuery = defineTool({
  name: 'machine_power_query',
  title: 'Ask the BMCs for power state',
  description:
    "Ask each machine's BMC for its power state now (MAAS's recorded one can be stale). Slow; a silent BMC fails that machine only.",
  toolset: 'power',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'power-query',
  slack: { positional: 'machines' },
  input: z.object({ machines: machinesRef }),
  output: z.object({
    results: z.array(
      z.object({
        hostname: z.string(),
        system_id: z.string(),
        power: z
          .string()
          .describe('on, off, unknown or error — as the BMC answered; "unanswered" if it did not'),
        recorded: z.string().describe('The power state MAAS had recorded before asking'),
        error: z.string().optional(),
      }),
    ),
  }),
  async run(args, { deps, signal }) {
    const { machines, missing } = await resolveMachines(deps.maas, args.machines, signal);
    if (machines.length === 0) throw notFound(missing);
    const results = await mapLimit(machines, BMC_CONCURRENCY, async (m) => {
      const base = { hostname: m.hostname, system_id: m.system_id, recorded: m.power_state };
      try {
        return { ...base, power: await deps.maas.queryPowerState(m.system_id, { signal }) };
      } catch (err) {
        return { ...base, power: 'unanswered', error: describeError(err, deps.secrets, deps.log) };
      }
    });
    for (const word of missing) {
      results.push({
        hostname: word,
        system_id: '',
        recorded: 'unknown',
        power: 'unanswered',
        error: notFound([word]).message,
      });
    }
    return { results };
  },
  render(out) {
    return out.results
      .map(
        (r) =>
          `${r.hostname}${r.system_id ? ` (${r.system_id})` : ''}: ${r.power}${r.error ? ` — ${r.error}` : r.power !== r.recorded ? ` (MAAS had recorded ${r.recorded})` : ''}`,
      )
      .join('\n');
  },
});

/**
 * Powering on needs an owner, and on an Allocated machine it starts a deployment (MAAS `maasserver/models/node.py` `Node.start`):
 * refuse both early. Either way the one next step is machine_deploy (from Ready it allocates, installs and powers
 * on); a machine that is not Ready yet is first brought there.
 */
function canPowerOn(m: MachineSummary, verb: string): Verdict | undefined {
  const deploy = 'deploy it with machine_deploy';
  if (m.status === S.ALLOCATED) {
    return {
      refuse: `cannot ${verb} ${m.hostname}: it is Allocated, and powering it on would make MAAS deploy it — ${deploy}`,
    };
  }
  if (!m.owner) {
    const next =
      m.status === S.READY ? deploy : `${hintFor(m.status) ?? 'it must be Ready first'}, then ${deploy}`;
    return {
      refuse: `cannot ${verb} ${m.hostname}: it is ${m.status_name} and not allocated to anyone, and MAAS powers on only allocated machines — ${next}`,
    };
  }
  return undefined;
}

export const machinePowerOn = defineMachineAction({
  name: 'machine_power_on',
  title: 'Power machines on',
  description: 'Power on allocated or deployed machines through their BMC.',
  toolset: 'power',
  minRole: 'operator',
  destructive: false,
  idempotent: true,
  verb: 'power-on',
  input: z.object({
    machines: machinesRef,
    comment: eventComment,
    ...waitFields,
  }),
  operation: () => 'power_on',
  check(m) {
    if (m.power_state === 'on') return { skip: 'already on' };
    return canPowerOn(m, 'power on') ?? { run: 'power on' };
  },
  perform: (m, a, { deps, signal }) =>
    deps.maas.machineOp(m.system_id, 'power_on', { comment: a.comment }, { signal }),
  continues: () => 'The BMC powers it on in the background; MAAS updates power_state when it reports back.',
});

/** Power off through MAAS; MAAS answers null when the power driver cannot stop the machine (manual power). */
async function powerOff(
  m: MachineSummary,
  stopMode: 'soft' | 'hard',
  comment: string | undefined,
  ctx: ToolContext,
) {
  const after = await ctx.deps.maas.machineOp(
    m.system_id,
    'power_off',
    { stop_mode: stopMode, comment },
    { signal: ctx.signal },
  );
  if (after === null) {
    throw new ToolError(
      `its power type (${m.power_type || 'none'}) gives MAAS no way to stop it — switch it off by hand`,
    );
  }
  return after;
}

export const machinePowerOff = defineMachineAction({
  name: 'machine_power_off',
  title: 'Power machines off',
  description: 'Power off machines through their BMC (soft by default; hard loses running work).',
  toolset: 'power',
  minRole: 'operator',
  destructive: true,
  idempotent: true,
  verb: 'power-off',
  input: z.object({
    machines: machinesRef,
    stop_mode: z
      .enum(['soft', 'hard'])
      .default('soft')
      .describe('soft: the OS shuts down; hard: cut the power now'),
    comment: eventComment,
    ...waitFields,
  }),
  operation: () => 'power_off',
  check(m, a) {
    if (m.power_state === 'off') return { skip: 'already off' };
    const what =
      a.stop_mode === 'hard'
        ? 'cut the power now (running work is lost)'
        : 'ask the OS to shut down, then power off';
    return { run: m.status === S.DEPLOYED ? `${what}; it stays Deployed` : what };
  },
  perform: (m, a, ctx) => powerOff(m, a.stop_mode, a.comment, ctx),
  continues: () => 'The BMC powers it off in the background; MAAS updates power_state when it reports back.',
});

/** How long a power cycle waits for the machine to report off before giving up. */
export const CYCLE_OFF_TIMEOUT_MS = 120_000;
const CYCLE_POLL_MS = 3_000;

export const machinePowerCycle = defineMachineAction({
  name: 'machine_power_cycle',
  title: 'Power cycle machines',
  description: 'Hard power off, wait until MAAS sees it off (≤ 2 min), power on: pulling the plug.',
  toolset: 'power',
  minRole: 'operator',
  destructive: true,
  idempotent: false,
  verb: 'power-cycle',
  input: z.object({ machines: machinesRef }),
  operation: () => 'power_cycle',
  check(m) {
    const blocked = canPowerOn(m, 'power cycle');
    if (blocked) return blocked;
    return {
      run:
        m.power_state === 'off'
          ? 'power on (it is already off)'
          : 'cut the power, wait until it is off, power on',
    };
  },
  async perform(m, _a, ctx) {
    if (m.power_state !== 'off') {
      await powerOff(m, 'hard', 'power cycle', ctx);
      await offWaiter(ctx).wait(m.system_id);
    }
    return ctx.deps.maas.machineOp(
      m.system_id,
      'power_on',
      { comment: 'power cycle' },
      { signal: ctx.signal },
    );
  },
});

interface Waiting {
  resolve: () => void;
  reject: (err: Error) => void;
  deadline: number;
}

/**
 * Waits for machines to report off, with one batched read per poll however many machines of the call are
 * waiting (never one request per machine).
 */
class OffWaiter {
  private readonly waiting = new Map<string, Waiting>();
  private scheduled = false;

  constructor(private readonly ctx: ToolContext) {}

  wait(systemId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(systemId, {
        resolve,
        reject,
        deadline: this.ctx.deps.clock.now() + CYCLE_OFF_TIMEOUT_MS,
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    void sleep(this.ctx.deps.clock, CYCLE_POLL_MS, this.ctx.signal).then(
      () => this.poll(),
      (err: unknown) => this.failAll(err instanceof Error ? err : new Error(String(err))),
    );
  }

  private async poll(): Promise<void> {
    this.scheduled = false;
    const ids = [...this.waiting.keys()];
    let rows: { system_id: string; power_state: string }[] = [];
    try {
      rows = await this.ctx.deps.maas.listMachines({ id: ids }, { signal: this.ctx.signal });
    } catch {
      // MAAS did not answer this time: keep waiting until each machine's deadline.
    }
    const now = this.ctx.deps.clock.now();
    const off = new Set(rows.filter((r) => r.power_state === 'off').map((r) => r.system_id));
    for (const id of ids) {
      const w = this.waiting.get(id) as Waiting;
      if (off.has(id)) {
        this.waiting.delete(id);
        w.resolve();
      } else if (now >= w.deadline) {
        this.waiting.delete(id);
        w.reject(
          new ToolError(
            `it did not report off within ${CYCLE_OFF_TIMEOUT_MS / 1000} s, so it was not powered on again — check it with machine_power_query`,
          ),
        );
      }
    }
    if (this.waiting.size > 0) this.schedule();
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

const waiters = new WeakMap<ToolContext, OffWaiter>();
function offWaiter(ctx: ToolContext): OffWaiter {
  let w = waiters.get(ctx);
  if (!w) {
    w = new OffWaiter(ctx);
    waiters.set(ctx, w);
  }
  return w;
}

export const powerTools = [machinePowerQuery, machinePowerOn, machinePowerOff, machinePowerCycle];
