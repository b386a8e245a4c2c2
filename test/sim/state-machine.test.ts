import { describe, expect, it } from 'vitest';
import { updateStatus } from '../../src/sim/engine.ts';
import { SimHttpError } from '../../src/sim/http.ts';
import { SimStatus as S, statusLabel } from '../../src/sim/index.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, force, record, sid } from './helpers.ts';

/**
 * MAAS's statuses (`maascommon/enums/node.py`, labels from `maascommon/node.py` `NODE_STATUS_LABELS`) and
 * `NODE_TRANSITIONS` (`maasserver/node_status.py`), transcribed here on their own: the simulator's table is checked
 * against this one, not against itself or the tools' pre-checks.
 */
const LABELS = [
  'New',
  'Commissioning',
  'Failed commissioning',
  'Missing',
  'Ready',
  'Reserved',
  'Deployed',
  'Retired',
  'Broken',
  'Deploying',
  'Allocated',
  'Failed deployment',
  'Releasing',
  'Releasing failed',
  'Disk erasing',
  'Failed disk erasing',
  'Rescue mode',
  'Entering rescue mode',
  'Failed to enter rescue mode',
  'Exiting rescue mode',
  'Failed to exit rescue mode',
  'Testing',
  'Failed testing',
];
type NodeStatus = number;
const ALL_STATUSES: NodeStatus[] = LABELS.map((_, i) => i);
const STATUS_LABELS = LABELS;

const TRANSITIONS: Record<string, string> = {
  New: 'Commissioning, Testing, Missing, Ready, Retired, Broken, Entering rescue mode',
  Commissioning: 'Failed commissioning, Ready, Retired, Missing, New, Broken, Testing',
  'Failed commissioning': 'Commissioning, Missing, Retired, Broken, Entering rescue mode, Testing',
  Ready: 'Entering rescue mode, Commissioning, Allocated, Reserved, Retired, Missing, Broken, Testing',
  Reserved:
    'Ready, Allocated, Retired, Missing, Broken, Disk erasing, Releasing, Entering rescue mode, Testing',
  Allocated:
    'Ready, Retired, Missing, Broken, Deploying, Disk erasing, Releasing, Entering rescue mode, Testing',
  Releasing:
    'New, Allocated, Reserved, Deployed, Ready, Broken, Missing, Failed deployment, Failed disk erasing, Releasing failed',
  Deploying: 'Allocated, Missing, Broken, Failed deployment, Deployed, Ready, Disk erasing, Releasing',
  'Failed deployment':
    'Allocated, Missing, Broken, Ready, Disk erasing, Releasing, Entering rescue mode, Testing',
  Deployed: 'Allocated, Missing, Broken, Ready, Disk erasing, Releasing, Entering rescue mode, Testing',
  Missing: 'New, Ready, Allocated, Commissioning, Broken, Entering rescue mode, Testing',
  Retired: 'New, Ready, Missing, Broken, Entering rescue mode, Testing',
  Broken: 'Commissioning, Ready, Disk erasing, Releasing, Entering rescue mode, Testing, Deployed',
  'Releasing failed': 'Releasing, Disk erasing, Ready, Broken, Testing',
  'Disk erasing': 'Broken, Disk erasing, Failed disk erasing, Ready, Releasing',
  'Failed disk erasing': 'Disk erasing, Releasing, Broken, Allocated, Ready, Entering rescue mode, Testing',
  'Entering rescue mode':
    'Ready, Broken, Deployed, Rescue mode, Failed to enter rescue mode, Exiting rescue mode',
  'Failed to enter rescue mode': 'Broken, Entering rescue mode, Exiting rescue mode, Testing',
  'Rescue mode': 'Broken, Exiting rescue mode, Testing',
  'Exiting rescue mode':
    'New, Broken, Failed commissioning, Ready, Reserved, Allocated, Failed deployment, Deployed, Missing, Retired, ' +
    'Releasing failed, Failed disk erasing, Rescue mode, Failed to enter rescue mode, Failed to exit rescue mode, ' +
    'Failed testing',
  'Failed to exit rescue mode': 'Broken, Exiting rescue mode, Testing',
  Testing:
    'Broken, New, Ready, Reserved, Allocated, Deployed, Commissioning, Failed deployment, Missing, Retired, ' +
    'Releasing failed, Failed disk erasing, Failed to enter rescue mode, Failed to exit rescue mode, Failed testing',
  'Failed testing': 'Commissioning, Broken, Missing, Entering rescue mode, Testing, Ready, Deployed',
};

const byLabel = (labels: string[]): Set<NodeStatus> => new Set(labels.map((l) => LABELS.indexOf(l)));
const listed = (from: NodeStatus, to: NodeStatus) =>
  (TRANSITIONS[LABELS[from] ?? ''] ?? '').split(', ').includes(LABELS[to] ?? '');
const invalidTransitionMessage = (from: NodeStatus, to: NodeStatus) =>
  `Invalid transition: ${LABELS[from]} -> ${LABELS[to]}.`;

describe('updateStatus over the whole transition table (MAAS `maasserver/node_status.py` `NODE_TRANSITIONS`)', () => {
  const sim = createSimulator({ machines: 1 });
  const node = sim.state.machineByHostname('web-01');
  if (!node) throw new Error('no web-01');

  it('labels the 23 statuses as MAAS does', () => {
    expect(ALL_STATUSES.map((s) => statusLabel(s as 0))).toEqual(LABELS);
  });

  for (const from of ALL_STATUSES) {
    it(`from ${STATUS_LABELS[from]} allows exactly the table's targets`, () => {
      for (const to of ALL_STATUSES) {
        node.status = from as typeof node.status;
        node.owner = 'bob';
        const allowed = from === to || listed(from, to);
        if (allowed) {
          updateStatus(node, to as typeof node.status);
          expect(node.status).toBe(to);
          if (from !== to) expect(node.previousStatus).toBe(from);
          expect(node.owner).toBe(to === S.NEW || to === S.READY ? null : 'bob');
        } else {
          let err: unknown;
          try {
            updateStatus(node, to as typeof node.status);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(SimHttpError);
          expect((err as SimHttpError).status).toBe(409);
          expect((err as SimHttpError).body).toBe(invalidTransitionMessage(from, to));
          expect(node.status).toBe(from);
        }
      }
    });
  }

  it('renders the illegal-transition message as MAAS does', () => {
    node.status = S.DEPLOYED;
    expect(() => updateStatus(node, S.DEPLOYING)).toThrow('Invalid transition: Deployed -> Deploying.');
  });
});

interface OpCase {
  op: string;
  allowed: Set<NodeStatus>;
  form?: Record<string, string>;
  method?: string;
  /** Expected failure: status and body for a disallowed status. */
  fails: (label: string, systemId: string) => [number, string];
}

const ALL_BUT = (...labels: string[]) =>
  new Set(ALL_STATUSES.filter((s) => !labels.includes(STATUS_LABELS[s] ?? '')));
const COMMISSION_ERR =
  '{"__all__": ["Commission is not available because of the current state of the node."]}';
const TEST_ERR = '{"__all__": ["Test is not available because of the current state of the node."]}';

// Allowed sets are written out from MAAS `maasserver/api/machines.py` (each op's state check), independently of the
// simulator's own sets.
const CASES: OpCase[] = [
  {
    op: 'deploy',
    allowed: byLabel(['Ready', 'Allocated']),
    fails: (l) => [409, `Can't deploy a machine that is in the '${l}' state`],
  },
  {
    op: 'release',
    allowed: byLabel([
      'Ready',
      'Releasing',
      'Allocated',
      'Reserved',
      'Broken',
      'Deploying',
      'Deployed',
      'Failed deployment',
      'Failed disk erasing',
      'Releasing failed',
    ]),
    fails: (l) => [409, `Machine cannot be released in its current state ('${l}').`],
  },
  {
    op: 'abort',
    allowed: byLabel(['Disk erasing', 'Commissioning', 'Deploying', 'Testing']),
    fails: (l, id) => [409, `Cannot abort in current state: node ${id} is in state ${l}.`],
  },
  {
    op: 'lock',
    allowed: byLabel(['Deployed', 'Deploying']),
    fails: () => [409, "Can't lock, node is not deployed or deploying"],
  },
  {
    op: 'mark_fixed',
    allowed: byLabel(['Broken']),
    fails: () => [409, "Can't mark a non-broken node as 'Ready'."],
  },
  {
    op: 'mark_broken',
    allowed: new Set(ALL_STATUSES),
    fails: () => [0, ''],
  },
  {
    op: 'rescue_mode',
    allowed: byLabel([
      'New',
      'Failed commissioning',
      'Ready',
      'Reserved',
      'Allocated',
      'Failed deployment',
      'Deployed',
      'Missing',
      'Retired',
      'Broken',
      'Failed disk erasing',
      'Failed to enter rescue mode',
      'Failed testing',
    ]),
    fails: (l) => [409, `Invalid transition: ${l} -> Entering rescue mode.`],
  },
  {
    op: 'exit_rescue_mode',
    allowed: byLabel([
      'Entering rescue mode',
      'Failed to enter rescue mode',
      'Rescue mode',
      'Failed to exit rescue mode',
    ]),
    fails: (l) => [409, `Invalid transition: ${l} -> Exiting rescue mode.`],
  },
  {
    op: 'commission',
    allowed: byLabel(['New', 'Failed commissioning', 'Ready', 'Broken']),
    fails: () => [400, COMMISSION_ERR],
  },
  {
    op: 'test',
    allowed: ALL_BUT(
      'Commissioning',
      'Deploying',
      'Releasing',
      'Disk erasing',
      'Entering rescue mode',
      'Exiting rescue mode',
      'Testing',
    ),
    fails: () => [400, TEST_ERR],
  },
  {
    op: 'restore_networking_configuration',
    allowed: byLabel(['Ready', 'Failed testing']),
    fails: () => [
      409,
      'Machine must be in a ready or failed testing state to restore networking configuration',
    ],
  },
  {
    op: 'restore_storage_configuration',
    allowed: byLabel(['Ready', 'Failed testing']),
    fails: () => [
      409,
      'Machine must be in a ready or failed testing state to restore storage configuration.',
    ],
  },
  {
    op: 'restore_default_configuration',
    allowed: byLabel(['Ready', 'Failed testing']),
    fails: () => [
      409,
      'Machine must be in a ready or failed testing state to restore default networking and storage configuration.',
    ],
  },
  {
    op: 'override_failed_testing',
    allowed: byLabel(['Failed testing']),
    fails: () => [409, "Unable to override node status. Node is not in 'Failed testing' status."],
  },
  {
    op: 'set_storage_layout',
    allowed: byLabel(['Ready']),
    form: { storage_layout: 'lvm' },
    fails: () => [409, 'Cannot change the storage layout on a machine that is not Ready.'],
  },
  {
    op: 'get_curtin_config',
    method: 'GET',
    allowed: byLabel(['Deploying', 'Deployed', 'Failed deployment']),
    fails: () => [400, 'Machine web-01 is not in a deployment state.'],
  },
];

describe('op state checks, every status through the HTTP API', () => {
  const sim = createSimulator({ machines: 1 });
  const id = sid(sim, 'web-01');
  for (const c of CASES) {
    it(`${c.op} succeeds exactly in its allowed statuses`, async () => {
      for (const status of ALL_STATUSES) {
        force(sim, 'web-01', status);
        record(sim, 'web-01').scripts.commissioning = 2;
        const res = await call(sim, sim.users.admin, c.method ?? 'POST', `machines/${id}/?op=${c.op}`, {
          form: c.form,
        });
        const body = await res.text();
        if (c.allowed.has(status)) {
          expect(res.status, `${c.op} from ${STATUS_LABELS[status]}: ${body}`).toBe(200);
        } else {
          const [code, text] = c.fails(STATUS_LABELS[status] ?? '', id);
          expect([res.status, body], `${c.op} from ${STATUS_LABELS[status]}`).toEqual([code, text]);
        }
      }
      sim.engine.cancel(sim.state.machine(id) as NonNullable<ReturnType<typeof sim.state.machine>>);
    });
  }

  it('leaves a machine deployed from Ready still Ready when the distro is rejected (the request is rolled back)', async () => {
    force(sim, 'web-01', S.READY);
    const res = await call(sim, sim.users.operator, 'POST', `machines/${id}/?op=deploy`, {
      form: { distro_series: 'warty' },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe(
      `{"distro_series": ["'warty' is not a valid distro_series.  It should be one of: '', 'ubuntu/focal', 'ubuntu/jammy', 'ubuntu/noble'."]}`,
    );
    const n = sim.state.machine(id);
    expect(n?.status).toBe(S.READY);
    expect(n?.owner).toBeNull();
    expect(n?.events.map((e) => e.type)).not.toContain('User acquiring node');
  });
});
