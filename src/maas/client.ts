/**
 * Typed MAAS endpoints used by the tools (MAAS `maasserver/api/`). Every answer is parsed with zod here,
 * at the edge, so bad data fails with a clear error instead of deep inside a renderer.
 */
import * as z from 'zod/v4';
import { seg as enc, parseAnswer as parse } from './calls.ts';
import { MaasNetworkError, MaasProtocolError } from './errors.ts';
import type { MaasHttp, MaasRequest, Params } from './http.ts';
import { readArray } from './json-stream.ts';
import {
  BlockDevice,
  Controller,
  Device,
  EventsPage,
  Interface,
  MACHINE_SUMMARY_FIELDS,
  type Machine,
  MachineCore,
  MachineNetwork,
  type MachineParts,
  MachineStorage,
  MachineSummary,
  Pool,
  PowerState,
  Subnet,
  Tag,
  Version,
  Whoami,
  Zone,
} from './schemas.ts';

/** `GET /machines/` filters (MAAS `ReadNodesForm`); every one is applied by MAAS, and lists repeat the key. */
export interface MachineFilters {
  id?: readonly string[];
  hostname?: readonly string[];
  status?: readonly string[];
  simple_status?: readonly string[];
  zone?: readonly string[];
  pool?: readonly string[];
  tags?: readonly string[];
  not_tags?: readonly string[];
  owner?: readonly string[];
  arch?: readonly string[];
  power_state?: readonly string[];
  mac_address?: readonly string[];
}

export interface EventsQuery {
  id?: readonly string[];
  hostname?: readonly string[];
  level?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL' | 'AUDIT';
  limit?: number;
  before?: number;
  after?: number;
}

interface CallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * How long the answer about the API key's user is kept. The user cannot change for a key, but a MAAS admin can
 * grant or take away its admin rights (`is_superuser`), which decide what maas-mcp refuses up front.
 */
export const WHOAMI_TTL_MS = 60_000;

export class MaasClient {
  private whoamiCache: { asked: Promise<Whoami>; at: number } | undefined;

  constructor(readonly http: MaasHttp) {}

  /**
   * The MAAS user behind the API key, asked at most once per {@link WHOAMI_TTL_MS} and shared by every caller.
   * The shared request runs without any one caller's signal; each caller's own signal only stops its wait. A
   * failure is not kept: the next caller asks again.
   */
  me(opts: CallOptions = {}): Promise<Whoami> {
    const now = this.http.clock.now();
    let entry = this.whoamiCache;
    if (!entry || now - entry.at >= WHOAMI_TTL_MS) {
      const fresh = { asked: this.whoami(), at: now };
      entry = fresh;
      this.whoamiCache = fresh;
      fresh.asked.catch(() => {
        if (this.whoamiCache === fresh) this.whoamiCache = undefined;
      });
    }
    return untilAborted(entry.asked, opts.signal, WHOAMI);
  }

  /**
   * `POST /machines/{id}/?op=<op>`: the machine answer, or null when MAAS answers `null` (power_off of a
   * machine whose power driver cannot stop it).
   */
  async machineOp(
    systemId: string,
    op: string,
    form: Params = {},
    opts: CallOptions = {},
  ): Promise<MachineSummary | null> {
    return this.write(MaybeMachine, 'POST', `machines/${enc(systemId)}/`, { op, form }, opts, 'machine');
  }

  /**
   * `POST /machines/{id}/?op=set_workload_annotations` (MAAS `maasserver/api/nodes.py`): `key=value` pairs, an empty
   * value deletes the key. MAAS answers with the machine, annotations included.
   */
  async setWorkloadAnnotations(
    systemId: string,
    pairs: Params,
    opts: CallOptions = {},
  ): Promise<z.infer<typeof MachineCore>> {
    return this.write(
      MachineCore,
      'POST',
      `machines/${enc(systemId)}/`,
      { op: 'set_workload_annotations', form: pairs },
      opts,
      'machine',
    );
  }

  /** `POST /machines/?op=allocate` with MAAS constraint names (`AcquireNodeForm`). */
  async allocate(constraints: Params, opts: CallOptions = {}): Promise<MachineSummary> {
    return this.write(
      MachineSummary,
      'POST',
      'machines/',
      { op: 'allocate', form: constraints },
      opts,
      'machine',
    );
  }

  /** `POST /machines/?op=release` for several machines at once; returns the system_ids MAAS released. */
  async releaseMany(
    systemIds: readonly string[],
    comment?: string,
    opts: CallOptions = {},
  ): Promise<string[]> {
    const form: Params = comment ? { machines: systemIds, comment } : { machines: systemIds };
    const req: MaasRequest = { method: 'POST', path: 'machines/', op: 'release', form, signal: opts.signal };
    const body = await this.http.call(req);
    return Array.isArray(body) ? body.map(String) : [];
  }

  /** `POST /machines/` (MAAS `MachinesHandler.create`). */
  async createMachine(form: Params, opts: CallOptions = {}): Promise<MachineSummary> {
    return this.write(MachineSummary, 'POST', 'machines/', { form }, opts, 'machine');
  }

  /** `PUT /machines/{id}/` (MAAS `MachineHandler.update`). */
  async updateMachine(systemId: string, form: Params, opts: CallOptions = {}): Promise<MachineSummary> {
    return this.write(MachineSummary, 'PUT', `machines/${enc(systemId)}/`, { form }, opts, 'machine');
  }

  /** `DELETE /machines/{id}/` (204). */
  async deleteMachine(systemId: string, opts: CallOptions = {}): Promise<void> {
    await this.http.call({ method: 'DELETE', path: `machines/${enc(systemId)}/`, signal: opts.signal });
  }

  /** `POST /tags/` (superuser). */
  async createTag(name: string, comment: string, opts: CallOptions = {}): Promise<Tag> {
    return this.write(Tag, 'POST', 'tags/', { form: { name, comment } }, opts, 'tag');
  }

  /** `POST /tags/{name}/?op=update_nodes`: one request for any number of machines. */
  async updateTagNodes(
    name: string,
    change: { add?: readonly string[]; remove?: readonly string[] },
    opts: CallOptions = {},
  ): Promise<{ added: number; removed: number }> {
    const form: Params = {};
    if (change.add?.length) (form as Record<string, unknown>).add = change.add;
    if (change.remove?.length) (form as Record<string, unknown>).remove = change.remove;
    const req: MaasRequest = {
      method: 'POST',
      path: `tags/${enc(name)}/`,
      op: 'update_nodes',
      form,
      signal: opts.signal,
    };
    const body = (await this.http.call(req)) as { added?: number; removed?: number } | null;
    return { added: body?.added ?? 0, removed: body?.removed ?? 0 };
  }

  /**
   * Streams `GET /machines/` and calls `onRow` with each machine's summary fields, never holding the whole
   * answer (MAAS has no pagination; 10,000 machines is ~250 MB). Returns the number of machines.
   */
  async forEachMachine(
    filters: MachineFilters,
    onRow: (row: MachineSummary, index: number) => void,
    opts: CallOptions = {},
  ): Promise<number> {
    const req: MaasRequest = {
      method: 'GET',
      path: 'machines/',
      query: filters as Params,
      signal: opts.signal,
    };
    const res = await this.http.send(req);
    if (!res.body)
      throw new MaasProtocolError('MAAS sent an empty machine list', { method: 'GET', path: req.path });
    return readArray(res.body, MACHINE_SUMMARY_FIELDS, (element, index) => {
      onRow(parse(MachineSummary, element, 'machine'), index);
    });
  }

  /** All machines matching `filters`, as summaries. Prefer {@link forEachMachine} for unbounded lists. */
  async listMachines(filters: MachineFilters, opts: CallOptions = {}): Promise<MachineSummary[]> {
    const rows: MachineSummary[] = [];
    await this.forEachMachine(filters, (row) => rows.push(row), opts);
    return rows;
  }

  /**
   * Machines matching `filters`, fully parsed. Only for small, targeted lists (a hostname, a few ids):
   * it holds the whole answer.
   */
  async listMachinesFull(
    filters: MachineFilters,
    parts: MachineParts = {},
    opts: CallOptions = {},
  ): Promise<Machine[]> {
    return this.getList((m) => machineFrom(m, parts), 'machines/', filters as Params, opts, 'machine');
  }

  /** One machine; `parts` says whether to parse its interfaces and disks too. */
  async getMachine(systemId: string, parts: MachineParts = {}, opts: CallOptions = {}): Promise<Machine> {
    const body = await this.http.call({
      method: 'GET',
      path: `machines/${enc(systemId)}/`,
      signal: opts.signal,
    });
    return machineFrom(body, parts);
  }

  /** `GET /machines/{id}/?op=query_power_state` — asks the BMC, so it can take a while. */
  async queryPowerState(systemId: string, opts: CallOptions = {}): Promise<string> {
    const req: MaasRequest = {
      method: 'GET',
      path: `machines/${enc(systemId)}/`,
      op: 'query_power_state',
      signal: opts.signal,
      timeoutMs: 65_000,
    };
    return parse(PowerState, await this.http.call(req), 'power state').state;
  }

  /**
   * `GET /machines/{id}/?op=power_parameters` (admin): the BMC settings, secrets included. Only for comparing
   * with what a caller wants to set; the answer is never shown, logged or stored.
   */
  async powerParameters(systemId: string, opts: CallOptions = {}): Promise<Record<string, string>> {
    const req: MaasRequest = {
      method: 'GET',
      path: `machines/${enc(systemId)}/`,
      op: 'power_parameters',
      signal: opts.signal,
    };
    return parse(PowerParameters, await this.http.call(req), 'power parameters');
  }

  /**
   * `GET /machines/?op=power_parameters` (admin): every machine's BMC settings by system_id, for finding a machine
   * by its BMC address. Never shown, logged or stored.
   */
  async allPowerParameters(opts: CallOptions = {}): Promise<Record<string, Record<string, string>>> {
    const req: MaasRequest = {
      method: 'GET',
      path: 'machines/',
      op: 'power_parameters',
      signal: opts.signal,
    };
    return parse(z.record(z.string(), PowerParameters), await this.http.call(req), 'power parameters');
  }

  /**
   * `POST /nodes/{id}/blockdevices/{device}/?op=set_boot_disk` (admin, Ready machines only): MAAS answers a plain
   * `OK`.
   */
  async setBootDisk(systemId: string, deviceId: number, opts: CallOptions = {}): Promise<void> {
    await this.http.call({
      method: 'POST',
      path: `nodes/${enc(systemId)}/blockdevices/${deviceId}/`,
      op: 'set_boot_disk',
      signal: opts.signal,
    });
  }

  async machineInterfaces(systemId: string, opts: CallOptions = {}): Promise<Interface[]> {
    return this.getList(
      parser(Interface),
      `nodes/${enc(systemId)}/interfaces/`,
      undefined,
      opts,
      'interface',
    );
  }

  async machineBlockDevices(systemId: string, opts: CallOptions = {}): Promise<BlockDevice[]> {
    return this.getList(
      parser(BlockDevice),
      `nodes/${enc(systemId)}/blockdevices/`,
      undefined,
      opts,
      'block device',
    );
  }

  async events(query: EventsQuery, opts: CallOptions = {}): Promise<EventsPage> {
    const req: MaasRequest = {
      method: 'GET',
      path: 'events/',
      op: 'query',
      query: query as Params,
      signal: opts.signal,
    };
    return parse(EventsPage, await this.http.call(req), 'events');
  }

  zones(opts: CallOptions = {}): Promise<Zone[]> {
    return this.getList(parser(Zone), 'zones/', undefined, opts, 'zone');
  }

  pools(opts: CallOptions = {}): Promise<Pool[]> {
    return this.getList(parser(Pool), 'resourcepools/', undefined, opts, 'resource pool');
  }

  tags(opts: CallOptions = {}): Promise<Tag[]> {
    return this.getList(parser(Tag), 'tags/', undefined, opts, 'tag');
  }

  subnets(opts: CallOptions = {}): Promise<Subnet[]> {
    return this.getList(parser(Subnet), 'subnets/', undefined, opts, 'subnet');
  }

  devices(
    filters: Pick<MachineFilters, 'hostname' | 'zone' | 'id'>,
    opts: CallOptions = {},
  ): Promise<Device[]> {
    return this.getList(parser(Device), 'devices/', filters as Params, opts, 'device');
  }

  controllers(kind: 'rack' | 'region', opts: CallOptions = {}): Promise<Controller[]> {
    return this.getList(parser(Controller), `${kind}controllers/`, undefined, opts, `${kind} controller`);
  }

  async version(opts: CallOptions = {}): Promise<Version> {
    return this.get(Version, 'version/', undefined, opts, 'version');
  }

  async whoami(opts: CallOptions = {}): Promise<Whoami> {
    const req: MaasRequest = { method: 'GET', path: 'users/', op: 'whoami', signal: opts.signal };
    return parse(Whoami, await this.http.call(req), 'user');
  }

  private async get<S extends z.ZodType>(
    schema: S,
    path: string,
    query: Params | undefined,
    opts: CallOptions,
    what: string,
  ): Promise<z.infer<S>> {
    const req: MaasRequest = { method: 'GET', path, signal: opts.signal };
    if (query) req.query = query;
    return parse(schema, await this.http.call(req), what);
  }

  /** `GET` of a JSON array, each element read by `read` (which throws on one it cannot). */
  private async getList<T>(
    read: (item: unknown, what: string) => T,
    path: string,
    query: Params | undefined,
    opts: CallOptions,
    what: string,
  ): Promise<T[]> {
    const req: MaasRequest = { method: 'GET', path, signal: opts.signal };
    if (query) req.query = query;
    const body = await this.http.call(req);
    if (!Array.isArray(body))
      throw new MaasProtocolError(`MAAS sent a ${what} list that is not a JSON array`);
    return body.map((item) => read(item, what));
  }

  /** A `POST` or `PUT` with a form (and an `op`), its answer parsed with `schema`. */
  private async write<S extends z.ZodType>(
    schema: S,
    method: 'POST' | 'PUT',
    path: string,
    body: { op?: string; form: Params },
    opts: CallOptions,
    what: string,
  ): Promise<z.infer<S>> {
    const req: MaasRequest = { method, path, form: body.form, signal: opts.signal };
    if (body.op) req.op = body.op;
    return parse(schema, await this.http.call(req), what);
  }
}

/** BMC settings as MAAS answers them: names to values (numbers and flags read as text). */
const PowerParameters = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.null()]).transform((v) => (v === null ? '' : String(v))),
);

/** `machineOp`'s answer: a machine, or `null` when MAAS has nothing to say. */
const MaybeMachine = MachineSummary.nullable();

/** What `GET users/?op=whoami` is, for the error a cancelled wait for it gives. */
const WHOAMI = { method: 'GET', path: 'users/', op: 'whoami' } as const;

/**
 * `shared`, or a rejection as soon as `signal` aborts: one caller giving up stops its own wait, never the shared
 * request. The rejection is the one the client gives a cancelled request.
 */
function untilAborted<T>(
  shared: Promise<T>,
  signal: AbortSignal | undefined,
  request: { method: 'GET'; path: string; op: string },
): Promise<T> {
  if (!signal) return shared;
  const cancelled = () => new MaasNetworkError('the request was cancelled', request, false, signal.reason);
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A reader of one list element with `schema`. */
function parser<S extends z.ZodType>(schema: S): (item: unknown, what: string) => z.infer<S> {
  return (item, what) => parse(schema, item, what);
}

function machineFrom(raw: unknown, parts: MachineParts): Machine {
  const m: Machine = parse(MachineCore, raw, 'machine');
  if (parts.network) Object.assign(m, parse(MachineNetwork, raw, 'machine'));
  if (parts.storage) Object.assign(m, parse(MachineStorage, raw, 'machine'));
  return m;
}
