/**
 * The label-based allocation constraints (MAAS `maasserver/node_constraint_filter_forms.py` `nodes_by_storage`,
 * `nodes_by_interface`; `provisioningserver/utils/constraints.py` `parse_labeled_constraint_map`;
 * `maasserver/models/interface.py` `InterfaceQueriesMixin`): `storage=` and `interfaces=`, and what they matched
 * on each machine (`constraints_by_type`).
 */
import { notFound } from './http.ts';
import type { SimBlockDevice, SimInterface, SimNode, SimPartition, SimState } from './model.ts';
import { effectiveFs, hasTable } from './storage-model.ts';

// ---------------------------------------------------------------- storage=

export interface StorageConstraint {
  /** '' for an unnamed constraint (matched, but not reported in `constraints_by_type`). */
  label: string;
  /** Bytes (the constraint is in GB = 10⁹ bytes, decimals allowed). */
  size: number;
  tags: string[] | null;
}

const STORAGE_ITEM = /(?:([a-zA-Z0-9]+):)?([0-9]+(?:\.[0-9]+)?)(?:\(([^)]+)\))?/g;

/**
 * `get_storage_constraints_from_string`: null when the text does not re-render identically (MAAS then answers
 * `Malformed storage constraint`). The first constraint stays first; the rest are sorted by tag count, descending.
 */
export function parseStorageConstraints(text: string): StorageConstraint[] | null {
  const items = [...text.matchAll(STORAGE_ITEM)];
  const rendered = items
    .map((m) => `${m[1] ? `${m[1]}:` : ''}${m[2]}${m[3] !== undefined ? `(${m[3]})` : ''}`)
    .join(',');
  if (items.length === 0 || rendered !== text) return null;
  const all = items.map((m) => ({
    label: m[1] ?? '',
    size: Math.trunc(Number(m[2]) * 1000 ** 3),
    tags: m[3] === undefined ? null : m[3].split(','),
  }));
  const [head, ...tail] = all;
  tail.sort((a, b) => (b.tags?.length ?? 0) - (a.tags?.length ?? 0));
  return head ? [head, ...tail] : [];
}

type Matched = Map<string, string>;

const key = (dev: SimBlockDevice, part: SimPartition | null) =>
  part ? `partition:${part.id}` : String(dev.id);
const hasTags = (have: string[], want: string[]) => want.every((t) => have.includes(t));

/**
 * `nodes_by_storage` for one machine: device key → label, or null when the machine does not satisfy every
 * constraint. The first constraint is the device holding `/` (directly or through a partition); the others take
 * unused devices (or, with the `partition` tag, unused partitions), smallest first.
 */
export function matchStorage(n: SimNode, constraints: readonly StorageConstraint[]): Matched | null {
  const matched: Matched = new Map();
  for (const [i, c] of constraints.entries()) {
    const wantPartition = c.tags?.includes('partition') ?? false;
    const tags = (c.tags ?? []).filter((t) => t !== 'partition');
    let found: string | undefined;
    if (i === 0) {
      for (const dev of n.blockDevices) {
        if (dev.filesystem?.mountPoint === '/' && !wantPartition) {
          if (dev.size >= c.size && hasTags(dev.tags, tags)) found = key(dev, null);
        }
        for (const part of dev.partitions) {
          if (part.filesystem?.mountPoint !== '/') continue;
          if (wantPartition) {
            if (part.size >= c.size && hasTags(part.tags, tags)) found = key(dev, part);
          } else if (dev.size >= c.size && hasTags(dev.tags, tags)) found = key(dev, null);
        }
        if (found) break;
      }
    } else if (wantPartition) {
      const parts = n.blockDevices
        .flatMap((dev) => dev.partitions.map((part) => ({ dev, part })))
        .filter(({ part }) => effectiveFs(part) === null && part.size >= c.size && hasTags(part.tags, tags))
        .sort((a, b) => a.part.size - b.part.size);
      found = parts.map(({ dev, part }) => key(dev, part)).find((k) => !matched.has(k));
    } else {
      const devs = n.blockDevices
        .filter((d) => effectiveFs(d) === null && !hasTable(d) && d.size >= c.size && hasTags(d.tags, tags))
        .sort((a, b) => a.size - b.size);
      found = devs.map((d) => key(d, null)).find((k) => !matched.has(k));
    }
    if (found === undefined) return null;
    matched.set(found, c.label);
  }
  return matched;
}

/** The `storage` part of `constraints_by_type`: named labels only, each with the devices it matched. */
export function storageByLabel(matched: Matched): Record<string, (number | string)[]> {
  const out: Record<string, (number | string)[]> = {};
  for (const [k, label] of matched) {
    if (label === '') continue;
    const list = out[label] ?? [];
    list.push(/^\d+$/.test(k) ? Number(k) : k);
    out[label] = list;
  }
  return out;
}

// ---------------------------------------------------------------- interfaces=

const LABEL_RE = /^[a-zA-Z0-9]+[a-zA-Z0-9_-]*$/;
const FORMAT = '<label>:<key>=<value>[,<key2>=<value2>[,...]]';

/** `NETWORKING_CONSTRAINT_NAMES` (each also takes a `not_` form, except `mode`). */
const INTERFACE_KEYS = new Set([
  'id',
  'fabric',
  'fabric_class',
  'ip',
  'mode',
  'name',
  'hostname',
  'subnet',
  'space',
  'subnet_cidr',
  'type',
  'vlan',
  'vid',
  'tag',
  'link_speed',
]);

export type InterfaceConstraints = Map<string, Map<string, string[]>>;

/**
 * `parse_labeled_constraint_map`: `label:key=value,key=value;label:…`. Returns the error text MAAS puts under
 * `interfaces` when the text is not valid.
 */
export function parseInterfaceConstraints(text: string): InterfaceConstraints | string {
  const out: InterfaceConstraints = new Map();
  for (const part of text.split(';')) {
    const colon = part.indexOf(':');
    const label = colon < 0 ? '' : part.slice(0, colon);
    const body = colon < 0 ? '' : part.slice(colon + 1);
    if (!LABEL_RE.test(label) || body === '')
      return `Malformed constraint: '${part}' (required format: '${FORMAT}')`;
    if (out.has(label)) return `Constraint label defined more than once: '${label}'`;
    const pairs = new Map<string, string[]>();
    for (const pair of body.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return `Malformed constraint: '${part}' (required format: '${FORMAT}')`;
      const k = pair.slice(0, eq);
      const bare = k.startsWith('not_') ? k.slice(4) : k;
      // MAAS's own text misses the closing quote.
      if (!INTERFACE_KEYS.has(bare) || (k !== bare && bare === 'mode'))
        return `Unknown interfaces constraint: '${k}`;
      pairs.set(k, [...(pairs.get(k) ?? []), pair.slice(eq + 1)]);
    }
    out.set(label, pairs);
  }
  return out;
}

function subnetsOf(i: SimInterface): number[] {
  return i.links.flatMap((l) => (l.subnetId === null ? [] : [l.subnetId]));
}

/** Whether one value of one key matches the interface (`InterfaceQueriesMixin` filters). */
function matchesValue(state: SimState, n: SimNode, i: SimInterface, k: string, v: string): boolean {
  const vlan = i.vlanId === null ? undefined : state.vlans.get(i.vlanId);
  const fabric = vlan ? state.fabrics.get(vlan.fabricId) : undefined;
  switch (k) {
    case 'id':
      return String(i.id) === v;
    case 'name':
      return i.name === v;
    case 'hostname':
      return n.hostname === v;
    case 'type':
      return i.type === v;
    case 'fabric':
      return !!fabric && (String(fabric.id) === v || (fabric.name || `fabric-${fabric.id}`) === v);
    case 'fabric_class':
      return fabric?.classType === v;
    case 'vid':
      return vlan !== undefined && String(vlan.vid) === v;
    case 'vlan': {
      if (!vlan) return false;
      const [spec, val] = v.includes(':') ? (v.split(/:(.*)/s) as [string, string]) : ['id', v];
      if (spec === 'id') return String(vlan.id) === val;
      if (spec === 'vid') return String(vlan.vid) === val;
      if (spec === 'name') return vlan.name === val;
      return false;
    }
    case 'space': {
      if (v === 'undefined') return vlan !== undefined && vlan.spaceId === null;
      const space = state.spaceBySpec(v);
      // An unknown space is a 404 while filtering, not a form error.
      if (!space) throw notFound('No Space matches the given query.');
      return vlan?.spaceId === space.id;
    }
    case 'subnet':
      return subnetsOf(i).some((id) => {
        const s = state.subnets.get(id);
        const bare = v.replace(/^(cidr|name):/, '');
        return !!s && (String(s.id) === v || s.cidr === bare || s.name === bare);
      });
    case 'subnet_cidr':
      return subnetsOf(i).some((id) => state.subnets.get(id)?.cidr === v);
    case 'ip':
      return i.links.some((l) => l.ip === v);
    case 'tag':
      return v.split('&&').every((t) => i.tags.includes(t));
    case 'link_speed':
      return i.linkSpeed >= Number(v);
    case 'mode':
      return v === 'unconfigured' && i.links.every((l) => l.mode === 'link_up' && l.subnetId === null);
    default:
      return false;
  }
}

/** The interfaces of `n` matching one label: values of one key are ORed, different keys ANDed. */
export function matchingInterfaces(
  state: SimState,
  n: SimNode,
  pairs: Map<string, string[]>,
): SimInterface[] {
  return n.interfaces.filter((i) =>
    [...pairs].every(([k, values]) => {
      const negate = k.startsWith('not_');
      const bare = negate ? k.slice(4) : k;
      const any = values.some((v) => matchesValue(state, n, i, bare, v));
      return negate ? !any : any;
    }),
  );
}

/** Every label matched by at least one interface of `n` (labels may share an interface): label → interface ids. */
export function matchInterfaces(
  state: SimState,
  n: SimNode,
  c: InterfaceConstraints,
): Record<string, number[]> | null {
  const out: Record<string, number[]> = {};
  for (const [label, pairs] of c) {
    const ids = matchingInterfaces(state, n, pairs).map((i) => i.id);
    if (ids.length === 0) return null;
    out[label] = ids;
  }
  return out;
}
