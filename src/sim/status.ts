/**
 * The simulator's own copy of MAAS's node statuses and the rules built on them, written from the MAAS 3.7.3 sources
 * (`maascommon/enums/node.py` values, `maascommon/node.py` labels, `maasserver/node_status.py` `NODE_TRANSITIONS`,
 * `maasserver/api/machines.py` and `maasserver/models/node.py` for the per-op status sets). Nothing here is shared
 * with the tools' pre-checks on purpose: a wrong rule on one side must not pass the other side's tests too.
 *
 * The tables are keyed by MAAS's `status_name` labels, so each line can be read against MAAS's own table.
 */

/** `NodeStatus` values and their `status_name` labels. */
const STATUS_TABLE = [
  [0, 'New', 'new'],
  [1, 'Commissioning', 'commissioning'],
  [2, 'Failed commissioning', 'failed_commissioning'],
  [3, 'Missing', 'missing'],
  [4, 'Ready', 'ready'],
  [5, 'Reserved', 'reserved'],
  [6, 'Deployed', 'deployed'],
  [7, 'Retired', 'retired'],
  [8, 'Broken', 'broken'],
  [9, 'Deploying', 'deploying'],
  [10, 'Allocated', 'allocated'],
  [11, 'Failed deployment', 'failed_deployment'],
  [12, 'Releasing', 'releasing'],
  [13, 'Releasing failed', 'failed_releasing'],
  [14, 'Disk erasing', 'disk_erasing'],
  [15, 'Failed disk erasing', 'failed_disk_erasing'],
  [16, 'Rescue mode', 'rescue_mode'],
  [17, 'Entering rescue mode', 'entering_rescue_mode'],
  [18, 'Failed to enter rescue mode', 'failed_entering_rescue_mode'],
  [19, 'Exiting rescue mode', 'exiting_rescue_mode'],
  [20, 'Failed to exit rescue mode', 'failed_exiting_rescue_mode'],
  [21, 'Testing', 'testing'],
  [22, 'Failed testing', 'failed_testing'],
] as const;

type Row = (typeof STATUS_TABLE)[number];
export type Status = Row[0];
export type StatusLabel = Row[1];

/** Named values, for code that reads better with names (`S.READY`). */
export const S = {
  NEW: 0,
  COMMISSIONING: 1,
  FAILED_COMMISSIONING: 2,
  MISSING: 3,
  READY: 4,
  RESERVED: 5,
  DEPLOYED: 6,
  RETIRED: 7,
  BROKEN: 8,
  DEPLOYING: 9,
  ALLOCATED: 10,
  FAILED_DEPLOYMENT: 11,
  RELEASING: 12,
  FAILED_RELEASING: 13,
  DISK_ERASING: 14,
  FAILED_DISK_ERASING: 15,
  RESCUE_MODE: 16,
  ENTERING_RESCUE_MODE: 17,
  FAILED_ENTERING_RESCUE_MODE: 18,
  EXITING_RESCUE_MODE: 19,
  FAILED_EXITING_RESCUE_MODE: 20,
  TESTING: 21,
  FAILED_TESTING: 22,
} as const satisfies Record<string, Status>;

const BY_LABEL = new Map<string, Status>(STATUS_TABLE.map(([v, label]) => [label, v]));
const LABELS = new Map<Status, StatusLabel>(STATUS_TABLE.map(([v, label]) => [v, label]));
const FILTER_NAMES = new Map<Status, string>(STATUS_TABLE.map(([v, , name]) => [v, name]));

export const ALL_STATUSES: readonly Status[] = STATUS_TABLE.map(([v]) => v);

export function isStatus(n: unknown): n is Status {
  return typeof n === 'number' && LABELS.has(n as Status);
}

/** `status_name` as MAAS renders it ("Releasing failed", not "Failed releasing"). */
export function statusLabel(s: Status): StatusLabel {
  return LABELS.get(s) as StatusLabel;
}

/** The lower-case name the `status=` list filter takes (`NODE_STATUS_SHORT_LABEL_CHOICES`). */
export function statusFilterName(s: Status): string {
  return FILTER_NAMES.get(s) as string;
}

/** A status by its `status=` filter name; undefined for anything else. */
export function statusByFilterName(name: string): Status | undefined {
  for (const [v, n] of FILTER_NAMES) if (n === name) return v;
  return undefined;
}

function statuses(labels: string): ReadonlySet<Status> {
  const out = new Set<Status>();
  for (const label of labels.split(',').map((l) => l.trim())) {
    if (label === '') continue;
    const v = BY_LABEL.get(label);
    if (v === undefined) throw new Error(`status table: unknown label ${label}`);
    out.add(v);
  }
  return out;
}

/** `SIMPLIFIED_NODE_STATUSES_MAP` (MAAS `maasserver/enum.py`); anything not listed is `other`. */
const SIMPLE: ReadonlyArray<[string, ReadonlySet<Status>]> = [
  ['allocated', statuses('Allocated')],
  ['broken', statuses('Broken')],
  ['commissioning', statuses('Commissioning')],
  ['deployed', statuses('Deployed')],
  ['deploying', statuses('Deploying')],
  [
    'failed',
    statuses(
      'Failed commissioning, Failed deployment, Releasing failed, Failed disk erasing, ' +
        'Failed to enter rescue mode, Failed to exit rescue mode, Failed testing',
    ),
  ],
  ['new', statuses('New')],
  ['ready', statuses('Ready')],
  ['releasing', statuses('Releasing, Disk erasing')],
  ['rescue_mode', statuses('Entering rescue mode, Rescue mode, Exiting rescue mode')],
  ['testing', statuses('Testing')],
];

/** The `simple_status=` choices, in MAAS's order. */
export const SIMPLE_STATUS_NAMES: readonly string[] = [...SIMPLE.map(([name]) => name), 'other'];

export function simpleStatusOf(s: Status): string {
  for (const [name, set] of SIMPLE) if (set.has(s)) return name;
  return 'other';
}

/**
 * `NODE_TRANSITIONS` (MAAS `maasserver/node_status.py`), row by row as MAAS lists it. The `null` row is a node being
 * created. A same-status change is always allowed and is not listed.
 */
const TRANSITIONS: ReadonlyArray<[StatusLabel | null, string]> = [
  [null, 'New, Missing, Retired'],
  ['New', 'Commissioning, Testing, Missing, Ready, Retired, Broken, Entering rescue mode'],
  ['Commissioning', 'Failed commissioning, Ready, Retired, Missing, New, Broken, Testing'],
  ['Failed commissioning', 'Commissioning, Missing, Retired, Broken, Entering rescue mode, Testing'],
  ['Ready', 'Entering rescue mode, Commissioning, Allocated, Reserved, Retired, Missing, Broken, Testing'],
  [
    'Reserved',
    'Ready, Allocated, Retired, Missing, Broken, Disk erasing, Releasing, Entering rescue mode, Testing',
  ],
  [
    'Allocated',
    'Ready, Retired, Missing, Broken, Deploying, Disk erasing, Releasing, Entering rescue mode, Testing',
  ],
  [
    'Releasing',
    'New, Allocated, Reserved, Deployed, Ready, Broken, Missing, Failed deployment, Failed disk erasing, ' +
      'Releasing failed',
  ],
  ['Deploying', 'Allocated, Missing, Broken, Failed deployment, Deployed, Ready, Disk erasing, Releasing'],
  [
    'Failed deployment',
    'Allocated, Missing, Broken, Ready, Disk erasing, Releasing, Entering rescue mode, Testing',
  ],
  ['Deployed', 'Allocated, Missing, Broken, Ready, Disk erasing, Releasing, Entering rescue mode, Testing'],
  ['Missing', 'New, Ready, Allocated, Commissioning, Broken, Entering rescue mode, Testing'],
  ['Retired', 'New, Ready, Missing, Broken, Entering rescue mode, Testing'],
  ['Broken', 'Commissioning, Ready, Disk erasing, Releasing, Entering rescue mode, Testing, Deployed'],
  ['Releasing failed', 'Releasing, Disk erasing, Ready, Broken, Testing'],
  ['Disk erasing', 'Broken, Disk erasing, Failed disk erasing, Ready, Releasing'],
  ['Failed disk erasing', 'Disk erasing, Releasing, Broken, Allocated, Ready, Entering rescue mode, Testing'],
  [
    'Entering rescue mode',
    'Ready, Broken, Deployed, Rescue mode, Failed to enter rescue mode, Exiting rescue mode',
  ],
  ['Failed to enter rescue mode', 'Broken, Entering rescue mode, Exiting rescue mode, Testing'],
  ['Rescue mode', 'Broken, Exiting rescue mode, Testing'],
  [
    'Exiting rescue mode',
    'New, Broken, Failed commissioning, Ready, Reserved, Allocated, Failed deployment, Deployed, Missing, ' +
      'Retired, Releasing failed, Failed disk erasing, Rescue mode, Failed to enter rescue mode, ' +
      'Failed to exit rescue mode, Failed testing',
  ],
  ['Failed to exit rescue mode', 'Broken, Exiting rescue mode, Testing'],
  [
    'Testing',
    'Broken, New, Ready, Reserved, Allocated, Deployed, Commissioning, Failed deployment, Missing, Retired, ' +
      'Releasing failed, Failed disk erasing, Failed to enter rescue mode, Failed to exit rescue mode, ' +
      'Failed testing',
  ],
  ['Failed testing', 'Commissioning, Broken, Missing, Entering rescue mode, Testing, Ready, Deployed'],
];

const TRANSITION_MAP = new Map<Status | null, ReadonlySet<Status>>(
  TRANSITIONS.map(([from, to]) => [from === null ? null : (BY_LABEL.get(from) as Status), statuses(to)]),
);

/** Whether `from → to` is a row of `NODE_TRANSITIONS` (without the same-status pass some callers add). */
export function listedTransition(from: Status | null, to: Status): boolean {
  return TRANSITION_MAP.get(from)?.has(to) ?? false;
}

/** `Node.update_status`'s check: a same-status change always passes. */
export function canTransition(from: Status | null, to: Status): boolean {
  return from === to || listedTransition(from, to);
}

/** The 409 text of an illegal change (`_validate_status_transition`). */
export function invalidTransitionMessage(from: Status, to: Status): string {
  return `Invalid transition: ${statusLabel(from)} -> ${statusLabel(to)}.`;
}

/** `NODE_FAILURE_STATUS_TRANSITION_MAP` (MAAS `maascommon/node.py`): where a transient status fails to. */
const FAILURES: ReadonlyArray<[StatusLabel, StatusLabel]> = [
  ['Commissioning', 'Failed commissioning'],
  ['Deploying', 'Failed deployment'],
  ['Releasing', 'Releasing failed'],
  ['Disk erasing', 'Failed disk erasing'],
  ['Entering rescue mode', 'Failed to enter rescue mode'],
  ['Exiting rescue mode', 'Failed to exit rescue mode'],
  ['Testing', 'Failed testing'],
];

const FAILURE_MAP = new Map<Status, Status>(
  FAILURES.map(([a, b]) => [BY_LABEL.get(a) as Status, BY_LABEL.get(b) as Status]),
);

export function failureStatusOf(s: Status): Status | undefined {
  return FAILURE_MAP.get(s);
}

/** Statuses MAAS completes asynchronously (the keys of the failure map). */
export function isTransientStatus(s: Status): boolean {
  return FAILURE_MAP.has(s);
}

// ---------------------------------------------------------------- the status sets of single API operations

/** `RELEASABLE_STATUSES` of the release op (MAAS `maasserver/api/machines.py`). */
export const RELEASABLE = statuses(
  'Allocated, Reserved, Broken, Deploying, Deployed, Failed deployment, Failed disk erasing, Releasing failed',
);

/** `Node.abort_operation`. */
export const ABORTABLE = statuses('Disk erasing, Commissioning, Deploying, Testing');

/** The commission action's actionable statuses (`ScriptForm._is_actionable` through `node_action.Commission`). */
export const COMMISSIONABLE = statuses('New, Failed commissioning, Ready, Broken');

/** `TestForm`'s actionable statuses. */
export const TESTABLE = statuses(
  'Failed commissioning, New, Ready, Reserved, Allocated, Failed deployment, Deployed, Missing, Retired, Broken, ' +
    'Rescue mode, Releasing failed, Failed disk erasing, Failed to enter rescue mode, Failed to exit rescue mode, ' +
    'Failed testing',
);

/** `exit_rescue_mode` is a legal transition from these. */
export const EXITABLE_RESCUE = statuses(
  'Entering rescue mode, Failed to enter rescue mode, Rescue mode, Failed to exit rescue mode',
);

/** `restore_networking_configuration` / `restore_storage_configuration` / `restore_default_configuration`. */
export const RESTORABLE = statuses('Ready, Failed testing');

/** `lock`. */
export const LOCKABLE = statuses('Deployed, Deploying');

/** Machine interface writes (`raise_error_for_invalid_state_on_allocated_operations`, MAAS `api/interfaces.py`). */
export const INTERFACE_EDITABLE = statuses('New, Ready, Failed testing, Allocated, Broken');

/** Block-device and partition format/mount ops. */
export const STORAGE_ALLOCATED_OPS = statuses('Ready, Allocated');

/** `CloneForm`'s destination queryset. */
export const CLONE_DESTINATION = statuses('Ready, Failed testing');
