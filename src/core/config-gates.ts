/**
 * Which machines MAAS lets a caller configure, and what to do about the others: storage only on Ready machines
 * (`MachineHandler.set_storage_layout`, the block-device, partition and group handlers' "not Ready" 409s);
 * interfaces on Ready and Allocated ones (MAAS also takes New, Failed testing and Broken, which are not yet or no
 * longer meant to deploy); clone destinations Ready (`CloneForm`'s queryset).
 */
import { NodeStatus as S, statusLabel } from '../maas/status.ts';

export type ConfigWhat = 'storage layout' | 'network' | 'clone destination';

const ALLOWED: Record<ConfigWhat, ReadonlySet<number>> = {
  'storage layout': new Set([S.READY]),
  network: new Set([S.READY, S.ALLOCATED]),
  'clone destination': new Set([S.READY]),
};

const RULE: Record<ConfigWhat, string> = {
  'storage layout': 'MAAS changes storage only on Ready machines',
  network: 'MAAS changes interfaces only on Ready or Allocated machines here',
  'clone destination': 'MAAS clones only onto Ready machines',
};

/** What would make a machine in `status` Ready. */
function toReady(status: number): string {
  switch (status) {
    case S.NEW:
    case S.FAILED_COMMISSIONING:
      return 'commission it first (machine_commission)';
    case S.ALLOCATED:
    case S.DEPLOYED:
    case S.FAILED_DEPLOYMENT:
    case S.FAILED_RELEASING:
    case S.FAILED_DISK_ERASING:
      return 'release it first (machine_release)';
    case S.BROKEN:
      return 'mark it fixed first (machine_mark_fixed)';
    case S.FAILED_TESTING:
      return 'commission it again, or have a MAAS admin override the failed testing';
    case S.RESCUE_MODE:
    case S.FAILED_ENTERING_RESCUE_MODE:
    case S.FAILED_EXITING_RESCUE_MODE:
      return 'exit rescue mode first (machine_rescue action=exit)';
    default:
      return 'wait until it is Ready (machine_get shows its progress)';
  }
}

/** Why `what` cannot be done on this machine now, with the next step; undefined when it can. */
export function configRefusal(
  m: { hostname: string; status: number; locked?: boolean },
  what: ConfigWhat,
): string | undefined {
  if (m.locked) return `${m.hostname} is locked: unlock it first (machine_unlock)`;
  if (ALLOWED[what].has(m.status)) return undefined;
  return `${m.hostname} is ${statusLabel(m.status)}: ${RULE[what]} — ${toReady(m.status)}`;
}
