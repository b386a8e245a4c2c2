/**
 * (i) Guardrails: what judging a call by a policy adds to a 100-machine preview — machine_power_off on 100 Deployed
 * machines in token mode (resolve, read, judge each machine, issue a confirm token), against the in-process
 * simulator, without a policy and with the README's five rules behind fifteen more that match nothing. The two are
 * run alternately and their medians compared (target: under 1.05×).
 */
import { readFileSync } from 'node:fs';
import { systemClock } from '../src/base/clock.ts';
import { invokeTool } from '../src/core/invoke.ts';
import { YAML_FORMAT } from '../src/core/policy/yaml.ts';
import { NodeStatus } from '../src/maas/status.ts';
import { createSimulator } from '../src/sim/index.ts';
import { findTool } from '../src/tools/index.ts';
import { readPolicy } from '../src/wiring.ts';
import { makeDeps, testConfig } from '../test/helpers.ts';
import { percentile } from './stats.ts';

export interface PolicyBench {
  machines: number;
  rules: number;
  rounds: number;
  without_p50_ms: number;
  with_p50_ms: number;
  ratio: number;
}

function readmePolicy(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const m = /<!-- policy-example -->\n```yaml\n([\s\S]*?)```/.exec(readme);
  if (!m?.[1]) throw new Error('README has no policy example');
  const misses = Array.from(
    { length: 15 },
    (_, i) =>
      `  - id: nothing-${i}\n    match: { hostnames: ["nomatch-${i}-*"], tags: [t${i}] }\n    effect: deny\n    reason: r\n`,
  ).join('');
  return m[1].replace('rules:\n', `rules:\n${misses}`);
}

export async function policyBench(rounds = 60): Promise<PolicyBench> {
  const sim = createSimulator({ clock: systemClock, timeScale: 1000, machines: 120 });
  try {
    const names = sim.control
      .machines()
      .slice(0, 100)
      .map((m) => m.hostname);
    for (const h of names)
      sim.control.setMachine(h, { status: NodeStatus.DEPLOYED, owner: 'admin', power: 'on', locked: false });
    const config = testConfig({
      MAAS_MCP_CONFIRM: 'token',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_NOTIFY_CHANNEL: 'C1',
    });
    const deps = makeDeps(
      { baseUrl: sim.baseUrl, fetch: sim.fetch, apiKey: sim.users.admin.apiKey },
      { config },
    );
    const policy = readPolicy(readmePolicy(), 'README.md', config, YAML_FORMAT);
    const tool = findTool('machine_power_off');
    if (!tool) throw new Error('no machine_power_off');
    const ctx = { deps, principal: { id: 'bench', role: 'admin' as const, via: 'mcp' as const } };
    const once = async (withPolicy: boolean) => {
      if (withPolicy) deps.policy = { current: () => policy };
      else delete deps.policy;
      const t0 = performance.now();
      const out = await invokeTool(tool, { machines: names }, ctx);
      const took = performance.now() - t0;
      const status = out.ok ? (out.out as { status?: string }).status : out.message;
      if (status !== 'confirmation_required') throw new Error(`expected a preview, got ${status}`);
      return took;
    };
    for (let i = 0; i < 5; i++) {
      await once(false);
      await once(true);
    }
    const without: number[] = [];
    const withP: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternate which goes first, so drift in the machine's speed falls on both alike.
      if (i % 2 === 0) {
        without.push(await once(false));
        withP.push(await once(true));
      } else {
        withP.push(await once(true));
        without.push(await once(false));
      }
    }
    without.sort((a, b) => a - b);
    withP.sort((a, b) => a - b);
    const a = percentile(without, 50);
    const b = percentile(withP, 50);
    return {
      machines: names.length,
      rules: policy.rules.length,
      rounds,
      without_p50_ms: a,
      with_p50_ms: b,
      ratio: b / a,
    };
  } finally {
    sim.close();
  }
}
