/**
 * What tools/list shows: each tool's definition, with JSON Schemas made once per process and trimmed to what a
 * model needs to call the tool and read its answer (README "Tools"; `npm run bench` measures the catalogue):
 * - output schemas show their first level (`maas://tools/{name}/output-schema` has the whole), and share what they
 *   repeat: the machine actions all answer the same shape, so a schema already shown on an earlier tool of the same
 *   list is pointed to afterwards (still a valid schema every answer validates against: a pointer only accepts more);
 * - input schemas define a repeated sub-schema once (`$defs`), and leave out the description of a parameter the
 *   server's instructions explain for every tool (machines, wait, confirm_token, paging, comment).
 * The server itself validates each answer against the tool's full zod schema.
 */
import * as z from 'zod/v4';
import type { AnyTool } from '../core/tool.ts';
import { waitFields } from '../core/wait.ts';
import { eventComment, machineRef, machinesRef, offset } from '../tools/common.ts';

type Schema = Record<string, unknown>;

/** A tools/list entry. */
export interface Tool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Schema;
  outputSchema?: Schema;
  annotations?: Record<string, unknown>;
  execution?: { taskSupport: 'optional' | 'forbidden' };
}

/**
 * Input sub-schemas at least this long (JSON characters) are defined once per schema when repeated; a shorter one
 * (one or a list of strings, an MTU's bounds) reads better where it stands.
 */
const HOIST_MIN_CHARS = 60;

const definitions = new WeakMap<AnyTool, Tool>();
const listings = new Map<string, Tool[]>();

/** The tools/list entries for `tools`, in order (cached: a deployment has only a few distinct lists). */
export function toolList(tools: readonly AnyTool[], era: 'modern' | 'legacy' = 'legacy'): Tool[] {
  const key = `${era}:${tools.map((t) => t.name).join(',')}`;
  let list = listings.get(key);
  if (!list) {
    list = shareRepeats(tools.map(definition));
    // 2025's experimental tasks say per tool whether it may run as one; 2026's extension decides per call.
    if (era === 'modern') list = list.map(({ execution: _e, ...def }) => def);
    listings.set(key, list);
  }
  return list;
}

/** A tool's full definition, as the SDK would list it. */
function definition(tool: AnyTool): Tool {
  let def = definitions.get(tool);
  if (!def) {
    def = {
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: hoistRepeats(
        hoistFields(saidOnce(compact(z.toJSONSchema(tool.input, { io: 'input' }) as Schema, 'input'))),
      ),
      outputSchema: shallow(fullOutputSchema(tool)),
      annotations: listedAnnotations(tool.annotations),
      // 2025's default is "forbidden": said only of the tools that may run as tasks.
      ...(tool.long ? { execution: { taskSupport: 'optional' as const } } : {}),
    };
    definitions.set(tool, def);
  }
  return def;
}

/**
 * A tool's hints as listed: `destructiveHint` on every tool that writes (what a client warns by), the others where
 * they differ from MCP's defaults (readOnlyHint false, idempotentHint false, openWorldHint true), which is what
 * their absence means; a read-only tool says only that.
 * Every tool sets all four in its definition (src/core/tool.ts); the title is the tool's own `title`.
 */
function listedAnnotations(a: AnyTool['annotations']): Record<string, boolean> {
  return {
    // MCP: destructiveHint and idempotentHint are "meaningful only when readOnlyHint is false".
    ...(a.readOnlyHint
      ? { readOnlyHint: true }
      : { destructiveHint: a.destructiveHint, ...(a.idempotentHint ? { idempotentHint: true } : {}) }),
    ...(a.openWorldHint ? {} : { openWorldHint: false }),
  };
}

/**
 * A tool's whole output schema (compacted): what `maas://tools/{name}/output-schema` serves to a client that wants
 * every nested field's type; tools/list shows its first level ({@link shallow}).
 */
export function fullOutputSchema(tool: AnyTool): Schema {
  let full = outputSchemas.get(tool);
  if (!full) {
    full = compact(z.toJSONSchema(tool.output, { io: 'output' }) as Schema, 'output');
    outputSchemas.set(tool, full);
  }
  return full;
}

const outputSchemas = new WeakMap<AnyTool, Schema>();

/**
 * An output schema's first level: each field with its type, enum and description, nested objects and lists typed
 * but not spelled out (the answer itself shows them, and `maas://tools/{name}/output-schema` has them all). It
 * accepts every answer the full schema accepts.
 */
function shallow(schema: Schema): Schema {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  return {
    type: schema.type,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, leaf(v)])),
  };
}

/** A field as the first level shows it: its type(s), enum or constant, and description. */
function leaf(node: Schema): Schema {
  const types = typesOf(node);
  return {
    ...(types ? { type: types.length === 1 ? types[0] : types } : {}),
    ...(Array.isArray(node.enum) ? { enum: node.enum } : {}),
    ...(node.const !== undefined ? { const: node.const } : {}),
    ...(typeof node.description === 'string' ? { description: node.description } : {}),
  };
}

/** The JSON types a schema admits, when it says (a union's alternatives together). */
function typesOf(node: Schema): string[] | undefined {
  if (typeof node.type === 'string') return [node.type];
  if (Array.isArray(node.type)) return node.type as string[];
  if (Array.isArray(node.anyOf)) {
    const all = (node.anyOf as Schema[]).map(typesOf);
    if (all.some((t) => t === undefined)) return undefined;
    return [...new Set(all.flat() as string[])];
  }
  return undefined;
}

/**
 * The parameters many tools share, whose use the server's instructions explain once (src/mcp/server.ts: naming
 * machines, 1–100 of them; wait and wait_timeout_s; confirm_token; paging; comment): listed without their own description
 * where it is the shared one (Slack's help still shows it). A tool whose parameter of that name means something of
 * its own keeps its description.
 */
const SAID_ONCE: Readonly<Record<string, (d: unknown) => boolean>> = {
  machines: (d) => d === machinesRef.description,
  machine: (d) => d === machineRef.description,
  // Every gated tool's, whatever its own words (a tool's description says when it asks).
  confirm_token: () => true,
  wait: (d) => d === waitFields.wait.description,
  wait_timeout_s: (d) => d === waitFields.wait_timeout_s.description,
  offset: (d) => d === offset.description,
  comment: (d) => d === eventComment.description,
  // "Rows to return (1–N)": the schema's own minimum and maximum say as much.
  limit: (d) => typeof d === 'string' && /^Rows to return \(1–\d+\)$/.test(d),
};

function saidOnce(schema: Schema): Schema {
  const props = schema.properties as Record<string, Schema> | undefined;
  if (!props) return schema;
  const out: Record<string, Schema> = {};
  for (const [k, v] of Object.entries(props)) {
    if (!SAID_ONCE[k]?.(v.description)) {
      out[k] = v;
      continue;
    }
    const { description: _d, ...rest } = v;
    // The instructions also give wait_timeout_s's default and bounds: its type is all that is left to say.
    out[k] = k === 'wait_timeout_s' ? { type: rest.type } : rest;
  }
  return { ...schema, properties: out };
}

/**
 * A schema as the list carries it, without what tells the model nothing: no `$schema` (MCP's default dialect,
 * JSON Schema 2020-12, is the one these are written in), no `propertyNames: {type: string}` (every JSON key is one),
 * no safe-integer bounds nor bounds of a million or more, no "not empty", no `default` of false on a flag, of [] on a
 * list or of 0 on an offset, no list length no sensible call reaches,
 * no default the description already gives, no `additionalProperties: {}` (what any schema allows) nor `false`
 * (the server names a field it does not know), and a "one or a list of strings" field in one object instead of two
 * alternatives. Output schemas also drop `required`: it only makes a validator stricter about what this server sends
 * (and the server checks every answer against the tool's full schema before sending it).
 */
function compact(schema: Schema, io: 'input' | 'output'): Schema {
  const { $schema: _dialect, ...rest } = schema;
  return trim(rest, io) as Schema;
}

const SAFE = Number.MAX_SAFE_INTEGER;

function trim(node: unknown, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((n) => trim(n, io));
  if (!node || typeof node !== 'object') return node;
  const oneOrList = stringOrList(node as Schema);
  if (oneOrList) return trim(oneOrList, io);
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'propertyNames') continue;
    if ((k === 'maximum' && v === SAFE) || (k === 'minimum' && v === -SAFE)) continue;
    // "Not empty" goes without saying (and the server refuses an empty string or list with a clear message).
    if ((k === 'minLength' || k === 'minItems') && v === 1) continue;
    if (io === 'output' && k === 'required') continue;
    // A nested object's unknown field is refused by the server, which names it: the listing need not say so.
    if (k === 'additionalProperties' && v === false) continue;
    // Any value for any other key is what a schema allows anyway.
    if (k === 'additionalProperties' && isEmpty(v)) continue;
    // A default the description already gives ("(default 50)").
    if (k === 'default' && saysDefault(node as Schema, v)) continue;
    // A flag left out is off, a list left out is empty, paging starts at the start: such a default says nothing more.
    if (k === 'default' && v === false && (node as Schema).type === 'boolean') continue;
    if (k === 'default' && Array.isArray(v) && v.length === 0) continue;
    if (k === 'default' && v === 0 && (node as Schema).minimum === 0) continue;
    // Limits no sensible call reaches (100 machines, 64 partitions): the server names them if one ever does.
    if (io === 'input' && k === 'maxItems' && typeof v === 'number' && v >= 16) continue;
    // Nor a size or count of a million or more (1,000,000 GiB, a 1 MiB text).
    if (io === 'input' && (k === 'maximum' || k === 'maxLength') && typeof v === 'number' && v >= 1_000_000)
      continue;
    out[k] = trim(v, io);
  }
  return out;
}

function isEmpty(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

/** Whether a schema's description gives its default value, as "default 45" or "enter (default)". */
function saysDefault(node: Schema, value: unknown): boolean {
  if (typeof node.description !== 'string' || !['string', 'number', 'boolean'].includes(typeof value)) {
    return false;
  }
  const said = String(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\bdefault ${said}(?![\\w./-])|(?<![\\w./-])${said} \\(default\\)`).test(
    node.description,
  );
}

/** `anyOf: [string, array of strings]` (zod's union) as one schema that says the same. */
function stringOrList(node: Schema): Schema | undefined {
  const alts = node.anyOf;
  if (!Array.isArray(alts) || alts.length !== 2) return undefined;
  const [one, list] = alts as Schema[];
  if (
    one?.type !== 'string' ||
    list?.type !== 'array' ||
    (list.items as Schema | undefined)?.type !== 'string'
  ) {
    return undefined;
  }
  if (Object.keys(one).some((k) => !['type', 'minLength'].includes(k))) return undefined;
  const { anyOf: _alts, ...rest } = node;
  const { type: _list, ...listRest } = list;
  return {
    type: ['string', 'array'],
    ...(one.minLength !== undefined ? { minLength: one.minLength } : {}),
    ...listRest,
    ...rest,
  };
}

/**
 * The list with every output schema an earlier tool already shows replaced by a pointer to it, and one that adds
 * fields to an earlier one shown as those fields and where the rest is (output schemas are first levels only, so
 * nothing deeper repeats).
 */
function shareRepeats(defs: readonly Tool[]): Tool[] {
  const seen = new Map<string, string>();
  const shown: { where: string; props: Record<string, Schema> }[] = [];
  return defs.map((def) => {
    if (!def.outputSchema) return def;
    const top = def.outputSchema as Schema;
    const first = seen.get(keyOf(top));
    if (first) return { ...def, outputSchema: outline(top, first) as Tool['outputSchema'] };
    const where = `${def.name}'s outputSchema`;
    seen.set(keyOf(top), where);
    const props = (top.properties ?? {}) as Record<string, Schema>;
    // An answer that is an earlier one's with some fields added (or said otherwise, at most two): those fields,
    // and where the rest is.
    const same = (b: Schema, k: string) => JSON.stringify(props[k]) === JSON.stringify(b[k]);
    const base = shown.find(
      (b) =>
        Object.keys(b.props).length > 4 &&
        Object.keys(b.props).every((k) => k in props) &&
        Object.keys(b.props).filter((k) => !same(b.props, k)).length <= 2,
    );
    shown.push({ where, props });
    if (base) {
      const extra = Object.fromEntries(
        Object.entries(props).filter(([k]) => !(k in base.props) || !same(base.props, k)),
      );
      return {
        ...def,
        outputSchema: {
          type: top.type,
          description: `As ${base.where}, and:`,
          properties: extra,
        } as Tool['outputSchema'],
      };
    }
    return def;
  });
}

/**
 * A whole output schema shown in full by an earlier tool: an object with the same required fields, pointing to where
 * its full shape is (it accepts all the full one accepts, and more).
 */
function outline(schema: Schema, where: string): Schema {
  return {
    type: schema.type,
    description: `${typeof schema.description === 'string' ? `${schema.description}. ` : ''}As ${where}.`,
  };
}

/** The identity of a sub-schema: its shape, whatever it is called or described as here. */
function keyOf(schema: Schema): string {
  const { description: _d, ...shape } = schema;
  return JSON.stringify(shape);
}

/** The sub-schemas of a schema: under properties, items, anyOf and additionalProperties, and in $defs. */
function* children(node: Schema): Generator<[Schema, string]> {
  for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) yield [v, k];
  if (node.items && typeof node.items === 'object' && !Array.isArray(node.items))
    yield [node.items as Schema, ''];
  for (const v of (Array.isArray(node.anyOf) ? node.anyOf : []) as Schema[]) yield [v, ''];
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    yield [node.additionalProperties as Schema, ''];
  }
  for (const [k, v] of Object.entries((node.$defs ?? {}) as Record<string, Schema>)) yield [v, k];
}

/** A copy of `node` with `f` applied to each of its sub-schemas. */
function mapChildren(node: Schema, f: (child: Schema) => Schema): Schema {
  const out: Schema = { ...node };
  if (node.properties) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties as Record<string, Schema>).map(([k, v]) => [k, f(v)]),
    );
  }
  if (node.items && typeof node.items === 'object' && !Array.isArray(node.items))
    out.items = f(node.items as Schema);
  if (Array.isArray(node.anyOf)) out.anyOf = (node.anyOf as Schema[]).map(f);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    out.additionalProperties = f(node.additionalProperties as Schema);
  }
  if (node.$defs) {
    out.$defs = Object.fromEntries(
      Object.entries(node.$defs as Record<string, Schema>).map(([k, v]) => [k, f(v)]),
    );
  }
  return out;
}

/**
 * One schema with each sub-schema it repeats (a filesystem, a size, an enum of filesystem types) defined once under
 * `$defs` and referred to (`$ref`) wherever it stands, keeping what each place says of it (its description); only
 * where that makes the schema shorter. Plain JSON Schema 2020-12: every validator and model reads it.
 */
function hoistRepeats(root: Schema): Schema {
  let schema = root;
  for (let round = 0; round < 50; round++) {
    const found = new Map<string, { node: Schema; count: number; names: string[] }>();
    const walk = (node: Schema, name: string, isRoot: boolean) => {
      if (!isRoot && node.$ref === undefined) {
        const key = keyOf(node);
        const entry = found.get(key);
        if (entry) {
          entry.count++;
          entry.names.push(name);
        } else found.set(key, { node, count: 1, names: [name] });
      }
      // A list's items and a union's alternatives are named after the field they belong to.
      for (const [child, childName] of children(node)) walk(child, childName || name, false);
    };
    walk(schema, '', true);
    let best: { key: string; node: Schema; name: string; saved: number } | undefined;
    const defs = (schema.$defs ?? {}) as Record<string, Schema>;
    for (const [key, { node, count, names }] of found) {
      if (count < 2 || key.length < HOIST_MIN_CHARS) continue;
      const id = uniqueName(defName(node, names).replace(/[^A-Za-z0-9_]/g, '_'), defs);
      const ref = JSON.stringify({ $ref: `#/$defs/${id}` }).length;
      const saved = count * (key.length - ref) - key.length - id.length - 4;
      if (saved > 0 && (!best || saved > best.saved)) best = { key, node, name: id, saved };
    }
    if (!best) return schema;
    const { key, node, name } = best;
    const { description: _d, ...shape } = node;
    const replace = (n: Schema): Schema => {
      if (n.$ref === undefined && keyOf(n) === key) {
        return {
          $ref: `#/$defs/${name}`,
          ...(typeof n.description === 'string' ? { description: n.description } : {}),
        };
      }
      return mapChildren(n, replace);
    };
    const replaced = mapChildren(schema, replace);
    schema = { ...replaced, $defs: { ...((replaced.$defs ?? {}) as Record<string, Schema>), [name]: shape } };
  }
  return schema;
}

/**
 * Fields that several objects of one schema all take, the same (a filesystem's fstype, mount_point, mount_options
 * and label on each disk, partition, RAID, bcache and logical volume), listed once under `$defs` and taken by each
 * object with `allOf` (input schemas list no `additionalProperties: false`, so the two parts add up); only where
 * that makes the schema shorter.
 */
function hoistFields(root: Schema): Schema {
  const entries = (node: Schema) =>
    Object.entries((node.properties ?? {}) as Record<string, Schema>).map(
      ([k, v]) => `${k}\0${JSON.stringify(v)}`,
    );
  const objects: Schema[] = [];
  const walk = (node: Schema, isRoot: boolean) => {
    if (!isRoot && node.properties && !node.allOf) objects.push(node);
    for (const [child] of children(node)) walk(child, false);
  };
  walk(root, true);
  const counts = new Map<string, number>();
  for (const o of objects) for (const e of entries(o)) counts.set(e, (counts.get(e) ?? 0) + 1);
  const shared = (o: Schema) => entries(o).filter((e) => (counts.get(e) ?? 0) >= 3);
  // The fields every object with at least three shared ones has in common.
  let group: string[] | undefined;
  for (const o of objects) {
    const mine = shared(o);
    if (mine.length >= 3) group = group ? group.filter((e) => mine.includes(e)) : mine;
  }
  if (!group || group.length < 3) return root;
  const fields = group;
  const takers = objects.filter((o) => fields.every((e) => entries(o).includes(e)));
  const name = uniqueName(`${fields[0]?.split('\0')[0]}_fields`, (root.$defs ?? {}) as Schema);
  const ref = { allOf: [{ $ref: `#/$defs/${name}` }] };
  const size = fields.reduce((n, e) => n + e.length + 3, 0);
  if (takers.length < 3 || takers.length * (size - JSON.stringify(ref).length) <= size + name.length + 40)
    return root;
  const keys = fields.map((e) => e.split('\0')[0] as string);
  const properties = (node: Schema) => node.properties as Record<string, Schema>;
  const first = takers[0] as Schema;
  const def = { type: 'object', properties: Object.fromEntries(keys.map((k) => [k, properties(first)[k]])) };
  const replace = (n: Schema): Schema => {
    const out = mapChildren(n, replace);
    if (!takers.includes(n)) return out;
    const kept = Object.entries(properties(out)).filter(([k]) => !keys.includes(k));
    return { ...out, properties: Object.fromEntries(kept), ...ref };
  };
  const replaced = replace(root);
  return { ...replaced, $defs: { ...((replaced.$defs ?? {}) as Record<string, Schema>), [name]: def } };
}

/**
 * What a shared sub-schema is called: the name of the fields that use it when they share one (fstype), else the
 * last word they share (boot_size, root_size: size), else what it is (names: one or a list of strings), else the
 * first field's name; a size that may also be "rest" is size_or_rest.
 */
function defName(node: Schema, names: readonly string[]): string {
  const constant = ((node.anyOf ?? []) as Schema[]).find((a) => typeof a.const === 'string')?.const;
  const suffix = constant ? `_or_${String(constant)}` : '';
  const named = names.filter(Boolean);
  const first = named[0] ?? 'shape';
  if (named.every((n) => n === first)) return first + suffix;
  const words = named.map((n) => n.split('_').reverse());
  const shared: string[] = [];
  for (const [i, word] of first.split('_').reverse().entries()) {
    if (!words.every((w) => w[i] === word)) break;
    shared.unshift(word);
  }
  if (shared.length > 0) return shared.join('_') + suffix;
  const t = node.type;
  if (Array.isArray(t) && t.includes('string') && t.includes('array')) return 'names';
  return first + suffix;
}

function uniqueName(base: string, taken: Record<string, unknown>): string {
  let name = base || 'shape';
  for (let i = 2; name in taken; i++) name = `${base}${i}`;
  return name;
}
