/**
 * What each kind of operation is waiting for (MAAS `maasserver/node_status.py`, `maasserver/models/node.py`): which
 * statuses mean "still going", which mean success and which failure, and how long to wait at most.
 */
import type { MachineSummary } from '../../maas/schemas.ts';
import {
  ABORTABLE_STATUSES,
  isFailed,
  isNodeStatus,
  NodeStatus as S,
  SUCCESS_STATUS,
  statusIn,
} from '../../maas/status.ts';
import type { OperationKind, TargetResult } from '../../store/types.ts';

export type Judgement = Exclude<TargetResult, 'timed_out' | 'cancelled'>;

const isFailureStatus = (s: number) => isNodeStatus(s) && isFailed(s);

/** Judges one machine of an operation of `kind` from its current state. */
export function judge(kind: OperationKind, m: MachineSummary): Judgement {
  const s = m.status;
  switch (kind) {
    case 'commission':
      if (s === S.COMMISSIONING || s === S.TESTING) return 'pending';
      return s === SUCCESS_STATUS.get(S.COMMISSIONING) ? 'succeeded' : 'failed';
    case 'test':
      if (s === S.TESTING) return 'pending';
      return isFailureStatus(s) ? 'failed' : 'succeeded';
    case 'deploy':
      if (s === S.DEPLOYING) return 'pending';
      return s === SUCCESS_STATUS.get(S.DEPLOYING) ? 'succeeded' : 'failed';
    case 'release':
    case 'erase':
      if (s === S.RELEASING || s === S.DISK_ERASING) return 'pending';
      // Ready, or New when the machine was never commissioned (`_finalize_release`).
      return s === SUCCESS_STATUS.get(S.RELEASING) || s === S.NEW ? 'succeeded' : 'failed';
    case 'rescue_enter':
      if (s === S.ENTERING_RESCUE_MODE) return 'pending';
      return s === SUCCESS_STATUS.get(S.ENTERING_RESCUE_MODE) ? 'succeeded' : 'failed';
    case 'rescue_exit':
      if (s === S.EXITING_RESCUE_MODE) return 'pending';
      return isFailureStatus(s) ? 'failed' : 'succeeded';
    case 'power_on':
    case 'power_cycle':
      if (m.power_state === 'on') return 'succeeded';
      return m.power_state === 'error' ? 'failed' : 'pending';
    case 'power_off':
      if (m.power_state === 'off') return 'succeeded';
      return m.power_state === 'error' ? 'failed' : 'pending';
    case 'action':
      return 'succeeded';
    case 'cluster':
      // Judged as what it does to its machines (its `judge_as`: deploy, release or erase); deploy by default.
      return judge('deploy', m);
    case 'abort':
      // Still in an abortable status: MAAS has not finished aborting yet.
      return statusIn(ABORTABLE_STATUSES, s) ? 'pending' : 'succeeded';
    case 'workflow':
      // Its hosts are judged by the workflow engine, step by step, never from one machine status.
      return 'pending';
  }
}

/** The kind whose rules judge an operation's machines: its `judge_as`, or its own kind. */
export function judgedAs(op: { kind: OperationKind; judge_as?: OperationKind | undefined }): OperationKind {
  return op.judge_as ?? op.kind;
}

/** Whether the poller reads the machines of an operation of this kind (a workflow's engine advances its own). */
export function polled(kind: OperationKind): boolean {
  return kind !== 'workflow';
}

/** What a person calls it: "deploy", "power on". */
export function kindLabel(kind: OperationKind): string {
  return kind
    .replace('_', ' ')
    .replace('rescue enter', 'enter rescue mode')
    .replace('rescue exit', 'exit rescue mode');
}

/** The status a successful target ends in, for messages ("2 of 3 Deployed"). */
export function successWord(kind: OperationKind): string {
  switch (kind) {
    case 'commission':
      return 'Ready';
    case 'deploy':
      return 'Deployed';
    case 'release':
    case 'erase':
      return 'released';
    case 'rescue_enter':
      return 'in Rescue mode';
    case 'rescue_exit':
      return 'out of rescue mode';
    case 'power_on':
    case 'power_cycle':
      return 'on';
    case 'power_off':
      return 'off';
    case 'workflow':
      return 'completed';
    default:
      return 'done';
  }
}
