/** Tags (MAAS `maasserver/api/tags.py`): CRUD for superusers, node listings, and `update_nodes`. */
import { conflict, deletedResponse, fieldError, fieldErrors, forbidden, notFound } from './http.ts';
import type { SimNode, SimTag } from './model.ts';
import { canView, isRack, isRegion } from './perm.ts';
import { renderAnyNode, renderController, renderDevice, renderMachine, renderTag } from './render.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';
import { touch } from './tx.ts';

const TAG_NAME_RE = /^[a-zA-Z0-9_-]+$/;

function cleanTagName(ctx: AuthedCtx, current: string | null): string | undefined {
  const name = ctx.data.get('name');
  if (name === undefined || name === '') {
    if (current === null) throw fieldError('name', 'This field is required.');
    return undefined;
  }
  const errors: string[] = [];
  if (!TAG_NAME_RE.test(name)) errors.push('Enter a valid value.');
  if (name.length > 256) errors.push(`Ensure this value has at most 256 characters (it has ${name.length}).`);
  if (name !== current && ctx.svc.state.tags.has(name)) errors.push('Tag with this Name already exists.');
  if (errors.length) throw fieldErrors({ name: errors });
  return name;
}

function tagArg(ctx: AuthedCtx): SimTag {
  const t = ctx.svc.state.tags.get(ctx.args[0] ?? '');
  if (!t) throw notFound('No Tag matches the given query.');
  return t;
}

const superuserOnly = (ctx: AuthedCtx) => {
  if (!ctx.user.isSuperuser) throw forbidden();
};

const createTag: Handler = (ctx) => {
  superuserOnly(ctx);
  const name = cleanTagName(ctx, null) ?? '';
  const tag: SimTag = {
    name,
    definition: ctx.data.get('definition') ?? '',
    comment: ctx.data.get('comment') ?? '',
    kernelOpts: ctx.data.get('kernel_opts') ?? '',
  };
  ctx.svc.state.tags.set(name, tag);
  return renderTag(tag);
};

const updateTag: Handler = (ctx) => {
  const tag = tagArg(ctx);
  superuserOnly(ctx);
  const name = cleanTagName(ctx, tag.name);
  const { state } = ctx.svc;
  if (name && name !== tag.name) {
    for (const n of state.nodes.values()) {
      if (!n.tags.includes(tag.name)) continue;
      touch(n);
      n.tags = n.tags.map((t) => (t === tag.name ? name : t));
    }
    state.tags.delete(tag.name);
    tag.name = name;
    state.tags.set(name, tag);
  }
  if (ctx.data.has('comment')) tag.comment = ctx.data.get('comment') ?? '';
  if (ctx.data.has('definition')) tag.definition = ctx.data.get('definition') ?? '';
  if (ctx.data.has('kernel_opts')) tag.kernelOpts = ctx.data.get('kernel_opts') ?? '';
  return renderTag(tag);
};

const deleteTag: Handler = (ctx) => {
  const tag = tagArg(ctx);
  superuserOnly(ctx);
  for (const n of ctx.svc.state.nodes.values()) {
    if (!n.tags.includes(tag.name)) continue;
    touch(n);
    n.tags = n.tags.filter((t) => t !== tag.name);
  }
  ctx.svc.state.tags.delete(tag.name);
  return deletedResponse();
};

function tagged(kind: (n: SimNode) => boolean, render: (ctx: AuthedCtx, n: SimNode) => unknown): Handler {
  return (ctx) => {
    const tag = tagArg(ctx);
    const out: unknown[] = [];
    for (const n of ctx.svc.state.nodes.values()) {
      if (kind(n) && n.tags.includes(tag.name) && canView(ctx.user, n)) out.push(render(ctx, n));
    }
    return out;
  };
}

const updateNodes: Handler = (ctx) => {
  const tag = tagArg(ctx);
  superuserOnly(ctx);
  const definition = ctx.data.get('definition');
  if (definition !== undefined && definition !== tag.definition) {
    throw conflict(
      `Definition supplied '${definition}' doesn't match current definition '${tag.definition}'`,
    );
  }
  const { state } = ctx.svc;
  // Unknown system_ids are silently ignored, as MAAS does.
  const toAdd = ctx.data
    .getAll('add')
    .map((id) => state.nodes.get(id))
    .filter((n): n is SimNode => !!n);
  const toRemove = ctx.data
    .getAll('remove')
    .map((id) => state.nodes.get(id))
    .filter((n): n is SimNode => !!n);
  for (const n of toAdd) if (!n.tags.includes(tag.name)) n.tags = [...n.tags, tag.name];
  for (const n of toRemove) n.tags = n.tags.filter((t) => t !== tag.name);
  return { added: toAdd.length, removed: toRemove.length };
};

export const tagsResource: Resource = {
  name: 'TagsHandler',
  pattern: /^tags\/$/,
  handlers: { GET: (ctx) => [...ctx.svc.state.tags.values()].map(renderTag), POST: createTag },
};

export const tagResource: Resource = {
  name: 'TagHandler',
  pattern: /^tags\/([^/]+)\/$/,
  handlers: {
    GET: (ctx) => renderTag(tagArg(ctx)),
    PUT: updateTag,
    DELETE: deleteTag,
    'GET nodes': tagged(
      () => true,
      (ctx, n) => renderAnyNode(ctx.svc.state, n),
    ),
    'GET machines': tagged(
      (n) => n.kind === 'machine',
      (ctx, n) => renderMachine(ctx.svc.state, n),
    ),
    'GET devices': tagged(
      (n) => n.kind === 'device',
      (ctx, n) => renderDevice(ctx.svc.state, n),
    ),
    'GET rack_controllers': tagged(isRack, (ctx, n) => renderController(ctx.svc.state, n, 'rack')),
    'GET region_controllers': tagged(isRegion, (ctx, n) => renderController(ctx.svc.state, n, 'region')),
    'POST update_nodes': updateNodes,
    'POST rebuild': (ctx) => {
      const tag = tagArg(ctx);
      superuserOnly(ctx);
      return { rebuilding: tag.name };
    },
  },
};
