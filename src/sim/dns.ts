/**
 * Domains, DNS resources and DNS resource records (MAAS `maasserver/api/domains.py`, `dnsresources.py`,
 * `dnsresourcerecords.py`; `maasserver/forms/dnsresource.py`, `maasserver/models/dnsresource.py`, `dnsdata.py`).
 * Any user reads; writes are for admins. A/AAAA records are a resource's `ip_addresses`; the other types
 * (CNAME, MX, NS, SRV, SSHFP, TXT) are resource records.
 */
import { ipInSubnet, subnetOfIp } from './addressing.ts';
import {
  adminOnly,
  badRequest,
  deletedResponse,
  fieldErrors,
  forbidden,
  intField,
  notFound,
  SimHttpError,
} from './http.ts';
import { renderUser } from './misc.ts';
import type { SimDnsRecord, SimDnsResource, SimDomain, SimNode, SimState, SimUserRecord } from './model.ts';
import { API } from './paths.ts';
import { renderDomain } from './render.ts';
import { renderInterface, renderSubnet } from './render-net.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';

type Errors = Record<string, string[]>;

/** `validate_rrtype`: the record types `/dnsresourcerecords/` takes (MAAS prints them from a set, in no fixed order). */
const RRTYPES = ['CNAME', 'MX', 'NS', 'SRV', 'SSHFP', 'TXT'];
const LABEL_RE = /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,62}[a-zA-Z0-9])?$/;
const MAX_TTL = 2 ** 31 - 1;

/**
 * `validate_dnsresource_name`: a name with addresses is one label, `@`, `*` or empty; other records may also use
 * the underscore labels of SRV and TXT names (`_sip._tcp`, `_acme-challenge`).
 */
function validName(name: string, addresses = true): boolean {
  if (name === '' || name === '@' || name === '*' || LABEL_RE.test(name)) return true;
  return (
    !addresses &&
    /^_?[a-zA-Z0-9]([-a-zA-Z0-9]{0,62}[a-zA-Z0-9])?(\._?[a-zA-Z0-9]([-a-zA-Z0-9]{0,62}[a-zA-Z0-9])?)*$/.test(
      name,
    )
  );
}

function domainOf(state: SimState, r: SimDnsResource): SimDomain {
  return state.domains.get(r.domainId) ?? state.defaultDomain();
}

function fqdnOf(state: SimState, r: SimDnsResource): string {
  const domain = domainOf(state, r).name;
  return r.name === '@' || r.name === '' ? domain : `${r.name}.${domain}`;
}

/** A domain by name or id. */
function domainBySpec(state: SimState, spec: string): SimDomain | undefined {
  if (/^\d+$/.test(spec)) return state.domains.get(Number(spec));
  return state.domainByName(spec);
}

/** `fqdn` → (name, domain): split at the first label; an fqdn that is itself a domain is that domain's `@`. */
function splitFqdn(state: SimState, fqdn: string): { name: string; domain: SimDomain | undefined } {
  const whole = state.domainByName(fqdn);
  if (whole) return { name: '@', domain: whole };
  const dot = fqdn.indexOf('.');
  if (dot < 0) return { name: fqdn, domain: undefined };
  return { name: fqdn.slice(0, dot), domain: state.domainByName(fqdn.slice(dot + 1)) };
}

const userOrNull = (u: SimUserRecord | undefined) => (u ? renderUser(u) : null);

/** The node holding an address and its interfaces with that address. */
function holder(state: SimState, ip: string): { node: SimNode; mode: string } | undefined {
  const node = state.nodes.get(state.ips.get(ip) ?? '');
  if (!node) return undefined;
  for (const i of node.interfaces) for (const l of i.links) if (l.ip === ip) return { node, mode: l.mode };
  return undefined;
}

/** An address as `IPAddressesHandler` shows it. */
function renderIp(state: SimState, ip: string): Record<string, unknown> {
  const held = holder(state, ip);
  const reserved = state.reservedIps.get(ip);
  const subnet = reserved?.subnetId != null ? state.subnets.get(reserved.subnetId) : subnetOfIp(state, ip);
  // `IPADDRESS_TYPE`: AUTO 0 "Automatic", STICKY 1 "Static", USER_RESERVED 4 "User reserved".
  const [type, typeName] = held
    ? held.mode === 'auto'
      ? [0, 'Automatic']
      : [1, 'Static']
    : [4, 'User reserved'];
  const interfaces = held ? held.node.interfaces.filter((i) => i.links.some((l) => l.ip === ip)) : [];
  return {
    alloc_type: type,
    alloc_type_name: typeName,
    created: new Date(reserved?.created ?? 0).toISOString().replace('Z', ''),
    ip,
    owner: userOrNull(reserved ? state.users.get(reserved.owner) : undefined),
    interface_set: held ? interfaces.map((i) => renderInterface(state, held.node, i)) : [],
    subnet: subnet ? renderSubnet(state, subnet) : null,
    resource_uri: `${API}ipaddresses/`,
  };
}

function renderRecord(state: SimState, d: SimDnsRecord): Record<string, unknown> {
  const r = state.dnsResources.get(d.resourceId);
  return {
    id: d.id,
    fqdn: r ? fqdnOf(state, r) : '',
    ttl: d.ttl,
    rrtype: d.rrtype,
    rrdata: d.rrdata,
    resource_uri: `${API}dnsresourcerecords/${d.id}/`,
  };
}

function recordsOf(state: SimState, r: SimDnsResource): SimDnsRecord[] {
  return [...state.dnsRecords.values()].filter((d) => d.resourceId === r.id);
}

function renderResource(state: SimState, r: SimDnsResource): Record<string, unknown> {
  return {
    id: r.id,
    fqdn: fqdnOf(state, r),
    address_ttl: r.addressTtl,
    ip_addresses: r.ips.map((ip) => renderIp(state, ip)),
    resource_records: recordsOf(state, r).map((d) => renderRecord(state, d)),
    resource_uri: `${API}dnsresources/${r.id}/`,
  };
}

// ---------------------------------------------------------------- the shared name/domain/fqdn fields

/**
 * `name` + `domain` (a name or id), or `fqdn` when neither is given. An unknown domain is a 404
 * (`No Domain matches the given query.`).
 */
function nameAndDomain(ctx: AuthedCtx, current?: SimDnsResource): { name: string; domain: SimDomain } | null {
  const { state } = ctx.svc;
  const d = ctx.data;
  const name = d.get('name');
  const domainSpec = d.get('domain');
  const fqdn = d.get('fqdn');
  if (name === undefined && domainSpec === undefined) {
    if (fqdn === undefined || fqdn === '') {
      if (current) return null;
      throw fieldErrors({ name: ['This field is required.'], domain: ['This field is required.'] });
    }
    const split = splitFqdn(state, fqdn);
    if (!split.domain) throw notFound('No Domain matches the given query.');
    return { name: split.name, domain: split.domain };
  }
  let domain = current ? domainOf(state, current) : undefined;
  if (domainSpec !== undefined) {
    domain = domainBySpec(state, domainSpec);
    if (!domain) throw notFound('No Domain matches the given query.');
  }
  if (!domain) throw fieldErrors({ domain: ['This field is required.'] });
  return { name: name ?? current?.name ?? '', domain };
}

/** A TTL: blank means the default (null). */
function cleanTtl(ctx: AuthedCtx, key: string, errors: Errors): number | null | undefined {
  const v = ctx.data.get(key);
  if (v !== undefined && v.trim() === '') return null;
  return intField(ctx.data, key, errors, { min: 0, max: MAX_TTL });
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;

function looksLikeIp(text: string): boolean {
  if (IPV4.test(text)) return text.split('.').every((p) => Number(p) <= 255);
  return /^[0-9a-f:]+$/i.test(text) && text.includes(':');
}

/**
 * `ip_addresses`: one whitespace-separated string (a repeated key keeps the last). Each item is an address or the
 * id of an address MAAS holds; an address MAAS does not track becomes USER_RESERVED, owned by the caller.
 */
function cleanIps(ctx: AuthedCtx): string[] | undefined {
  const raw = ctx.data.get('ip_addresses');
  if (raw === undefined) return undefined;
  const out: string[] = [];
  for (const item of raw.split(/\s+/).filter(Boolean)) {
    if (!looksLikeIp(item)) {
      // MAAS passes what it cannot parse to the database, which refuses it.
      throw new SimHttpError(500, `invalid input syntax for type inet: "${item}"`);
    }
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

function reserveUnknown(ctx: AuthedCtx, ips: string[]): void {
  const { state, clock } = ctx.svc;
  for (const ip of ips) {
    if (state.ips.has(ip) || state.reservedIps.has(ip)) continue;
    const subnet = subnetOfIp(state, ip);
    state.reservedIps.set(ip, {
      ip,
      subnetId: subnet && ipInSubnet(ip, subnet) ? subnet.id : null,
      owner: ctx.user.username,
      created: clock.now(),
    });
  }
}

/** USER_RESERVED addresses no resource lists any more go back. */
function releaseOrphans(state: SimState, ips: string[]): void {
  for (const ip of ips) {
    if (!state.reservedIps.has(ip)) continue;
    if ([...state.dnsResources.values()].some((r) => r.ips.includes(ip))) continue;
    state.reservedIps.delete(ip);
  }
}

function checkLabel(
  state: SimState,
  name: string,
  domain: SimDomain,
  self: SimDnsResource | null,
  errors: Errors,
): void {
  if (!validName(name)) {
    errors.__all__ = [`Invalid dnsresource name: ${name}.`];
    return;
  }
  const clash = [...state.dnsResources.values()].find(
    (r) => r !== self && r.domainId === domain.id && r.name === name,
  );
  if (clash) errors.__all__ = ['Labels must be unique within their zone.'];
}

// ---------------------------------------------------------------- /dnsresources/

function resourceArg(ctx: AuthedCtx): SimDnsResource {
  const r = ctx.svc.state.dnsResources.get(Number(ctx.args[0]));
  if (!r || !/^\d+$/.test(ctx.args[0] ?? '')) throw notFound('No DNSResource matches the given query.');
  return r;
}

function filterResources(ctx: AuthedCtx): SimDnsResource[] {
  const { state } = ctx.svc;
  const q = ctx.query;
  const fqdn = q.get('fqdn');
  const domain = q.get('domain');
  const name = q.get('name');
  const rrtype = q.get('rrtype');
  return [...state.dnsResources.values()].filter((r) => {
    if (fqdn !== undefined && fqdnOf(state, r) !== fqdn) return false;
    if (domain !== undefined && domainBySpec(state, domain)?.id !== r.domainId) return false;
    if (name !== undefined && r.name !== name) return false;
    if (rrtype !== undefined) {
      const types = new Set(recordsOf(state, r).map((d) => d.rrtype));
      if (r.ips.some((ip) => !ip.includes(':'))) types.add('A');
      if (r.ips.some((ip) => ip.includes(':'))) types.add('AAAA');
      if (!types.has(rrtype.toUpperCase())) return false;
    }
    return true;
  });
}

const createResource: Handler = (ctx) => {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const { state } = ctx.svc;
  const where = nameAndDomain(ctx) as { name: string; domain: SimDomain };
  const errors: Errors = {};
  const ttl = cleanTtl(ctx, 'address_ttl', errors);
  const ips = cleanIps(ctx) ?? [];
  checkLabel(state, where.name, where.domain, null, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  reserveUnknown(ctx, ips);
  const id = state.nextId('dnsresource');
  const r: SimDnsResource = { id, name: where.name, domainId: where.domain.id, addressTtl: ttl ?? null, ips };
  state.dnsResources.set(id, r);
  return renderResource(state, r);
};

const updateResource: Handler = (ctx) => {
  const r = resourceArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  const { state } = ctx.svc;
  const where = nameAndDomain(ctx, r);
  const errors: Errors = {};
  const ttl = cleanTtl(ctx, 'address_ttl', errors);
  const ips = cleanIps(ctx);
  if (where) checkLabel(state, where.name, where.domain, r, errors);
  if (ips?.length && recordsOf(state, r).some((d) => d.rrtype === 'CNAME')) {
    errors.__all__ = ['Cannot add address: CNAME present.'];
  }
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (where) {
    r.name = where.name;
    r.domainId = where.domain.id;
  }
  if (ttl !== undefined) r.addressTtl = ttl;
  if (ips) {
    const before = r.ips;
    reserveUnknown(ctx, ips);
    r.ips = ips;
    releaseOrphans(state, before);
  }
  return renderResource(state, r);
};

const deleteResource: Handler = (ctx) => {
  const r = resourceArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  const { state } = ctx.svc;
  for (const d of recordsOf(state, r)) state.dnsRecords.delete(d.id);
  state.dnsResources.delete(r.id);
  releaseOrphans(state, r.ips);
  return deletedResponse();
};

// ---------------------------------------------------------------- /dnsresourcerecords/

function recordArg(ctx: AuthedCtx): SimDnsRecord {
  const d = ctx.svc.state.dnsRecords.get(Number(ctx.args[0]));
  if (!d || !/^\d+$/.test(ctx.args[0] ?? '')) throw notFound('No DNSData matches the given query.');
  return d;
}

function cleanRrtype(rrtype: string, errors: Errors): string {
  const t = rrtype.toUpperCase();
  if (!RRTYPES.includes(t)) errors.rrtype = [`${rrtype} is not one of ${RRTYPES.join(' ')}.`];
  return t;
}

/** POST: `rrtype` and `rrdata` (400 text when missing), and the name the record goes on (created if new). */
const createRecord: Handler = (ctx) => {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const { state } = ctx.svc;
  const d = ctx.data;
  const rrtype = d.get('rrtype');
  if (!rrtype) throw badRequest('rrtype must be provided.');
  const rrdata = d.get('rrdata');
  if (!rrdata) throw badRequest('rrdata must be provided.');
  const where = nameAndDomain(ctx) as { name: string; domain: SimDomain };
  const errors: Errors = {};
  const type = cleanRrtype(rrtype, errors);
  const ttl = cleanTtl(ctx, 'ttl', errors);
  if (!validName(where.name, false)) errors.__all__ = [`Invalid dnsresource name: ${where.name}.`];
  if (Object.keys(errors).length) throw fieldErrors(errors);
  let r = [...state.dnsResources.values()].find(
    (x) => x.domainId === where.domain.id && x.name === where.name,
  );
  if (!r) {
    const id = state.nextId('dnsresource');
    r = { id, name: where.name, domainId: where.domain.id, addressTtl: null, ips: [] };
    state.dnsResources.set(id, r);
  }
  const id = state.nextId('dnsdata');
  const record: SimDnsRecord = { id, resourceId: r.id, rrtype: type, rrdata, ttl: ttl ?? null };
  state.dnsRecords.set(id, record);
  return renderRecord(state, record);
};

const updateRecord: Handler = (ctx) => {
  const record = recordArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  const errors: Errors = {};
  const rrtype = ctx.data.get('rrtype');
  const type = rrtype ? cleanRrtype(rrtype, errors) : undefined;
  const ttl = cleanTtl(ctx, 'ttl', errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (type) record.rrtype = type;
  if (ctx.data.get('rrdata')) record.rrdata = ctx.data.get('rrdata') as string;
  if (ttl !== undefined) record.ttl = ttl;
  return renderRecord(ctx.svc.state, record);
};

/** DELETE: the last record of a resource without addresses takes the resource with it. */
const deleteRecord: Handler = (ctx) => {
  const record = recordArg(ctx);
  if (!ctx.user.isSuperuser) throw forbidden();
  const { state } = ctx.svc;
  state.dnsRecords.delete(record.id);
  const r = state.dnsResources.get(record.resourceId);
  if (r && r.ips.length === 0 && recordsOf(state, r).length === 0) state.dnsResources.delete(r.id);
  return deletedResponse();
};

function filterRecords(ctx: AuthedCtx): SimDnsRecord[] {
  const { state } = ctx.svc;
  const rrtype = ctx.query.get('rrtype')?.toUpperCase();
  const keep = new Set(filterResources({ ...ctx, query: ctx.query }).map((r) => r.id));
  const byName = ['fqdn', 'domain', 'name'].some((k) => ctx.query.has(k));
  return [...state.dnsRecords.values()].filter(
    (d) => (!byName || keep.has(d.resourceId)) && (rrtype === undefined || d.rrtype === rrtype),
  );
}

// ---------------------------------------------------------------- routes

export const dnsResources: Resource[] = [
  {
    name: 'DomainsHandler',
    pattern: /^domains\/$/,
    handlers: {
      GET: (ctx) => [...ctx.svc.state.domains.keys()].map((id) => renderDomain(ctx.svc.state, id)),
    },
  },
  {
    name: 'DomainHandler',
    pattern: /^domains\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => {
        const d = domainBySpec(ctx.svc.state, ctx.args[0] ?? '');
        if (!d) throw notFound('No Domain matches the given query.');
        return renderDomain(ctx.svc.state, d.id);
      },
    },
  },
  {
    name: 'DNSResourcesHandler',
    pattern: /^dnsresources\/$/,
    handlers: {
      GET: (ctx) => filterResources(ctx).map((r) => renderResource(ctx.svc.state, r)),
      POST: createResource,
    },
  },
  {
    name: 'DNSResourceHandler',
    pattern: /^dnsresources\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => renderResource(ctx.svc.state, resourceArg(ctx)),
      PUT: updateResource,
      DELETE: deleteResource,
    },
  },
  {
    name: 'DNSResourceRecordsHandler',
    pattern: /^dnsresourcerecords\/$/,
    handlers: {
      GET: (ctx) => filterRecords(ctx).map((d) => renderRecord(ctx.svc.state, d)),
      POST: createRecord,
    },
  },
  {
    name: 'DNSResourceRecordHandler',
    pattern: /^dnsresourcerecords\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => renderRecord(ctx.svc.state, recordArg(ctx)),
      PUT: updateRecord,
      DELETE: deleteRecord,
    },
  },
];
