/**
 * Long operations on Workers: the Durable Object's alarm is the poller, and the object's SQLite store keeps
 * operations, confirmations and the audit log across a restart of the object.
 */
import { abortAllDurableObjects, runInDurableObject } from 'cloudflare:test';
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord, Operation } from '../../src/store/types.ts';
import { makeOperation, makeTarget } from '../store/factory.ts';
import { call, confirmed, connect, mainObject, runAlarmsUntil } from './helpers.ts';

interface OperationAnswer {
  operation: { id: string; state: string; targets: { hostname: string; status: string; result: string }[] };
}

const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});
async function client(): Promise<Client> {
  const c = await connect();
  clients.push(c);
  return c;
}

async function operationState(c: Client, id: string): Promise<string> {
  return (await call<OperationAnswer>(c, 'operation_get', { id })).data.operation.state;
}

describe('operations on Workers', () => {
  it('arms the alarm when an operation starts, and finishes it by alarm ticks alone', async () => {
    const c = await client();
    const { done } = await confirmed(c, 'machine_deploy', { machines: 'web-01', distro_series: 'noble' });
    expect(done.data.status).toBe('done');
    const id = done.data.operation_id ?? '';
    expect(id).toMatch(/^op_/);
    // The Worker kicked the object (kickPoller → stub.kick(), under ctx.waitUntil, so it may land just after the
    // answer): an alarm is set.
    let alarm: number | null = null;
    for (let i = 0; i < 50 && alarm === null; i++) {
      alarm = await runInDurableObject(mainObject(), (_o, state) => state.storage.getAlarm());
      if (alarm === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(alarm).not.toBeNull();

    const runs = await runAlarmsUntil(async () => (await operationState(c, id)) === 'succeeded');
    expect(runs).toBeGreaterThan(0);
    const { data } = await call<OperationAnswer>(c, 'operation_get', { id });
    expect(data.operation.targets).toMatchObject([
      { hostname: 'web-01', status: 'Deployed', result: 'succeeded' },
    ]);
    // Nothing left to track: the last tick did not re-arm the alarm.
    await runAlarmsUntil(async () =>
      runInDurableObject(mainObject(), async (_o, state) => (await state.storage.getAlarm()) === null),
    );
  });

  it('keeps operations, confirmations and the audit log when the Durable Object restarts', async () => {
    const c = await client();
    const { done, token } = await confirmed(c, 'machine_power_off', {
      machines: 'web-04',
      stop_mode: 'hard',
    });
    expect(done.data.status).toBe('done');
    const id = done.data.operation_id ?? '';
    await runAlarmsUntil(async () => (await operationState(c, id)) === 'succeeded');
    const read = () =>
      runInDurableObject(mainObject(), async (o) => ({
        op: await o.storeCall('getOperation', [id]),
        audit: await o.storeCall('listAudit', [{ machine: 'web-04' }]),
        instance: o,
      }));
    const before = await read();
    expect(before.audit.map((r) => r.tool)).toContain('machine_power_off');

    await abortAllDurableObjects();

    const after = await read();
    expect(after.instance).not.toBe(before.instance);
    expect(after.op).toEqual(before.op satisfies Operation | undefined);
    expect(after.audit).toEqual(before.audit satisfies AuditRecord[]);
    // The used token is still recorded as used: replaying it after the restart is refused.
    const replay = await call(c, 'machine_power_off', {
      machines: 'web-04',
      stop_mode: 'hard',
      confirm_token: token,
    });
    expect(replay.isError).toBe(true);
    expect(replay.text).toMatch(/already used/);
    // What did not survive is the demo's simulator, which lived in the old instance's memory: the new one
    // starts from the seed, where web-04 is powered on.
    const machine = await call<{ machine: { power_state: string } }>(c, 'machine_get', { machine: 'web-04' });
    expect(machine.data.machine.power_state).toBe('on');
  });

  it('resumes an operation that was running when the Durable Object restarted, by the new alarm', async () => {
    const c = await client();
    // web-03 is Deployed in the seeded fleet, so a deploy tracked on it finishes at the first tick that looks.
    const web03 = await call<{ machine: { system_id: string } }>(c, 'machine_get', { machine: 'web-03' });
    const now = Date.now();
    const op = makeOperation({
      id: 'op_restart_resume',
      targets: [makeTarget({ system_id: web03.data.machine.system_id, hostname: 'web-03' })],
      created_at: now,
      updated_at: now,
      next_poll_at: now,
      deadline_at: now + 30 * 60_000,
      notify: [],
    });
    await mainObject().storeCall('createOperation', [op]);
    // The poller's next tick, as it would have been scheduled: far enough out that the restart comes first.
    const at = now + 60_000;
    await runInDurableObject(mainObject(), (_o, state) => state.storage.setAlarm(at));

    await abortAllDurableObjects();

    expect(await runInDurableObject(mainObject(), (_o, state) => state.storage.getAlarm())).toBe(at);
    await runAlarmsUntil(async () => (await operationState(c, op.id)) === 'succeeded');
  });
});
