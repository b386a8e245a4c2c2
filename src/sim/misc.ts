/** `/version/`, `/describe/` (both open to anyone: MAAS `maasserver/urls_api.py`) and `/users/` (`maasserver/api/users.py`). */
import { notFound, plainViewResponse } from './http.ts';
import { pyDumps } from './json.ts';
import type { SimUserRecord } from './model.ts';
import { API, API_HASH } from './paths.ts';
import type { Resource } from './router.ts';
import { MAAS_VERSION } from './seed-inventory.ts';

const CAPABILITIES = [
  'networks-management',
  'static-ipaddresses',
  'ipv6-deployment-ubuntu',
  'devices-management',
  'storage-deployment-ubuntu',
  'network-deployment-ubuntu',
  'bridging-interface-ubuntu',
  'bridging-automatic-ubuntu',
  'authenticate-api',
];

export function renderUser(u: SimUserRecord): Record<string, unknown> {
  return {
    is_superuser: u.isSuperuser,
    username: u.username,
    email: u.email,
    is_local: true,
    resource_uri: `${API}users/${u.username}/`,
  };
}

export const versionResource: Resource = {
  name: 'VersionHandler',
  pattern: /^version\/$/,
  open: true,
  handlers: { GET: () => ({ capabilities: CAPABILITIES, version: MAAS_VERSION, subversion: '' }) },
};

/**
 * `/describe/` is generated from the simulator's own resource table, in the shape python-libmaas reads. Like
 * MAAS's plain Django view (MAAS `maasserver/urls_api.py`): `application/json` without a charset, `sort_keys=True`,
 * handler URIs absolute from the request's host, the hash in the body and no `X-MAAS-API-Hash` header.
 */
export function describeResource(resources: () => Resource[]): Resource {
  return {
    name: 'DescribeHandler',
    pattern: /^describe\/$/,
    open: true,
    handlers: {
      GET: (ctx) =>
        plainViewResponse(pyDumps(description(ctx.origin, resources()), true), 'application/json'),
    },
  };
}

function description(origin: string, resources: Resource[]): Record<string, unknown> {
  const actions = (table: Record<string, unknown>) =>
    Object.keys(table).map((k) => {
      const [method, op] = k.split(' ');
      return { method, op: op ?? null, name: op ?? method?.toLowerCase(), doc: '', restful: !op };
    });
  return {
    doc: 'MAAS API (simulated)',
    hash: API_HASH,
    resources: resources.map((r) => {
      const path = `${API}${r.pattern.source
        .replace(/^\^|\$$/g, '')
        .replace(/\\\//g, '/')
        .replace(/\([^)]*\)/g, '{id}')}`;
      const handler = (name: string, table: Record<string, unknown>) => ({
        name,
        uri: `${origin}${path}`,
        path,
        params: [],
        doc: '',
        actions: actions(table),
      });
      return {
        name: r.name,
        auth: handler(r.name, r.handlers),
        anon: r.anon ? handler(`Anon${r.name}`, r.anon) : null,
      };
    }),
  };
}

export const userResources: Resource[] = [
  {
    name: 'UsersHandler',
    pattern: /^users\/$/,
    handlers: {
      GET: (ctx) => [...ctx.svc.state.users.values()].filter((u) => u.isActive).map(renderUser),
      'GET whoami': (ctx) => renderUser(ctx.user),
    },
  },
  {
    name: 'UserHandler',
    pattern: /^users\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => {
        const u = ctx.svc.state.users.get(ctx.args[0] ?? '');
        if (!u) throw notFound('No User matches the given query.');
        return renderUser(u);
      },
    },
  },
];
