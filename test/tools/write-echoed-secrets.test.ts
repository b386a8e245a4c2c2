/**
 * MAAS sometimes quotes a request back in its error text — the caller's power_pass or user_data, or BMC settings of
 * other machines. None of it may reach the answer, the audit, `audit_list` (what `/maas audit` shows) or the log.
 * MAAS's own refusals of a machine action are rendered without a secret they echo (failureMessage).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/base/fetch.ts';
import { createLogger } from '../../src/base/log.ts';
import type { ActionResult } from '../../src/core/result.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { call } from '../helpers.ts';
import { MACHINES, requestOf, runCleanups, setup } from './write-helpers.ts';

afterEach(runCleanups);

const SENT_PASS = 'Sent-Bmc-Pass-7731';
const NEVER_SEEN = 'Never-Seen-Bmc-Pass-5519';
const USER_DATA_SECRET = 'root-pw-Qx81-cloudinit';
const USER_DATA = `#cloud-config\nchpasswd:\n  list: |\n    root:${USER_DATA_SECRET}\n`;
const USER_DATA_B64 = Buffer.from(USER_DATA, 'utf8').toString('base64');

/** A MAAS that answers each write with an error quoting what it was sent, and BMC settings of another machine. */
function echoingMaas(sim: Simulator): FetchLike {
  return async (input, init) => {
    const { method, url } = requestOf(input, init);
    if (method === 'GET') return sim.fetch(input, init);
    const form = new URLSearchParams(String(init?.body ?? ''));
    const sent = [...form.entries()].map(([k, v]) => `${k}=${v}`).join('&');
    const other = `{'power_address': '10.9.9.9', 'power_pass': '${NEVER_SEEN}'}`;
    const op = url.searchParams.get('op');
    if (method === 'PUT') {
      const body = JSON.stringify({
        power_parameters: [`Could not apply ${sent}; the chassis has ${other}`],
      });
      return new Response(body, { status: 400, headers: { 'content-type': 'application/json' } });
    }
    if (op === 'deploy') {
      const decoded = Buffer.from(form.get('user_data') ?? '', 'base64').toString('utf8');
      return new Response(`Failed to render preseed: ${sent}\n${decoded}`, { status: 400 });
    }
    if (op === 'power_on') {
      return new Response(`Power on failed: power_pass=${NEVER_SEEN} power_user=maas`, { status: 503 });
    }
    if (url.pathname === MACHINES) {
      return new Response(`Traceback: {"power_pass": "${NEVER_SEEN}"} ${form.get('power_parameters')}`, {
        status: 500,
      });
    }
    return new Response(`Unknown API endpoint: ${url.pathname} power_pass=${NEVER_SEEN}`, { status: 404 });
  };
}

describe('secrets MAAS quotes back in an error', () => {
  it('are scrubbed before any answer, audit record or log line is made', async () => {
    const lines: string[] = [];
    const env = await setup({
      fetch: echoingMaas,
      log: createLogger((l) => lines.push(l), { level: 'debug' }),
    });
    const answers: string[] = [];
    const run = async (tool: string, args: Record<string, unknown>) => {
      const res = await call<ActionResult>(env.client, tool, args);
      answers.push(res.text, JSON.stringify(res.raw));
      return res;
    };
    const bmc = { power_address: '10.0.0.5', power_user: 'maas', power_pass: SENT_PASS };
    const update = await run('machine_update', { machine: 'web-01', power_parameters: bmc });
    const deploy = await run('machine_deploy', { machines: 'web-05', user_data: USER_DATA });
    env.sim.control.setMachine('web-04', { power: 'off' });
    const powerOn = await run('machine_power_on', { machines: 'web-04' });
    const create = await run('machine_create', {
      mac_addresses: ['52:54:00:ee:10:01'],
      power_type: 'ipmi',
      power_parameters: bmc,
    });
    const lock = await run('machine_lock', { machines: 'web-04' });
    for (const res of [update, deploy, powerOn, create, lock]) expect(res.isError, res.text).toBe(true);
    // MAAS's words are still there, without the secrets.
    expect(update.text).toContain('Could not apply power_parameters_power_address=10.0.0.5');
    expect(update.text).toContain("'power_address': '10.9.9.9', 'power_pass': '[redacted]'");
    expect(deploy.data.failed[0]?.error).toContain('Failed to render preseed');
    expect(powerOn.data.failed[0]?.error).toContain('Power on failed: power_pass=[redacted]');

    const audit = await call(env.client, 'audit_list', { limit: 100 });
    answers.push(audit.text, JSON.stringify(audit.raw));
    const stored = JSON.stringify(await env.deps.store.listAudit({ limit: 100 }));
    expect(stored).toContain('Failed to render preseed');
    expect(lines.join('\n')).toContain('Unknown API endpoint');

    for (const secret of [SENT_PASS, NEVER_SEEN, USER_DATA_SECRET, USER_DATA_B64]) {
      for (const [where, texts] of [
        ['an answer', answers],
        ['the audit', [stored]],
        ['the log', lines],
      ] as const) {
        expect(
          texts.filter((t) => t.includes(secret)).map((t) => t.slice(0, 200)),
          `${secret.slice(0, 6)}… in ${where}`,
        ).toEqual([]);
      }
    }
  });
});

describe('MAAS refusing a machine action', () => {
  for (const status of [400, 403, 409]) {
    it(`renders its ${status} text without a secret it echoes`, async () => {
      let secret = '';
      const { sim, client } = await setup({
        fetch: (s) => async (input, init) => {
          const { method, url } = requestOf(input, init);
          if (method === 'POST' && url.searchParams.get('op') === 'lock') {
            return new Response(`refused for token ${secret}`, {
              status,
              headers: { 'Content-Type': 'text/plain' },
            });
          }
          return s.fetch(input, init);
        },
      });
      secret = sim.users.admin.apiKey.split(':')[2] as string;
      const res = await call<ActionResult>(client, 'machine_lock', { machines: 'web-04' });
      const error = res.data.failed[0]?.error ?? '';
      expect(error).toMatch(/^cannot lock web-04: refused for token \S+$/);
      expect(error).not.toContain(secret);
      expect(res.text).not.toContain(secret);
    });
  }
});
