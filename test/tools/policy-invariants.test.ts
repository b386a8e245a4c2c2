/**
 * The guardrails over the whole registry, generated from it (with ./examples.ts): every tool, whatever helper
 * defined it, is judged by the policy in the one path — a rule that denies it is obeyed (no MAAS write), the
 * refusal names the rule and is audited with it; and a confirm rule holds every write tool's call even with
 * MAAS_MCP_CONFIRM=off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/base/clock.ts';
import type { ToolContext } from '../../src/core/deps.ts';
import { runTool } from '../../src/core/invoke.ts';
import { parsePolicy } from '../../src/core/policy/rules.ts';
import { YAML_FORMAT } from '../../src/core/policy/yaml.ts';
import type { AnyTool } from '../../src/core/tool.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { policyNames } from '../../src/wiring.ts';
import { ADMIN, drive, simDeps } from '../helpers.ts';
import { prepare } from './examples.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const named = (tools: readonly AnyTool[]) => tools.map((t) => [t.name, t] as const);

function rig(env: Record<string, string>) {
  // Every toolset on, the opt-in clusters too: the policy judges every tool.
  const { sim, deps, clock } = simDeps({ env: { MAAS_MCP_TOOLSETS: 'all', ...env } });
  cleanups.push(() => sim.close());
  const ctx: ToolContext = { deps, principal: ADMIN };
  const writes = () =>
    sim.requests.entries.filter((e) => e.method === 'POST' || e.method === 'PUT' || e.method === 'DELETE')
      .length;
  const use = (yaml: string) => {
    const policy = parsePolicy(yaml, 'policy.yaml', policyNames(), YAML_FORMAT);
    deps.policy = { current: () => policy };
  };
  return { deps, clock: clock as ManualClock, ctx, writes, use };
}

describe('every tool under the policy', () => {
  it.each(named(ALL_TOOLS))(
    '%s is refused by a rule that denies it, writes nothing, and is audited with the rule',
    async (name, tool) => {
      const { ctx, clock, writes, use, deps } = rig({ MAAS_MCP_CONFIRM: 'off' });
      const args = await prepare(name, ctx, clock);
      use(
        `rules:\n  - id: closed-${name}\n    match: { tools: [${name}] }\n    effect: deny\n    reason: closed for maintenance\n`,
      );
      const before = writes();
      await expect(drive(clock, runTool(tool, args, ctx))).rejects.toThrow(
        /closed for maintenance \(policy rule closed-/,
      );
      expect(writes(), `${name} wrote to MAAS although a rule denied it`).toBe(before);
      const [rec] = await deps.store.listAudit({ tool: name });
      expect(rec).toMatchObject({ result: 'refused' });
      expect(rec?.detail).toContain(`policy rule closed-${name}`);
    },
  );

  it.each(named(ALL_TOOLS.filter((t) => !t.annotations.readOnlyHint)))(
    '%s is held by a confirm rule although MAAS_MCP_CONFIRM=off (refused where no token can come back)',
    async (name, tool) => {
      const { ctx, clock, writes, use } = rig({ MAAS_MCP_CONFIRM: 'off' });
      const args = await prepare(name, ctx, clock);
      use(`rules:\n  - id: careful\n    match: { tools: [${name}] }\n    effect: confirm\n`);
      const before = writes();
      const out = await drive(clock, runTool(tool, args, ctx)).then(
        (o) => ({ held: (o as { status?: string }).status }),
        (err: Error) => ({ refused: err.message }),
      );
      if (tool.gated && tool.holds) expect(out, name).toEqual({ held: 'confirmation_required' });
      else
        expect('refused' in out && out.refused, name).toContain(
          'policy rule careful asks a person to confirm',
        );
      expect(writes(), `${name} wrote to MAAS before it was confirmed`).toBe(before);
    },
  );
});
