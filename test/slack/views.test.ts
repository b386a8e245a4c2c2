/**
 * Slack from the registry: a tool says how its answer is drawn (its view, core/tool.ts) — Slack never picks a
 * renderer by tool name, so a new tool needs no Slack code — and each tool has one verb, which people may also
 * type as the two words it is said as.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool } from '../../src/core/tool.ts';
import * as B from '../../src/slack/blocks.ts';
import { createSlack } from '../../src/slack.ts';
import { ALL_TOOLS, findTool } from '../../src/tools/index.ts';
import { type Msg, type Rig, slackRig, texts } from './helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const READ = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;
const SUMMARY = {
  total: 3,
  by_status: { Ready: 2, Deployed: 1 },
  by_zone: { 'zone-x': 3 },
  by_pool: { lab: 3 },
  by_power: { off: 2, on: 1 },
  needs_attention: [],
  in_progress: [],
  omitted: 0,
};

/** A throwaway read tool with the fleet summary's answer, drawn as `view` says. */
function summaryTool(verb: string, view?: 'fleet-summary') {
  const fleet = findTool('fleet_summary');
  if (!fleet) throw new Error('no fleet_summary');
  return defineTool({
    name: `zz_${verb}`,
    title: 'A lab summary',
    description: 'A throwaway read tool answering in the fleet summary’s shape.',
    toolset: 'machines',
    minRole: 'viewer',
    annotations: READ,
    verb,
    ...(view ? { slack: { view } } : {}),
    input: z.object({}),
    output: fleet.output as z.ZodObject,
    run: async () => SUMMARY,
    render: () => 'three machines in the lab',
  });
}

describe('a tool’s view', () => {
  it('draws its answer, whatever the tool is called; without one, its own text', async () => {
    rig = await slackRig();
    const tools = [...ALL_TOOLS, summaryTool('lab', 'fleet-summary'), summaryTool('labtext')];
    const slack = createSlack(rig.deps, { tools });
    if (!slack) throw new Error('Slack is not configured');
    const drawn = await slack.command({ user_id: 'UOPS', channel_id: 'CCHAN', text: 'lab' });
    expect(drawn).toEqual(B.fleetSummary(SUMMARY));
    const text = await slack.command({ user_id: 'UOPS', channel_id: 'CCHAN', text: 'labtext' });
    expect(text).toEqual(B.plain('three machines in the lab'));
  });

  it('is declared by every tool that has a richer one than its text, and never by name in the Slack code', () => {
    const views = Object.fromEntries(ALL_TOOLS.map((t) => [t.name, t.slack?.view]));
    expect(views).toMatchObject({
      machines_list: 'machine-list',
      machine_get: 'machine-card',
      fleet_summary: 'fleet-summary',
      operations_list: 'operation-list',
      operation_get: 'operation',
      machine_deploy: 'action',
      zones_list: 'text',
    });
  });
});

describe('one verb per tool', () => {
  it('is also understood as the two words it is said as, and help says so', async () => {
    rig = await slackRig();
    const slack = rig.slack;
    const asked = { user_id: 'UOPS', channel_id: 'CCHAN' };
    const spaced = await slack.command({ ...asked, text: 'power off web-04 stop_mode=hard' });
    const hyphenated = await slack.command({ ...asked, text: 'power-off web-04 stop_mode=hard' });
    expect(spaced.text).toBe('Power off 1 machine?');
    expect(texts(spaced as Msg)).toBe(texts(hyphenated as Msg));
    expect((await slack.command({ ...asked, text: 'mark broken gpu-01' })).text).toBe(
      'Mark broken 1 machine?',
    );
    // A first word that is a verb of its own stays that verb.
    expect((await slack.command({ ...asked, text: 'tags name=ss' })).text).not.toMatch(/Unknown command/);
    const help = texts((await slack.command({ ...asked, text: 'help' })) as Msg);
    expect(help).toContain('Two-word verbs also work with a space (`power off`)');
  });

  it('names the action in messages, hyphens read as spaces', () => {
    const phrases = Object.fromEntries(ALL_TOOLS.map((t) => [t.verb, t.phrase]));
    expect(phrases).toMatchObject({
      'power-off': 'power off',
      'mark-broken': 'mark broken',
      'restore-config': 'restore config',
      deploy: 'deploy',
    });
    for (const t of ALL_TOOLS) expect(t.verb, t.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });
});
