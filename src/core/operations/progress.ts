/**
 * How far one machine of an operation has got, 0–100, for progress bars (the status page, Slack's App Home). MAAS
 * reports no percentage; its `status_message` steps through event descriptions in a known order (MAAS
 * `src/maascommon/events.py` `EVENT_DETAILS_MAP`: Performing PXE boot, Loading ephemeral, Installing OS,
 * Configuring OS, Rebooting, Deployed), so the furthest step a machine has shown says where it is.
 */
import type { OperationKind, OperationTarget } from '../../store/types.ts';

const PXE = ['Performing PXE boot', 'Loading ephemeral'];

/** The steps MAAS announces, in order, for the kinds that have them. */
const STEPS: Partial<Record<OperationKind, readonly string[]>> = {
  deploy: ['Deploying', ...PXE, 'Installing OS', 'Configuring OS', 'Rebooting'],
  commission: ['Commissioning', ...PXE, 'Gathering hardware information', 'Running test scripts'],
  test: ['Testing', ...PXE, 'Running test scripts'],
  release: ['Releasing', ...PXE, 'Erasing'],
  erase: ['Releasing', ...PXE, 'Erasing'],
  rescue_enter: ['Entering rescue mode', ...PXE],
};

/** Where a target stands, 0–100: 100 once it has a result; for kinds without known steps, a step per change seen. */
export function targetProgress(kind: OperationKind, t: Pick<OperationTarget, 'result' | 'history'>): number {
  if (t.result !== 'pending') return 100;
  const steps = STEPS[kind];
  if (!steps) return Math.min(90, 10 * t.history.length);
  let furthest = -1;
  for (const h of t.history) {
    // MAAS's message says more than the status ("Installing OS" while "Deploying"): it is read first.
    const said = steps.findIndex((s) => h.message.includes(s));
    const i = said >= 0 ? said : steps.findIndex((s) => h.status.includes(s));
    if (i > furthest) furthest = i;
  }
  // Never 0 (it was asked and MAAS took it) nor 100 (that is the result's).
  return Math.max(5, Math.round(((furthest + 1) / (steps.length + 1)) * 100));
}
