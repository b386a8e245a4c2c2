/**
 * MCP prompts: a few recipes a person picks in their client (e.g. Claude's "/" menu) that walk the model through a
 * common job with this server's tools. Tool names come from the registry, so a renamed tool cannot leave a prompt
 * pointing at nothing; a prompt is offered only to someone who has every tool it relies on.
 */
import * as z from 'zod/v4';
import { machineDeploy, machineRelease } from '../tools/lifecycle.ts';
import { fleetSummary, machineEvents, machineGet, machinesList } from '../tools/machines.ts';
import { operationGet, operationsList } from '../tools/operations.ts';

/** A prompt's arguments: MCP passes them as strings. */
type Args = Record<string, z.ZodType<string | undefined>>;

export interface PromptDef<A extends Args = Args> {
  name: string;
  title: string;
  description: string;
  args: A;
  /** The tools the recipe has the model call. */
  uses: readonly string[];
  /** The message, from arguments already checked against `args`. */
  text(args: { [K in keyof A]: z.infer<A[K]> }): string;
}

/** Checks a prompt against its own arguments where it is written; the list holds prompts of every shape. */
function definePrompt<A extends Args>(p: PromptDef<A>): PromptDef {
  return p as unknown as PromptDef;
}

const count = z
  .string()
  .regex(/^[1-9]\d{0,2}$/, 'a whole number from 1 to 999')
  .describe('How many machines, e.g. 4');
const optional = (description: string) => z.string().min(1).optional().describe(description);
const filters = (a: { pool?: string | undefined; zone?: string | undefined; tags?: string | undefined }) =>
  [
    a.pool ? `pool "${a.pool}"` : '',
    a.zone ? `zone "${a.zone}"` : '',
    a.tags ? `tags ${JSON.stringify(a.tags.split(/[\s,]+/).filter(Boolean))}` : '',
  ]
    .filter(Boolean)
    .join(', ');

export const diagnoseMachine = definePrompt({
  name: 'diagnose_machine',
  title: 'Why did this machine fail?',
  description:
    'Find out why a machine failed (deployment, commissioning, testing, power) from its status, events and operations, and the safest next step. Changes nothing.',
  args: { machine: z.string().min(1).describe('The machine: hostname or system_id, e.g. db-03') },
  uses: [machineGet.name, machineEvents.name, operationsList.name, operationGet.name],
  text: ({ machine }) =>
    [
      `Find out why the MAAS machine "${machine}" failed and what to do about it. Do not change anything.`,
      `1. Call ${machineGet.name} with machine "${machine}" and detail ["events"]: its status, MAAS's status message and error, power state and latest events.`,
      `2. Call ${machineEvents.name} with machine "${machine}" and level "WARNING" for MAAS's account of what went wrong (failed scripts, power or BMC errors, installation failures); use level "INFO" if that says too little.`,
      `3. Call ${operationsList.name} with machine "${machine}" to see what was asked of it recently, and ${operationGet.name} on the latest one for how far it got.`,
      'Then answer in a few lines: what failed and when, the most likely cause (power/BMC, network or PXE boot, storage, a failed test script, the OS image or user data), how sure you are, and the safest next step with the tool that does it — without running it.',
    ].join('\n'),
});

export const rollingRedeploy = definePrompt({
  name: 'rolling_redeploy',
  title: 'Plan a safe rolling redeploy of a pool',
  description:
    'Plan, then (after you agree) carry out a redeploy of the Deployed machines of a resource pool a few at a time, stopping at the first failure.',
  args: {
    pool: z.string().min(1).describe('The resource pool, e.g. production'),
    batch_size: count.optional().describe('Machines redeployed at once (default 1)'),
    distro_series: optional('The OS release to deploy, e.g. noble (default: what MAAS deploys by default)'),
  },
  uses: [machinesList.name, machineRelease.name, machineDeploy.name, operationGet.name, machineEvents.name],
  text: ({ pool, batch_size, distro_series }) => {
    const batch = batch_size ?? '1';
    const os = distro_series ? ` with distro_series "${distro_series}"` : '';
    return [
      `Plan a rolling redeploy of the Deployed machines in the MAAS resource pool "${pool}", at most ${batch} at a time, so that the pool keeps serving while it runs.`,
      `1. Call ${machinesList.name} with pool "${pool}" and status "deployed". Note each machine's owner, zone and tags; locked machines are left alone (say which).`,
      `2. Split them into batches of at most ${batch}, spreading each batch over zones so that no zone loses all its machines at once.`,
      '3. Show me the plan — batches in order, what each step does, what is skipped and why — and wait for my go-ahead before changing anything. Redeploying wipes what the machines run.',
      `4. For each batch, once I agree: ${machineRelease.name} the batch, then ${machineDeploy.name} it${os}, each with wait: true (both ask for confirmation); deploy right after the release so that nobody else takes the machines. Follow each with ${operationGet.name} until it ends.`,
      `5. Stop at the first machine that does not come back Deployed: show why with ${machineEvents.name} and ask me before going on.`,
    ].join('\n');
  },
});

export const freeUpMachines = definePrompt({
  name: 'free_up_machines',
  title: 'Free up N machines',
  description:
    'Find the least disruptive way to have N Ready machines (optionally in a pool, zone or with tags): what is free already, and which machines to release, for you to approve.',
  args: {
    count,
    pool: optional('Only machines in this resource pool'),
    zone: optional('Only machines in this zone'),
    tags: optional('Tags the machines must have, comma-separated, e.g. gpu,ssd'),
  },
  uses: [fleetSummary.name, machinesList.name, machineGet.name, machineRelease.name, operationGet.name],
  text: (a) => {
    const where = filters(a);
    const matching = where ? ` with ${where}` : '';
    return [
      `I need ${a.count} Ready machines in MAAS${where ? ` (${where})` : ''}. Find the least disruptive way to get them, and change nothing until I agree.`,
      `1. Call ${machinesList.name}${matching} and status "ready". If ${a.count} or more are Ready, list them and stop.`,
      `2. Otherwise look for machines to give back, under the same filters: ${machinesList.name} with status "allocated" (reserved, nothing installed: cheapest to release), then "failed" (failed deployments, tests and commissioning), then "deployed". ${fleetSummary.name} gives the overall picture; ${machineGet.name} tells owner, description and what a machine runs.`,
      `3. Propose exactly which machines to release to reach ${a.count}, least valuable first, with one line each on why it is safe. Never pick a locked machine, and say so whenever one belongs to someone else.`,
      `4. Once I agree: ${machineRelease.name} them (it asks for confirmation; erase the disks only if I ask) and follow with ${operationGet.name} until they are Ready.`,
    ].join('\n');
  },
});

export const PROMPTS: readonly PromptDef[] = [diagnoseMachine, rollingRedeploy, freeUpMachines];

/** The prompts someone with these tools can follow. */
export function promptsFor(toolNames: ReadonlySet<string>): PromptDef[] {
  return PROMPTS.filter((p) => p.uses.every((t) => toolNames.has(t)));
}
