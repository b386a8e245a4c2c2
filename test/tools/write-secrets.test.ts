/**
 * A broad scenario over every write tool — successes, previews, refusals, MAAS errors, bad input, a lost
 * answer — whose every answer (text and structuredContent), audit record and log line is scanned for
 * secrets: BMC passwords, user_data, API key secrets, confirm tokens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/base/log.ts';
import type { ActionResult } from '../../src/core/result.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { call } from '../helpers.ts';
import { drive, node, requestOf, runCleanups, setup, simSecrets, type WriteEnv } from './write-helpers.ts';

afterEach(runCleanups);

const NEW_BMC_PASS = 'Fresh-Bmc-Pass-31337';
const UPDATED_BMC_PASS = 'Rotated-Bmc-Pass-4242';
const USER_DATA_SECRET = 'cloud-init-root-pw-Zq81';
const USER_DATA = `#cloud-config\nchpasswd:\n  list: |\n    root:${USER_DATA_SECRET}\n`;
const ANNOTATION_TOKEN = 'annotation-token-998877';

/** Every secret the simulated MAAS holds (BMC passwords, every user's API key and its secret), unlabelled. */
const simSecretValues = (sim: Simulator) => simSecrets(sim).map(([, v]) => v);

/** Runs a call and keeps everything it answered, text and structured content. */
function recorder(env: WriteEnv, answers: string[]) {
  return async (tool: string, args: Record<string, unknown>) => {
    const res = await drive(env.clock, call<ActionResult>(env.client, tool, args));
    answers.push(res.text, JSON.stringify(res.raw));
    return res;
  };
}

describe('secrets in write-tool answers, audit records and logs', () => {
  it('never appear, whatever the tool, outcome or path', async () => {
    const lines: string[] = [];
    const answers: string[] = [];
    const env = await setup({
      env: { MAAS_MCP_CONFIRM: 'token' },
      log: createLogger((l) => lines.push(l), { level: 'debug' }),
    });
    const { sim, deps } = env;
    const secrets = [
      ...simSecretValues(sim),
      NEW_BMC_PASS,
      UPDATED_BMC_PASS,
      USER_DATA_SECRET,
      Buffer.from(USER_DATA, 'utf8').toString('base64'),
    ];
    expect(secrets.length).toBeGreaterThan(20);
    // The logger the Node entry builds also scrubs known secret strings; this one does not, so nothing hides.
    const run = recorder(env, answers);
    const tokens: string[] = [];
    /** A destructive call: the preview, then the confirmed call. */
    const confirm = async (tool: string, args: Record<string, unknown>) => {
      const preview = await run(tool, args);
      if (preview.data.confirm_token) tokens.push(preview.data.confirm_token);
      if (preview.data.status !== 'confirmation_required') return preview;
      return run(tool, { ...args, confirm_token: preview.data.confirm_token });
    };
    const bmc = { power_address: '10.77.0.9', power_user: 'maas', power_pass: NEW_BMC_PASS };

    // machines toolset
    await run('machine_create', {
      mac_addresses: ['52:54:00:ee:00:01'],
      hostname: 'sec-01',
      power_type: 'ipmi',
      power_parameters: bmc,
    });
    await run('machine_create', {
      mac_addresses: ['52:54:00:ee:00:02'],
      power_type: 'ipmi',
      power_parameters: bmc,
      deployed: true,
    });
    const usedMac = node(sim, 'web-01').interfaces[0]?.mac ?? '';
    await run('machine_create', { mac_addresses: [usedMac], power_type: 'ipmi', power_parameters: bmc });
    await run('machine_create', { mac_addresses: ['bad'], power_type: 'ipmi', power_parameters: bmc });
    await run('machine_create', {
      mac_addresses: ['52:54:00:ee:00:03'],
      power_type: 'ipmi',
      power_parameters: { power_pass: { nested: NEW_BMC_PASS } },
    });
    await run('machine_update', { machine: 'web-02', power_parameters: { power_pass: UPDATED_BMC_PASS } });
    await run('machine_update', {
      machine: 'web-02',
      zone: 'zone-z',
      power_parameters: { power_pass: UPDATED_BMC_PASS },
    });
    await run('machine_update', { machine: 'web-03', power_parameters: { power_pass: UPDATED_BMC_PASS } });
    await confirm('machine_delete', { machines: ['new-02', 'web-03'] });

    // lifecycle toolset
    await run('machine_commission', { machines: ['new-01', 'web-04'], enable_ssh: true });
    await run('machine_test', { machines: ['web-06', 'new-01'] });
    await run('machine_allocate', { count: 2, tags: '-gpu' });
    await run('machine_allocate', { count: 50 });
    await run('machine_allocate', { dry_run: true, count: 3 });
    await confirm('machine_deploy', { machines: ['web-01', 'web-04', 'nope-1'], user_data: USER_DATA });
    await confirm('machine_deploy', { machines: 'db-02', user_data: USER_DATA, distro_series: 'bionic' });
    await run('machine_deploy', { machines: 'db-02', user_data: `${USER_DATA}${'#'.repeat(1024 * 1024)}` });
    await run('machine_owner_data', {
      machine: 'web-01',
      set: { service: 'web', api_token: ANNOTATION_TOKEN },
    });
    await run('machine_owner_data', { machine: 'k8s-01', set: { api_token: ANNOTATION_TOKEN } });
    await run('machine_tag', { machines: ['web-01', 'db-02'], add: 'rack-z', create_missing: true });
    await run('machine_lock', { machines: ['web-04', 'web-01'] });
    await run('machine_unlock', { machines: 'web-04' });
    await confirm('machine_abort', { machines: ['lab-01', 'web-01'] });
    await run('machine_rescue', { machines: 'db-01' });
    await run('machine_rescue', { machines: 'k8s-04', action: 'exit' });
    await confirm('machine_mark_broken', { machines: ['stor-01', 'k8s-01'], comment: 'disk' });
    await run('machine_mark_fixed', { machines: 'stor-01' });
    await confirm('machine_restore_config', { machines: ['stor-01', 'edge-01', 'web-04'] });
    await sim.settle();
    await confirm('machine_release', { machines: ['web-01', 'db-01', 'k8s-04'], secure_erase: true });

    // power toolset
    sim.control.setMachine('web-04', { power: 'off' });
    await run('machine_power_on', { machines: ['web-04', 'web-05', 'web-06'] });
    await confirm('machine_power_off', { machines: ['db-03', 'edge-02'], stop_mode: 'hard' });
    await confirm('machine_power_cycle', { machines: ['web-04', 'gpu-01'] });

    // A token presented twice, and one for the wrong arguments.
    const reused = tokens[0] ?? '';
    await run('machine_delete', { machines: ['new-02', 'web-03'], confirm_token: reused });
    await run('machine_release', { machines: 'web-06', confirm_token: reused });

    // What an admin reads back.
    const audit = await call(env.client, 'audit_list', { limit: 500 });
    answers.push(audit.text, JSON.stringify(audit.raw));
    answers.push(JSON.stringify(await deps.store.listAudit({ limit: 1000 })));

    // A write whose answer was lost, with user_data in it.
    const lossy = await setup({
      log: createLogger((l) => lines.push(l), { level: 'debug' }),
      fetch: (s) => async (input, init) => {
        const res = await s.fetch(input, init);
        if (requestOf(input, init).url.searchParams.get('op') === 'deploy')
          throw new TypeError('fetch failed');
        return res;
      },
    });
    const lost = await call(lossy.client, 'machine_deploy', { machines: 'web-05', user_data: USER_DATA });
    answers.push(lost.text, JSON.stringify(lost.raw));
    secrets.push(...simSecretValues(lossy.sim));

    const all = [...answers, ...lines].join('\n');
    expect(answers.length).toBeGreaterThan(80);
    expect(lines.length).toBeGreaterThan(5);
    expect(all.length).toBeGreaterThan(20_000);
    for (const s of secrets) {
      const where = [...answers, ...lines].filter((a) => a.includes(s)).map((a) => a.slice(0, 300));
      expect(where, `a secret leaked: ${s.slice(0, 4)}…`).toEqual([]);
    }
    // Annotations are the caller's own notes and are shown back to them (machine_owner_data, machine_get), but a
    // secret-looking key's value stays out of the audit log and the logs.
    const inAudit = JSON.stringify(await deps.store.listAudit({ limit: 1000 }));
    expect(inAudit).not.toContain(ANNOTATION_TOKEN);
    expect(lines.join('\n')).not.toContain(ANNOTATION_TOKEN);
    for (const t of tokens) {
      expect(inAudit.includes(t), 'a confirm token reached the audit log').toBe(false);
      expect(lines.join('\n').includes(t), 'a confirm token reached the log').toBe(false);
    }
    expect(tokens.length).toBeGreaterThan(5);
  });
});
