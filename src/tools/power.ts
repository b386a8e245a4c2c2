/** Power read tools. (Power writes come with the life-cycle tools.) */
import { z } from 'zod';
import { mapLimit } from '../core/concurrency.ts';
import { describeError } from '../core/errors.ts';
import { notFound, resolveMachines } from '../core/targets.ts';
import { machinesRef } from './common.ts';
import { defineTool } from './define.ts';

/** BMC queries go to MAAS one machine at a time (there is no bulk call); this many run at once. */
const BMC_CONCURRENCY = 8;

export const machinePowerQuery = defineTool({
  name: 'machine_power_query',
  title: 'Ask the BMCs for power state',
  description:
    "Ask each machine's BMC for its power state right now (MAAS's recorded power_state can be stale). Slow: MAAS waits for the BMC; a BMC that does not answer is reported for that machine only.",
  toolset: 'power',
  minRole: 'viewer',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  slack: { verb: 'power-query', positional: 'machines' },
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

export const powerReadTools = [machinePowerQuery];
