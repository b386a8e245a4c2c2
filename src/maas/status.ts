/**
 * MAAS node statuses, labels and the legal-transition table (MAAS `maasserver/node_status.py`).
 * This is the single place these facts live: the simulator enforces them and the tools pre-check with them.
 */

/** `NodeStatus` values (MAAS `maascommon/enums/node.py`). */
export const NodeStatus = {
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
} as const;
export type NodeStatus = (typeof NodeStatus)[keyof typeof NodeStatus];

const S = NodeStatus;

/** `status_name` labels exactly as MAAS renders them (note "Releasing failed", not "Failed releasing"). */
export const STATUS_LABELS: Readonly<Record<NodeStatus, string>> = {
  [S.NEW]: 'New',
  [S.COMMISSIONING]: 'Commissioning',
  [S.FAILED_COMMISSIONING]: 'Failed commissioning',
  [S.MISSING]: 'Missing',
  [S.READY]: 'Ready',
  [S.RESERVED]: 'Reserved',
  [S.DEPLOYED]: 'Deployed',
  [S.RETIRED]: 'Retired',
  [S.BROKEN]: 'Broken',
  [S.DEPLOYING]: 'Deploying',
  [S.ALLOCATED]: 'Allocated',
  [S.FAILED_DEPLOYMENT]: 'Failed deployment',
  [S.RELEASING]: 'Releasing',
  [S.FAILED_RELEASING]: 'Releasing failed',
  [S.DISK_ERASING]: 'Disk erasing',
  [S.FAILED_DISK_ERASING]: 'Failed disk erasing',
  [S.RESCUE_MODE]: 'Rescue mode',
  [S.ENTERING_RESCUE_MODE]: 'Entering rescue mode',
  [S.FAILED_ENTERING_RESCUE_MODE]: 'Failed to enter rescue mode',
  [S.EXITING_RESCUE_MODE]: 'Exiting rescue mode',
  [S.FAILED_EXITING_RESCUE_MODE]: 'Failed to exit rescue mode',
  [S.TESTING]: 'Testing',
  [S.FAILED_TESTING]: 'Failed testing',
};

/** The lower-case names the `status=` list filter accepts (MAAS `ReadNodesForm`). */
export const STATUS_FILTER_NAMES: Readonly<Record<NodeStatus, string>> = {
  [S.NEW]: 'new',
  [S.COMMISSIONING]: 'commissioning',
  [S.FAILED_COMMISSIONING]: 'failed_commissioning',
  [S.MISSING]: 'missing',
  [S.READY]: 'ready',
  [S.RESERVED]: 'reserved',
  [S.DEPLOYED]: 'deployed',
  [S.RETIRED]: 'retired',
  [S.BROKEN]: 'broken',
  [S.DEPLOYING]: 'deploying',
  [S.ALLOCATED]: 'allocated',
  [S.FAILED_DEPLOYMENT]: 'failed_deployment',
  [S.RELEASING]: 'releasing',
  [S.FAILED_RELEASING]: 'failed_releasing',
  [S.DISK_ERASING]: 'disk_erasing',
  [S.FAILED_DISK_ERASING]: 'failed_disk_erasing',
  [S.RESCUE_MODE]: 'rescue_mode',
  [S.ENTERING_RESCUE_MODE]: 'entering_rescue_mode',
  [S.FAILED_ENTERING_RESCUE_MODE]: 'failed_entering_rescue_mode',
  [S.EXITING_RESCUE_MODE]: 'exiting_rescue_mode',
  [S.FAILED_EXITING_RESCUE_MODE]: 'failed_exiting_rescue_mode',
  [S.TESTING]: 'testing',
  [S.FAILED_TESTING]: 'failed_testing',
};

export const ALL_STATUSES: readonly NodeStatus[] = Object.values(NodeStatus);

export function isNodeStatus(n: unknown): n is NodeStatus {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 22;
}

/** Whether a status number read from MAAS is in one of the sets below. */
export function statusIn(set: ReadonlySet<NodeStatus>, s: number): boolean {
  return set.has(s as NodeStatus);
}

export function statusLabel(s: number): string {
  return isNodeStatus(s) ? STATUS_LABELS[s] : `Unknown status ${s}`;
}

const BY_FILTER_NAME = new Map<string, NodeStatus>(
  ALL_STATUSES.map((s) => [STATUS_FILTER_NAMES[s], s] as [string, NodeStatus]),
);
const BY_LABEL = new Map<string, NodeStatus>(
  ALL_STATUSES.map((s) => [STATUS_LABELS[s].toLowerCase(), s] as [string, NodeStatus]),
);

/**
 * Accepts what a person or an agent would type for a status: the filter name (`failed_deployment`),
 * the label (`Failed deployment`), or either with spaces/dashes (`failed-deployment`).
 */
export function parseStatus(text: string): NodeStatus | undefined {
  const t = text.trim().toLowerCase();
  return BY_FILTER_NAME.get(t.replace(/[\s-]+/g, '_')) ?? BY_LABEL.get(t.replace(/[_-]+/g, ' '));
}

/** Simplified statuses (MAAS `maascommon/node.py` `SIMPLIFIED_NODE_STATUSES_MAP`). */
export type SimpleStatus =
  | 'allocated'
  | 'broken'
  | 'commissioning'
  | 'deployed'
  | 'deploying'
  | 'failed'
  | 'new'
  | 'ready'
  | 'releasing'
  | 'rescue_mode'
  | 'testing'
  | 'other';

export function simpleStatus(s: NodeStatus): SimpleStatus {
  switch (s) {
    case S.FAILED_COMMISSIONING:
    case S.FAILED_DEPLOYMENT:
    case S.FAILED_RELEASING:
    case S.FAILED_DISK_ERASING:
    case S.FAILED_ENTERING_RESCUE_MODE:
    case S.FAILED_EXITING_RESCUE_MODE:
    case S.FAILED_TESTING:
      return 'failed';
    case S.RELEASING:
    case S.DISK_ERASING:
      return 'releasing';
    case S.ENTERING_RESCUE_MODE:
    case S.RESCUE_MODE:
    case S.EXITING_RESCUE_MODE:
      return 'rescue_mode';
    case S.ALLOCATED:
      return 'allocated';
    case S.BROKEN:
      return 'broken';
    case S.COMMISSIONING:
      return 'commissioning';
    case S.DEPLOYED:
      return 'deployed';
    case S.DEPLOYING:
      return 'deploying';
    case S.NEW:
      return 'new';
    case S.READY:
      return 'ready';
    case S.TESTING:
      return 'testing';
    default:
      return 'other';
  }
}

export const SIMPLE_STATUSES: readonly SimpleStatus[] = [
  'allocated',
  'broken',
  'commissioning',
  'deployed',
  'deploying',
  'failed',
  'new',
  'ready',
  'releasing',
  'rescue_mode',
  'testing',
  'other',
];

/**
 * `NODE_TRANSITIONS` (MAAS `maasserver/node_status.py`). `null` is the "None" row (a node being created).
 * A same-status "transition" is always allowed and is not listed.
 */
export const NODE_TRANSITIONS: ReadonlyMap<NodeStatus | null, ReadonlySet<NodeStatus>> = new Map<
  NodeStatus | null,
  ReadonlySet<NodeStatus>
>([
  [null, new Set([S.NEW, S.MISSING, S.RETIRED])],
  [
    S.NEW,
    new Set([S.COMMISSIONING, S.TESTING, S.MISSING, S.READY, S.RETIRED, S.BROKEN, S.ENTERING_RESCUE_MODE]),
  ],
  [
    S.COMMISSIONING,
    new Set([S.FAILED_COMMISSIONING, S.READY, S.RETIRED, S.MISSING, S.NEW, S.BROKEN, S.TESTING]),
  ],
  [
    S.FAILED_COMMISSIONING,
    new Set([S.COMMISSIONING, S.MISSING, S.RETIRED, S.BROKEN, S.ENTERING_RESCUE_MODE, S.TESTING]),
  ],
  [
    S.READY,
    new Set([
      S.ENTERING_RESCUE_MODE,
      S.COMMISSIONING,
      S.ALLOCATED,
      S.RESERVED,
      S.RETIRED,
      S.MISSING,
      S.BROKEN,
      S.TESTING,
    ]),
  ],
  [
    S.RESERVED,
    new Set([
      S.READY,
      S.ALLOCATED,
      S.RETIRED,
      S.MISSING,
      S.BROKEN,
      S.DISK_ERASING,
      S.RELEASING,
      S.ENTERING_RESCUE_MODE,
      S.TESTING,
    ]),
  ],
  [
    S.ALLOCATED,
    new Set([
      S.READY,
      S.RETIRED,
      S.MISSING,
      S.BROKEN,
      S.DEPLOYING,
      S.DISK_ERASING,
      S.RELEASING,
      S.ENTERING_RESCUE_MODE,
      S.TESTING,
    ]),
  ],
  [
    S.RELEASING,
    new Set([
      S.NEW,
      S.ALLOCATED,
      S.RESERVED,
      S.DEPLOYED,
      S.READY,
      S.BROKEN,
      S.MISSING,
      S.FAILED_DEPLOYMENT,
      S.FAILED_DISK_ERASING,
      S.FAILED_RELEASING,
    ]),
  ],
  [
    S.DEPLOYING,
    new Set([
      S.ALLOCATED,
      S.MISSING,
      S.BROKEN,
      S.FAILED_DEPLOYMENT,
      S.DEPLOYED,
      S.READY,
      S.DISK_ERASING,
      S.RELEASING,
    ]),
  ],
  [
    S.FAILED_DEPLOYMENT,
    new Set([
      S.ALLOCATED,
      S.MISSING,
      S.BROKEN,
      S.READY,
      S.DISK_ERASING,
      S.RELEASING,
      S.ENTERING_RESCUE_MODE,
      S.TESTING,
    ]),
  ],
  [
    S.DEPLOYED,
    new Set([
      S.ALLOCATED,
      S.MISSING,
      S.BROKEN,
      S.READY,
      S.DISK_ERASING,
      S.RELEASING,
      S.ENTERING_RESCUE_MODE,
      S.TESTING,
    ]),
  ],
  [
    S.MISSING,
    new Set([S.NEW, S.READY, S.ALLOCATED, S.COMMISSIONING, S.BROKEN, S.ENTERING_RESCUE_MODE, S.TESTING]),
  ],
  [S.RETIRED, new Set([S.NEW, S.READY, S.MISSING, S.BROKEN, S.ENTERING_RESCUE_MODE, S.TESTING])],
  [
    S.BROKEN,
    new Set([
      S.COMMISSIONING,
      S.READY,
      S.DISK_ERASING,
      S.RELEASING,
      S.ENTERING_RESCUE_MODE,
      S.TESTING,
      S.DEPLOYED,
    ]),
  ],
  [S.FAILED_RELEASING, new Set([S.RELEASING, S.DISK_ERASING, S.READY, S.BROKEN, S.TESTING])],
  [S.DISK_ERASING, new Set([S.BROKEN, S.DISK_ERASING, S.FAILED_DISK_ERASING, S.READY, S.RELEASING])],
  [
    S.FAILED_DISK_ERASING,
    new Set([S.DISK_ERASING, S.RELEASING, S.BROKEN, S.ALLOCATED, S.READY, S.ENTERING_RESCUE_MODE, S.TESTING]),
  ],
  [
    S.ENTERING_RESCUE_MODE,
    new Set([
      S.READY,
      S.BROKEN,
      S.DEPLOYED,
      S.RESCUE_MODE,
      S.FAILED_ENTERING_RESCUE_MODE,
      S.EXITING_RESCUE_MODE,
    ]),
  ],
  [
    S.FAILED_ENTERING_RESCUE_MODE,
    new Set([S.BROKEN, S.ENTERING_RESCUE_MODE, S.EXITING_RESCUE_MODE, S.TESTING]),
  ],
  [S.RESCUE_MODE, new Set([S.BROKEN, S.EXITING_RESCUE_MODE, S.TESTING])],
  [
    S.EXITING_RESCUE_MODE,
    new Set([
      S.NEW,
      S.BROKEN,
      S.FAILED_COMMISSIONING,
      S.READY,
      S.RESERVED,
      S.ALLOCATED,
      S.FAILED_DEPLOYMENT,
      S.DEPLOYED,
      S.MISSING,
      S.RETIRED,
      S.FAILED_RELEASING,
      S.FAILED_DISK_ERASING,
      S.RESCUE_MODE,
      S.FAILED_ENTERING_RESCUE_MODE,
      S.FAILED_EXITING_RESCUE_MODE,
      S.FAILED_TESTING,
    ]),
  ],
  [S.FAILED_EXITING_RESCUE_MODE, new Set([S.BROKEN, S.EXITING_RESCUE_MODE, S.TESTING])],
  [
    S.TESTING,
    new Set([
      S.BROKEN,
      S.NEW,
      S.READY,
      S.RESERVED,
      S.ALLOCATED,
      S.DEPLOYED,
      S.COMMISSIONING,
      S.FAILED_DEPLOYMENT,
      S.MISSING,
      S.RETIRED,
      S.FAILED_RELEASING,
      S.FAILED_DISK_ERASING,
      S.FAILED_ENTERING_RESCUE_MODE,
      S.FAILED_EXITING_RESCUE_MODE,
      S.FAILED_TESTING,
    ]),
  ],
  [
    S.FAILED_TESTING,
    new Set([S.COMMISSIONING, S.BROKEN, S.MISSING, S.ENTERING_RESCUE_MODE, S.TESTING, S.READY, S.DEPLOYED]),
  ],
]);

/** Whether MAAS's `Node.update_status` would accept `from → to` (same-status is always allowed). */
export function canTransition(from: NodeStatus | null, to: NodeStatus): boolean {
  if (from === to) return true;
  return NODE_TRANSITIONS.get(from)?.has(to) ?? false;
}

/** The exact text MAAS gives for an illegal transition (409). */
export function invalidTransitionMessage(from: NodeStatus, to: NodeStatus): string {
  return `Invalid transition: ${STATUS_LABELS[from]} -> ${STATUS_LABELS[to]}.`;
}

/** `NODE_FAILURE_STATUS_TRANSITION_MAP`: the status a transient status fails to. */
export const FAILURE_STATUS: ReadonlyMap<NodeStatus, NodeStatus> = new Map<NodeStatus, NodeStatus>([
  [S.COMMISSIONING, S.FAILED_COMMISSIONING],
  [S.DEPLOYING, S.FAILED_DEPLOYMENT],
  [S.RELEASING, S.FAILED_RELEASING],
  [S.DISK_ERASING, S.FAILED_DISK_ERASING],
  [S.ENTERING_RESCUE_MODE, S.FAILED_ENTERING_RESCUE_MODE],
  [S.EXITING_RESCUE_MODE, S.FAILED_EXITING_RESCUE_MODE],
  [S.TESTING, S.FAILED_TESTING],
]);

/**
 * Where a transient status ends when all goes well (MAAS `maasserver/models/node.py`). `null`: back to the status it
 * came from (testing and exiting rescue mode return to the previous status).
 */
export const SUCCESS_STATUS: ReadonlyMap<NodeStatus, NodeStatus | null> = new Map<
  NodeStatus,
  NodeStatus | null
>([
  [S.COMMISSIONING, S.READY],
  [S.DEPLOYING, S.DEPLOYED],
  [S.RELEASING, S.READY],
  [S.DISK_ERASING, S.READY],
  [S.ENTERING_RESCUE_MODE, S.RESCUE_MODE],
  [S.EXITING_RESCUE_MODE, null],
  [S.TESTING, null],
]);

/** Statuses MAAS completes asynchronously (MAAS `maasserver/models/node.py`): a machine in one of these is "busy". */
export const TRANSIENT_STATUSES: ReadonlySet<NodeStatus> = new Set(FAILURE_STATUS.keys());

export function isTransient(s: NodeStatus): boolean {
  return TRANSIENT_STATUSES.has(s);
}

export function isFailed(s: NodeStatus): boolean {
  return simpleStatus(s) === 'failed';
}

/** `RELEASABLE_STATUSES` of the release API (MAAS `maasserver/api/machines.py`). */
export const RELEASABLE_STATUSES: ReadonlySet<NodeStatus> = new Set([
  S.ALLOCATED,
  S.RESERVED,
  S.BROKEN,
  S.DEPLOYING,
  S.DEPLOYED,
  S.FAILED_DEPLOYMENT,
  S.FAILED_DISK_ERASING,
  S.FAILED_RELEASING,
]);

/** Statuses `abort` accepts (`Node.abort_operation`). */
export const ABORTABLE_STATUSES: ReadonlySet<NodeStatus> = new Set([
  S.DISK_ERASING,
  S.COMMISSIONING,
  S.DEPLOYING,
  S.TESTING,
]);

/** Statuses from which the commission action is available (`ScriptForm._is_actionable`). */
export const COMMISSIONABLE_STATUSES: ReadonlySet<NodeStatus> = new Set([
  S.NEW,
  S.FAILED_COMMISSIONING,
  S.READY,
  S.BROKEN,
]);

/** Statuses from which the test action is available (`TestForm`). */
export const TESTABLE_STATUSES: ReadonlySet<NodeStatus> = new Set([
  S.FAILED_COMMISSIONING,
  S.NEW,
  S.READY,
  S.RESERVED,
  S.ALLOCATED,
  S.FAILED_DEPLOYMENT,
  S.DEPLOYED,
  S.MISSING,
  S.RETIRED,
  S.BROKEN,
  S.RESCUE_MODE,
  S.FAILED_RELEASING,
  S.FAILED_DISK_ERASING,
  S.FAILED_ENTERING_RESCUE_MODE,
  S.FAILED_EXITING_RESCUE_MODE,
  S.FAILED_TESTING,
]);

/** Statuses `exit_rescue_mode` accepts. */
export const EXITABLE_RESCUE_STATUSES: ReadonlySet<NodeStatus> = new Set([
  S.ENTERING_RESCUE_MODE,
  S.FAILED_ENTERING_RESCUE_MODE,
  S.RESCUE_MODE,
  S.FAILED_EXITING_RESCUE_MODE,
]);

/** Statuses the restore_*_configuration ops accept. */
export const RESTORABLE_STATUSES: ReadonlySet<NodeStatus> = new Set([S.READY, S.FAILED_TESTING]);

/** Statuses `lock` accepts. */
export const LOCKABLE_STATUSES: ReadonlySet<NodeStatus> = new Set([S.DEPLOYED, S.DEPLOYING]);
