/** Valid store records with readable overrides, so each test states only what it is about. */
import type { Confirmation, NewAuditRecord, Operation, OperationTarget } from '../../src/store/types.ts';

export const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);

export function makeTarget(over: Partial<OperationTarget> = {}): OperationTarget {
  return {
    system_id: 'abc123',
    hostname: 'web-01',
    start_status: 'Ready',
    status: 'Deploying',
    status_code: 9,
    status_message: 'Deploying',
    power_state: 'on',
    result: 'pending',
    history: [{ at: T0, status: 'Deploying', message: 'Deploying' }],
    finished_at: null,
    ...over,
  };
}

let n = 0;

export function makeOperation(over: Partial<Operation> = {}): Operation {
  n++;
  return {
    id: `op-${n}`,
    kind: 'deploy',
    tool: 'machine_deploy',
    state: 'running',
    targets: [makeTarget()],
    requester: { principal: 'alice', via: 'mcp', role: 'operator' },
    notify: [{ kind: 'slack', channel: 'C123', thread_ts: '1700000000.000100', user: 'U1' }],
    created_at: T0,
    updated_at: T0,
    deadline_at: T0 + 30 * 60_000,
    finished_at: null,
    next_poll_at: T0 + 10_000,
    notice_sent_at: null,
    summary: 'deploy 1 machine (jammy)',
    pending_call: null,
    version: 0,
    ...over,
  };
}

export function makeConfirmation(over: Partial<Confirmation> = {}): Confirmation {
  n++;
  return {
    token_hash: `${n}`.padStart(64, '0'),
    tool: 'machine_release',
    args_hash: 'f'.repeat(64),
    principal: 'alice',
    targets: [{ system_id: 'abc123', status: 6 }],
    created_at: T0,
    expires_at: T0 + 5 * 60_000,
    used_at: null,
    ...over,
  };
}

export function makeAudit(over: Partial<NewAuditRecord> = {}): NewAuditRecord {
  return {
    at: T0,
    principal: 'alice',
    via: 'mcp',
    tool: 'machine_deploy',
    targets: [{ system_id: 'abc123', hostname: 'web-01', before: 'Ready', after: 'Deploying' }],
    result: 'ok',
    detail: 'deploy web-01 (jammy)',
    args: { machines: ['web-01'], distro_series: 'jammy' },
    operation_id: null,
    ...over,
  };
}
