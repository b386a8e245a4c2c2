import { describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { call, connectClient, simDeps } from '../helpers.ts';

/** Every secret the simulated fleet holds: BMC passwords and users, and the API keys' token secrets. */
function secretsOf(sim: ReturnType<typeof simDeps>['sim']): string[] {
  const out = new Set<string>();
  for (const n of sim.state.machines()) {
    for (const [k, v] of Object.entries(n.powerParameters)) {
      if (/pass|secret|key|token/i.test(k) && v.length >= 6) out.add(v);
    }
  }
  for (const u of Object.values(sim.users)) out.add(u.apiKey.split(':')[2] as string);
  return [...out];
}

describe('secrets', () => {
  it('never appear in any read tool answer, for any machine, with every detail section', async () => {
    const { sim, deps } = simDeps();
    const secrets = secretsOf(sim);
    expect(secrets.length).toBeGreaterThan(10);
    const { client, close } = await connectClient(deps);
    const answers: string[] = [];
    try {
      for (const t of ALL_TOOLS.filter(
        (t) =>
          t.annotations.readOnlyHint &&
          t.name !== 'machine_get' &&
          t.name !== 'machine_events' &&
          t.name !== 'machine_power_query',
      )) {
        answers.push(JSON.stringify((await call(client, t.name, {})).raw));
      }
      for (const n of sim.state.machines()) {
        answers.push(
          JSON.stringify(
            (
              await call(client, 'machine_get', {
                machine: n.hostname,
                detail: ['hardware', 'network', 'storage', 'events'],
              })
            ).raw,
          ),
        );
        answers.push(
          JSON.stringify((await call(client, 'machine_events', { machine: n.systemId, level: 'DEBUG' })).raw),
        );
      }
      answers.push(
        JSON.stringify(
          (
            await call(client, 'machine_power_query', {
              machines: [...sim.state.machines()].map((n) => n.hostname),
            })
          ).raw,
        ),
      );
    } finally {
      await close();
      sim.close();
    }
    const all = answers.join('\n');
    expect(all.length).toBeGreaterThan(10_000);
    for (const s of secrets) expect(all.includes(s), `a secret leaked: ${s.slice(0, 3)}…`).toBe(false);
    expect(all).not.toMatch(/power_pass|power_parameters/);
  });
});
