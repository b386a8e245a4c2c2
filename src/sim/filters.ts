/**
 * Node constraints shared by the list filters (`ReadNodesForm`) and allocation (`AcquireNodeForm`): validation with
 * MAAS's messages, matching, and the cleaned `field=value` descriptions allocate's 409 quotes (MAAS
 * `maasserver/node_constraint_filter_forms.py`).
 */

import {
  type InterfaceConstraints,
  matchInterfaces,
  matchStorage,
  parseInterfaceConstraints,
  parseStorageConstraints,
  type StorageConstraint,
} from './constraints.ts';
import { canonicalMac, isMac } from './facts.ts';
import { choiceError, fieldErrors, type Params } from './http.ts';
import { pyFloatText } from './json.ts';
import type { SimNode, SimState } from './model.ts';
import { canView } from './perm.ts';
import type { AuthedCtx } from './router.ts';
import { SIMPLE_STATUS_NAMES, simpleStatusOf, statusByFilterName } from './status.ts';

export type Match = (n: SimNode) => boolean;

export interface Cleaned {
  matches: Match[];
  /** `describe_constraints` parts (`name=host-x`), for allocate's 409. */
  described: string[];
  /** `storage=` and `interfaces=`, parsed (allocate reports what they matched in `constraints_by_type`). */
  storage: StorageConstraint[] | null;
  interfaces: InterfaceConstraints | null;
}

/** Accepted but not constraining anything (`IGNORED_FIELDS`). */
export const IGNORED_FIELDS = new Set([
  'comment',
  'bridge_all',
  'bridge_type',
  'bridge_stp',
  'bridge_fd',
  'dry_run',
  'verbose',
  'op',
  'agent_name',
]);

const SHARED = [
  'arch',
  'not_arch',
  'tags',
  'not_tags',
  'zone',
  'not_in_zone',
  'pool',
  'not_in_pool',
  'cpu_count',
  'cpu_speed',
  'mem',
  'pod',
  'not_pod',
  'pod_type',
  'not_pod_type',
  'subnets',
  'not_subnets',
  'fabrics',
  'not_fabrics',
  'fabric_classes',
  'not_fabric_classes',
  'vlans',
  'not_vlans',
  'link_speed',
  'storage',
  'interfaces',
  'devices',
  'deployment_target',
  'not_deployment_target',
];

const READ_NODES_FIELDS = new Set([
  ...SHARED,
  'id',
  'not_id',
  'system_id',
  'hostname',
  'not_hostname',
  'mac_address',
  'domain',
  'not_domain',
  'agent_name',
  'not_agent_name',
  'status',
  'not_status',
  'simple_status',
  'not_simple_status',
  'owner',
  'not_owner',
  'power_state',
  'not_power_state',
]);

export const ACQUIRE_FIELDS = new Set([...SHARED, 'name', 'system_id']);

export const KNOWN_ARCHES = [
  'amd64/generic',
  'arm64/generic',
  'armhf/generic',
  'i386/generic',
  'ppc64el/generic',
  's390x/generic',
];

function archKnown(a: string): boolean {
  return KNOWN_ARCHES.some((k) => k === a || k.startsWith(`${a}/`));
}

function archMatches(n: SimNode, a: string): boolean {
  return n.architecture === a || n.architecture.startsWith(`${a}/`);
}

/** `parse_legacy_tags`: values may also be comma- or space-separated. */
function splitTags(values: string[]): string[] {
  return values.flatMap((v) => v.split(/[,\s]+/)).filter((t) => t !== '');
}

function numeric(
  values: string[],
  message: string,
  errors: Record<string, string[]>,
  key: string,
): number | null {
  const v = values[values.length - 1] ?? '';
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) {
    errors[key] = [message];
    return null;
  }
  return n;
}

const NUMERIC: Record<string, [string, (n: SimNode) => number]> = {
  cpu_count: ['Invalid CPU count: number required.', (n) => n.cpuCount],
  cpu_speed: ['Invalid CPU speed: number required.', (n) => n.cpuSpeed],
  mem: ['Invalid memory: number of MiB required.', (n) => n.memory],
  link_speed: [
    'Invalid link speed: number required.',
    (n) => Math.max(0, ...n.interfaces.map((i) => i.linkSpeed)),
  ],
};

function subnetIdsOf(n: SimNode): Set<number> {
  const ids = new Set<number>();
  for (const i of n.interfaces) for (const l of i.links) if (l.subnetId !== null) ids.add(l.subnetId);
  return ids;
}

function subnetMatches(state: SimState, spec: string, ids: Set<number>): boolean {
  for (const id of ids) {
    const s = state.subnets.get(id);
    if (!s) continue;
    const [k, v] =
      spec.includes(':') && !spec.includes('::') ? (spec.split(/:(.*)/s) as [string, string]) : ['', spec];
    if (k === '' && (String(s.id) === v || s.cidr === v || s.name === v)) return true;
    if (k === 'name' && s.name === v) return true;
    if (k === 'cidr' && s.cidr === v) return true;
    if ((k === 'vlan' || k === 'vid') && String(state.vlans.get(s.vlanId)?.vid) === v) return true;
    if (k === 'fabric' && state.fabrics.get(state.vlans.get(s.vlanId)?.fabricId ?? -1)?.name === v)
      return true;
    if (k === 'space' && state.vlanSpaceName(s.vlanId) === v) return true;
  }
  return false;
}

function fabricNames(state: SimState, n: SimNode): Set<string> {
  const out = new Set<string>();
  for (const i of n.interfaces) {
    const v = i.vlanId === null ? undefined : state.vlans.get(i.vlanId);
    const f = v ? state.fabrics.get(v.fabricId) : undefined;
    if (f) out.add(f.name);
  }
  return out;
}

/**
 * Validates and compiles constraints. `fields` is the form's field set; unknown keys → `No such constraint.`
 * `singleZonePool` mirrors AcquireNodeForm, where `zone` and `pool` take one value.
 */
export function cleanConstraints(
  state: SimState,
  params: Params,
  fields: ReadonlySet<string>,
  opts: { singleZonePool: boolean },
): Cleaned {
  const errors: Record<string, string[]> = {};
  const matches: Match[] = [];
  const described: string[] = [];
  let storage: StorageConstraint[] | null = null;
  let interfaces: InterfaceConstraints | null = null;
  const add = (key: string, values: string[], m: Match) => {
    matches.push(m);
    described.push(`${key}=${values.join(',')}`);
  };
  for (const key of params.keys()) {
    if (IGNORED_FIELDS.has(key) && !fields.has(key)) continue;
    if (!fields.has(key)) {
      errors[key] = ['No such constraint.'];
      continue;
    }
    let values = params.getAll(key);
    const negate = key.startsWith('not_');
    const base = negate ? key.replace(/^not_(in_)?/, '') : key;
    if (opts.singleZonePool && (key === 'zone' || key === 'pool')) values = values.slice(-1);
    const nonEmpty = values.filter((v) => v !== '');
    if (nonEmpty.length === 0 && !(base in NUMERIC)) continue;
    const sel = (m: Match) => add(key, nonEmpty, negate ? (n) => !m(n) : m);
    switch (base) {
      case 'id':
      case 'system_id':
        sel((n) => nonEmpty.includes(n.systemId));
        break;
      case 'hostname':
      case 'name':
        sel((n) =>
          nonEmpty.some(
            (h) => h === n.hostname || h === `${n.hostname}.${state.domains.get(n.domainId)?.name}`,
          ),
        );
        break;
      case 'mac_address': {
        const bad = nonEmpty.filter((v) => !isMac(v.trim()));
        if (bad.length) errors[key] = bad.map((v) => `'${v}' is not a valid MAC address.`);
        const macs = nonEmpty.map(canonicalMac);
        sel((n) => n.interfaces.some((i) => macs.includes(i.mac.toLowerCase())));
        break;
      }
      case 'domain':
        sel((n) => nonEmpty.includes(state.domains.get(n.domainId)?.name ?? ''));
        break;
      case 'agent_name':
        sel((n) => nonEmpty.includes(n.agentName));
        break;
      case 'owner':
        sel((n) => n.owner !== null && nonEmpty.includes(n.owner));
        break;
      case 'power_state': {
        const bad = nonEmpty.find((v) => !['on', 'off', 'unknown', 'error'].includes(v));
        if (bad !== undefined) errors[key] = [choiceError(bad)];
        sel((n) => nonEmpty.includes(n.powerState));
        break;
      }
      case 'status': {
        const bad = nonEmpty.find((v) => statusByFilterName(v) === undefined);
        if (bad !== undefined) errors[key] = [choiceError(bad)];
        const wanted = new Set(nonEmpty.map((v) => statusByFilterName(v)));
        sel((n) => wanted.has(n.status));
        break;
      }
      case 'simple_status': {
        const bad = nonEmpty.find((v) => !SIMPLE_STATUS_NAMES.includes(v));
        if (bad !== undefined) errors[key] = [choiceError(bad)];
        sel((n) => nonEmpty.includes(simpleStatusOf(n.status)));
        break;
      }
      case 'arch':
        if (nonEmpty.some((a) => !archKnown(a))) errors[key] = ['Architecture not recognised.'];
        sel((n) => nonEmpty.some((a) => archMatches(n, a)));
        break;
      case 'tags': {
        const tags = splitTags(nonEmpty);
        const missing = tags.filter((t) => !state.tags.has(t));
        if (missing.length) errors[key] = [`No such tag(s): ${missing.map((t) => `'${t}'`).join(', ')}.`];
        matches.push(
          negate
            ? (n) => !tags.some((t) => n.tags.includes(t))
            : (n) => tags.every((t) => n.tags.includes(t)),
        );
        described.push(`${key}=${tags.join(',')}`);
        break;
      }
      case 'zone': {
        const missing = nonEmpty.filter((z) => !state.zoneByName(z));
        if (missing.length) errors[key] = [`No such zone(s): ${missing.join(', ')}.`];
        sel((n) => nonEmpty.includes(state.zones.get(n.zoneId)?.name ?? ''));
        break;
      }
      case 'pool': {
        const missing = nonEmpty.filter((p) => !state.poolByName(p));
        if (missing.length) errors[key] = [`No such pool(s): ${missing.join(', ')}.`];
        sel((n) => nonEmpty.includes(state.pools.get(n.poolId)?.name ?? ''));
        break;
      }
      case 'cpu_count':
      case 'cpu_speed':
      case 'mem':
      case 'link_speed': {
        const [message, get] = NUMERIC[base] as [string, (n: SimNode) => number];
        const min = numeric(values, message, errors, key);
        if (min === null) break;
        matches.push((n) => get(n) >= min);
        described.push(`${key}=${pyFloatText(min)}`);
        break;
      }
      case 'pod':
      case 'pod_type':
        // The simulated MAAS has no VM hosts: a pod constraint matches nothing, its negation everything.
        sel(() => false);
        break;
      case 'subnets':
        sel((n) => nonEmpty.some((spec) => subnetMatches(state, spec, subnetIdsOf(n))));
        break;
      case 'fabrics':
        sel((n) => nonEmpty.some((f) => fabricNames(state, n).has(f)));
        break;
      case 'fabric_classes':
        sel(() => false);
        break;
      case 'vlans':
        sel((n) =>
          n.interfaces.some((i) => {
            const v = i.vlanId === null ? undefined : state.vlans.get(i.vlanId);
            return (
              !!v &&
              nonEmpty.some((s) => s === String(v.id) || s === `vid:${v.vid}` || s === `name:${v.name}`)
            );
          }),
        );
        break;
      case 'deployment_target': {
        const bad = nonEmpty.find((v) => v !== 'memory' && v !== 'disk');
        if (bad !== undefined) errors[key] = [choiceError(bad)];
        sel((n) => nonEmpty.includes(n.ephemeralDeploy ? 'memory' : 'disk'));
        break;
      }
      case 'storage': {
        const text = nonEmpty.join(',');
        const parsed = parseStorageConstraints(text);
        if (!parsed) {
          errors[key] = [`Malformed storage constraint, "${text}".`];
          break;
        }
        storage = parsed;
        add(key, nonEmpty, (n) => matchStorage(n, parsed) !== null);
        break;
      }
      case 'interfaces': {
        const parsed = parseInterfaceConstraints(nonEmpty[nonEmpty.length - 1] ?? '');
        if (typeof parsed === 'string') {
          errors[key] = [parsed];
          break;
        }
        interfaces = parsed;
        add(key, nonEmpty, (n) => matchInterfaces(state, n, parsed) !== null);
        break;
      }
      default:
        // `devices` (PCI/USB vendor and product ids) is accepted but not modelled: the simulated machines report no
        // such devices, so it matches nothing.
        add(key, nonEmpty, () => false);
    }
  }
  if (Object.keys(errors).length) throw fieldErrors(errors);
  described.sort();
  return { matches, described, storage, interfaces };
}

/** `NodesHandler.read`: the nodes of one kind a user may see, filtered by `ReadNodesForm`, in id order. */
export function visibleNodes(
  ctx: AuthedCtx,
  kind: (n: SimNode) => boolean,
  fields: ReadonlySet<string> = READ_NODES_FIELDS,
): SimNode[] {
  const cleaned = cleanConstraints(ctx.svc.state, ctx.query, fields, { singleZonePool: false });
  const out: SimNode[] = [];
  for (const n of ctx.svc.state.nodes.values()) {
    if (kind(n) && canView(ctx.user, n) && cleaned.matches.every((m) => m(n))) out.push(n);
  }
  return out;
}
