/**
 * Node permissions without RBAC (MAAS `maasserver/auth/local.py`) and the `get_node_or_404` lookups that apply them.
 */
import { forbidden, notFound } from './http.ts';
import type { SimNode, SimState, SimUserRecord } from './model.ts';

export type Perm = 'view' | 'edit' | 'admin' | 'admin_read' | 'lock';

/** A rack controller (a region+rack counts as both). */
export const isRack = (n: SimNode) => n.kind === 'rack' || n.kind === 'region+rack';
export const isRegion = (n: SimNode) => n.kind === 'region' || n.kind === 'region+rack';

export function canView(user: SimUserRecord, n: SimNode): boolean {
  if (user.isSuperuser) return true;
  if (n.kind !== 'machine' && n.kind !== 'device') return false;
  return n.owner === null || n.owner === user.username;
}

export function hasPerm(user: SimUserRecord, n: SimNode, perm: Perm): boolean {
  const ownerOk = n.owner === null || n.owner === user.username || user.isSuperuser;
  switch (perm) {
    case 'view':
      return canView(user, n);
    case 'edit':
      return ownerOk && !n.locked && (n.kind === 'machine' || n.kind === 'device' || user.isSuperuser);
    case 'lock':
      return ownerOk;
    case 'admin':
      return user.isSuperuser && !n.locked;
    case 'admin_read':
      return user.isSuperuser;
  }
}

const MODEL_NAMES: Record<string, string> = {
  machine: 'Machine',
  device: 'Device',
  rack: 'RackController',
  region: 'RegionController',
  node: 'Node',
};

/**
 * `get_node_or_404`: 404 `No <Model> matches the given query.` for an unknown id or the wrong kind, then 403 with
 * an empty body when the permission fails (a locked machine fails edit and admin).
 */
export function getNodeOr404(
  state: SimState,
  user: SimUserRecord,
  systemId: string,
  perm: Perm,
  kind: 'machine' | 'device' | 'rack' | 'region' | 'node',
): SimNode {
  const n = state.nodes.get(systemId);
  const kindOk =
    n !== undefined &&
    (kind === 'node' ||
      n.kind === kind ||
      (kind === 'rack' && isRack(n)) ||
      (kind === 'region' && isRegion(n)));
  if (!n || !kindOk) throw notFound(`No ${MODEL_NAMES[kind]} matches the given query.`);
  if (!hasPerm(user, n, perm)) throw forbidden();
  return n;
}
