/**
 * `/spaces/` and `/spaces/{id}/` (MAAS `maasserver/api/spaces.py`): spaces group VLANs, and a subnet is in its VLAN's
 * space. Any logged-in user reads; writes are for admins. While any VLAN has no space, the list ends with MAAS's
 * `undefined` pseudo-space (id -1), which Juju 2.0 relies on and which cannot be modified or deleted.
 */
import { adminOnly, badRequest, deletedResponse, forbidden, notFound } from './http.ts';
import { cleanName } from './inventory.ts';
import type { SimSpace, SimState } from './model.ts';
import { API } from './paths.ts';
import { renderSubnet, renderVlan } from './render-net.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';

const UNDEFINED = 'undefined';
const UNDEFINED_ID = -1;
const UNDEFINED_DESCRIPTION =
  'Backward compatibility object to ensure objects not associated with a space can be found.';

function hasUndefinedSpace(state: SimState): boolean {
  for (const v of state.vlans.values()) if (v.spaceId === null) return true;
  return false;
}

/** One space's JSON; `null` is the `undefined` pseudo-space. */
function renderSpace(state: SimState, space: SimSpace | null): Record<string, unknown> {
  const id = space?.id ?? null;
  const vlans = [...state.vlans.values()].filter((v) => v.spaceId === id);
  const vlanIds = new Set(vlans.map((v) => v.id));
  return {
    resource_uri: `${API}spaces/${space ? space.id : UNDEFINED}/`,
    id: space ? space.id : UNDEFINED_ID,
    name: space ? state.spaceName(space) : UNDEFINED,
    vlans: vlans.map((v) => renderVlan(state, v)),
    subnets: [...state.subnets.values()]
      .filter((s) => vlanIds.has(s.vlanId))
      .map((s) => renderSubnet(state, s)),
    description: space ? space.description : UNDEFINED_DESCRIPTION,
  };
}

/** `get_space_or_404`: by id or name. */
function spaceArg(ctx: AuthedCtx): SimSpace {
  const s = ctx.svc.state.spaceBySpec(ctx.args[0] ?? '');
  if (!s) throw notFound('No Space matches the given query.');
  return s;
}

const isUndefinedArg = (ctx: AuthedCtx) => ctx.args[0] === String(UNDEFINED_ID) || ctx.args[0] === UNDEFINED;

const readSpace: Handler = (ctx) => {
  const { state } = ctx.svc;
  // `-1` is always the pseudo-space; its name only while some VLAN has no space.
  if (ctx.args[0] === String(UNDEFINED_ID) || (ctx.args[0] === UNDEFINED && hasUndefinedSpace(state))) {
    return renderSpace(state, null);
  }
  return renderSpace(state, spaceArg(ctx));
};

/** `SpaceForm`: `name` (optional: an unnamed space shows as `space-<id>`) and `description`. */
function cleanSpaceName(ctx: AuthedCtx, current: SimSpace | null): string | undefined {
  const { state } = ctx.svc;
  return cleanName(ctx, 'Space', false, (n) =>
    [...state.spaces.values()].some((s) => s !== current && state.spaceName(s) === n),
  );
}

const createSpace: Handler = (ctx) => {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const { state } = ctx.svc;
  const name = cleanSpaceName(ctx, null);
  const id = state.nextId('space');
  const space: SimSpace = { id, name: name ?? null, description: ctx.data.get('description') ?? '' };
  state.spaces.set(id, space);
  return renderSpace(state, space);
};

const updateSpace: Handler = (ctx) => {
  if (isUndefinedArg(ctx)) throw badRequest(`Space cannot be modified: ${UNDEFINED}`);
  const space = spaceArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  const name = cleanSpaceName(ctx, space);
  if (name) space.name = name;
  if (ctx.data.has('description')) space.description = ctx.data.get('description') ?? '';
  return renderSpace(ctx.svc.state, space);
};

const deleteSpace: Handler = (ctx) => {
  if (isUndefinedArg(ctx)) throw badRequest(`Space cannot be deleted: ${UNDEFINED}`);
  const space = spaceArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  const { state } = ctx.svc;
  // The VLANs stay, in no space (the foreign key is nulled).
  for (const v of state.vlans.values()) if (v.spaceId === space.id) v.spaceId = null;
  state.spaces.delete(space.id);
  return deletedResponse();
};

export const spaceResources: Resource[] = [
  {
    name: 'SpacesHandler',
    pattern: /^spaces\/$/,
    handlers: {
      GET: (ctx) => {
        const { state } = ctx.svc;
        const out = [...state.spaces.values()].map((s) => renderSpace(state, s));
        if (hasUndefinedSpace(state)) out.push(renderSpace(state, null));
        return out;
      },
      POST: createSpace,
    },
  },
  {
    name: 'SpaceHandler',
    pattern: /^spaces\/([^/]+)\/$/,
    handlers: { GET: readSpace, PUT: updateSpace, DELETE: deleteSpace },
  },
];
