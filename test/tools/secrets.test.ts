/**
 * Secrets in what the read tools answer. Besides the BMC passwords and API keys the simulated MAAS holds, secrets
 * are planted where the tools do show MAAS's data, each under one of the two redaction nets (src/base/redact.ts):
 * workload annotations under secret-looking keys (redacted by key), and MAAS free text — an error description and
 * an event, hence also status_message — quoting maas-mcp's own API key (scrubbed as a known secret string).
 */
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/base/redact.ts';
import type { Deps } from '../../src/core/deps.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { call, connectClient, node, simDeps, simSecrets } from '../helpers.ts';

/** Workload annotations of db-01 (Deployed, owned by admin): the secret-looking keys' values are never shown. */
const ANNOTATION_SECRETS: Record<string, string> = {
  db_password: 'Annotated-Db-Pa55-5566',
  api_token: 'Annotated-Api-Tok-7788',
  'vault-secret': 'Annotated-Vault-9900',
};

/** MAAS free text on db-03 (Failed deployment) that quotes `secret` — maas-mcp's own token secret. */
function freeText(secret: string): { error: string; event: string } {
  return {
    error: `Curtin failed: metadata fetch refused for oauth_token_secret=${secret}`,
    event: `Node failed to fetch its metadata with oauth_token_secret=${secret}`,
  };
}

/**
 * Plants the secrets above in the simulated MAAS: the annotations through the MAAS API as db-01's owner sets them,
 * the free text as MAAS records a failure (the error description, and the event the machine reported).
 */
async function plant(
  sim: Simulator,
  deps: Deps,
): Promise<{ error: string; event: string; ownSecret: string }> {
  await deps.maas.setWorkloadAnnotations(sim.control.systemId('db-01'), {
    service: 'postgres',
    ...ANNOTATION_SECRETS,
  });
  expect(node(sim, 'db-01').ownerData).toEqual({ service: 'postgres', ...ANNOTATION_SECRETS });
  const ownSecret = sim.users.admin.apiKey.split(':')[2] as string;
  const text = freeText(ownSecret);
  sim.control.setMachine('db-03', { errorDescription: text.error });
  sim.control.logEvent('db-03', 'Failed deployment', { level: 'ERROR', description: text.event });
  return { ...text, ownSecret };
}

/** Every read tool's answer (text and raw result), for every machine, with every detail section. */
async function readEverything(sim: Simulator, client: Awaited<ReturnType<typeof connectClient>>['client']) {
  const answers: { tool: string; text: string; raw: string }[] = [];
  const keep = async (tool: string, args: Record<string, unknown>) => {
    const res = await call(client, tool, args);
    answers.push({ tool, text: res.text, raw: JSON.stringify(res.raw) });
  };
  const perMachine = new Set(['machine_get', 'machine_events', 'machine_power_query']);
  for (const t of ALL_TOOLS.filter((t) => t.annotations.readOnlyHint && !perMachine.has(t.name))) {
    await keep(t.name, {});
  }
  for (const n of sim.control.machines()) {
    await keep('machine_get', { machine: n.hostname, detail: ['hardware', 'network', 'storage', 'events'] });
    await keep('machine_events', { machine: n.systemId, level: 'DEBUG' });
  }
  await keep('machine_power_query', { machines: sim.control.machines().map((n) => n.hostname) });
  return answers;
}

describe('secrets', () => {
  it('never appear in any read tool answer, for any machine, with every detail section', async () => {
    const { sim, deps } = simDeps({ env: { MAAS_MCP_TOOLSETS: 'all' } });
    const planted = await plant(sim, deps);
    const secrets: [string, string][] = [
      ...simSecrets(sim),
      ...Object.entries(ANNOTATION_SECRETS).map(([k, v]): [string, string] => [`annotation ${k}`, v]),
    ];
    expect(secrets.length).toBeGreaterThan(10);
    const { client, close } = await connectClient(deps);
    let answers: Awaited<ReturnType<typeof readEverything>>;
    try {
      answers = await readEverything(sim, client);
    } finally {
      await close();
      sim.close();
    }

    // The planted secrets are where the tools look: redaction, not absence, keeps them out.
    const db01 = answers.find((a) => a.tool === 'machine_get' && a.raw.includes('"hostname":"db-01"'));
    expect(db01?.raw).toContain('"service":"postgres"');
    for (const k of Object.keys(ANNOTATION_SECRETS)) expect(db01?.raw).toContain(`"${k}":"${REDACTED}"`);
    const db03 = answers.find((a) => a.tool === 'machine_get' && a.raw.includes('"hostname":"db-03"'));
    expect(db03?.text).toContain(freeText(REDACTED).error);
    expect(db03?.text).toContain(freeText(REDACTED).event);
    const db03Events = answers.find((a) => a.tool === 'machine_events' && a.text.includes('db-03'));
    expect(db03Events?.text).toContain(freeText(REDACTED).event);

    const all = answers.map((a) => a.text).join('\n');
    expect(all.length).toBeGreaterThan(10_000);
    for (const [what, s] of secrets) expect(all.includes(s), `${what} leaked in a text answer`).toBe(false);
    // The raw results (structuredContent included), but for the planted free text: see the test below.
    const raw = answers
      .map((a) => a.raw.split(planted.error).join('').split(planted.event).join(''))
      .join('\n');
    for (const [what, s] of secrets) expect(raw.includes(s), `${what} leaked in a result`).toBe(false);
    expect(raw).not.toMatch(/power_pass|power_parameters/);
  });

  // Regression: structuredContent went out as the tool returned it, so MAAS free text quoting maas-mcp's own
  // API key reached the client in the structured answer though the text was scrubbed.
  it('scrubs maas-mcp’s own API key from MAAS free text in structuredContent too', async () => {
    const { sim, deps } = simDeps();
    const planted = await plant(sim, deps);
    const { client, close } = await connectClient(deps);
    try {
      const got = await call(client, 'machine_get', { machine: 'db-03' });
      const events = await call(client, 'machine_events', { machine: 'db-03' });
      expect(got.text).not.toContain(planted.ownSecret);
      expect(events.text).not.toContain(planted.ownSecret);
      expect(JSON.stringify(got.data)).not.toContain(planted.ownSecret);
      expect(JSON.stringify(events.data)).not.toContain(planted.ownSecret);
    } finally {
      await close();
      sim.close();
    }
  });
});
