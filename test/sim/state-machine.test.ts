import { describe, expect, it } from 'vitest';
import {
  ALL_STATUSES,
  canTransition,
  invalidTransitionMessage,
  NODE_TRANSITIONS,
  type NodeStatus,
  NodeStatus as S,
  STATUS_LABELS,
} from '../../src/maas/status.ts';
import { SimHttpError } from '../../src/sim/http.ts';
import { createSimulator, updateStatus } from '../../src/sim/index.ts';
import { call, force, sid } from './helpers.ts';

const byLabel = (labels: string[]): Set<NodeStatus> =>
  new Set(labels.map((l) => ALL_STATUSES.find((s) => STATUS_LABELS[s] === l) as NodeStatus));

describe('updateStatus over the whole transition table', () => {
  const sim = createSimulator({ machines: 1 });
  const node = sim.state.machineByHostname('web-01');
  if (!node) throw new Error('no web-01');

  it('covers 23 statuses', () => expect(ALL_STATUSES).toHaveLength(23));

  for (const from of ALL_STATUSES) {
    it(`from ${STATUS_LABELS[from]} allows exactly the table's targets`, () => {
      for (const to of ALL_STATUSES) {
        node.status = from;
        node.owner = 'bob';
        const allowed = from === to || (NODE_TRANSITIONS.get(from)?.has(to) ?? false);
        if (allowed) {
          updateStatus(node, to);
          expect(node.status).toBe(to);
          if (from !== to) expect(node.previousStatus).toBe(from);
          expect(node.owner).toBe(to === S.NEW || to === S.READY ? null : 'bob');
        } else {
          let err: unknown;
          try {
            updateStatus(node, to);
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
    expect(invalidTransitionMessage(S.DEPLOYED, S.DEPLOYING)).toBe(
      'Invalid transition: Deployed -> Deploying.',
    );
    expect(canTransition(S.ALLOCATED, S.DEPLOYING)).toBe(true);
    expect(canTransition(null, S.NEW)).toBe(true);
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
  new Set(ALL_STATUSES.filter((s) => !labels.includes(STATUS_LABELS[s])));
const COMMISSION_ERR =
  '{"__all__": ["Commission is not available because of the current state of the node."]}';
const TEST_ERR = '{"__all__": ["Test is not available because of the current state of the node."]}';

// Allowed sets are written out from MAAS `maasserver/api/machines.py` (each op's state check), independently of
// src/maas/status.ts.
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
        const n = force(sim, 'web-01', status);
        n.scripts.commissioning = 2;
        const res = await call(sim, sim.users.admin, c.method ?? 'POST', `machines/${id}/?op=${c.op}`, {
          form: c.form,
        });
        const body = await res.text();
        if (c.allowed.has(status)) {
          expect(res.status, `${c.op} from ${STATUS_LABELS[status]}: ${body}`).toBe(200);
        } else {
          const [code, text] = c.fails(STATUS_LABELS[status], id);
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
