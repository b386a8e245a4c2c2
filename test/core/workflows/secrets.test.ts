/**
 * The secrets a workflow file carries — BMC passwords, user_data, a MAAS API key — never come back: not in any answer
 * (text or structured, preview, run, views, lists, the audit tool), not in the store (operations, audit, values),
 * not in a log line. They reach MAAS, where they belong.
 */
import { expect, it } from 'vitest';
import { ManualClock } from '../../../src/base/clock.ts';
import { createLogger } from '../../../src/base/log.ts';
import { createSimulator } from '../../../src/sim/index.ts';
import { ADMIN, call, connectClient, drive, makeDeps, node, startPoller, testConfig } from '../../helpers.ts';
import { MAC, storeText } from './rig.ts';

const BMC_PASS = 'Wf-Bmc-Secret-4471';
const USER_DATA_LINE = 'runcmd-secret-token-98213';

it('keeps every secret of the workflow out of answers, the store, the audit and the logs', async () => {
  const clock = new ManualClock();
  const sim = createSimulator({ clock });
  const lines: string[] = [];
  const deps = makeDeps(
    { baseUrl: sim.baseUrl, fetch: sim.fetch, apiKey: sim.users.admin.apiKey },
    {
      clock,
      config: testConfig({ MAAS_MCP_CONFIRM: 'token' }),
      log: createLogger((l) => lines.push(l), { level: 'debug' }),
    },
  );
  const poller = startPoller(deps);
  const { client, close } = await connectClient(deps, { principal: ADMIN });
  await client.listTools();
  const workflow = {
    actions: ['create_machine', 'set_power', 'commission', 'deploy'],
    machines: [
      {
        hostname: 'sec-01',
        pxe_mac: MAC(71),
        power_type: 'ipmi',
        power_parameters: { power_address: '10.7.0.1', power_user: 'opsadmin', power_pass: BMC_PASS },
        user_data: `#cloud-config\nruncmd:\n  - echo ${USER_DATA_LINE}\n`,
      },
    ],
  };
  const answers: string[] = [];
  const keep = <R extends { text: string; raw: unknown }>(r: R): R => {
    answers.push(r.text, JSON.stringify(r.raw));
    return r;
  };
  const held = keep(await drive(clock, call(client, 'workflow_run', { workflow, dry_run: true })));
  const first = keep(await drive(clock, call(client, 'workflow_run', { workflow })));
  const token = (first.data as { confirm_token: string }).confirm_token;
  const run = keep(await drive(clock, call(client, 'workflow_run', { workflow, confirm_token: token })));
  const id = (run.data as { run: { id: string } }).run.id;
  for (let i = 0; i < 400 && (await deps.store.getOperation(id))?.state === 'running'; i++)
    await clock.advance(5_000);
  keep(await call(client, 'workflow_get', { id }));
  keep(await call(client, 'workflows_list', {}));
  keep(await call(client, 'operation_get', { id }));
  keep(await call(client, 'operations_list', {}));
  keep(await call(client, 'audit_list', {}));
  expect((await deps.store.getOperation(id))?.state).toBe('succeeded');
  expect(held.isError).toBe(false);

  // MAAS got them.
  expect(node(sim, 'sec-01').powerParameters).toMatchObject({ power_pass: BMC_PASS, power_user: 'opsadmin' });
  expect(sim.control.userData('sec-01')?.served).toContain(USER_DATA_LINE);
  // Nothing else did.
  const everywhere = {
    answers: answers.join('\n'),
    store: await storeText(deps.store),
    logs: lines.join('\n'),
  };
  for (const [where, text] of Object.entries(everywhere)) {
    for (const secret of [BMC_PASS, USER_DATA_LINE, 'opsadmin', ...sim.users.admin.apiKey.split(':')]) {
      expect(text.includes(secret), `${secret} in the ${where}`).toBe(false);
    }
  }
  // What may be shown is shown: the BMC address, the hosts, the steps.
  expect(everywhere.answers).toContain('10.7.0.1');
  await close();
  poller.stop();
  sim.close();
});
