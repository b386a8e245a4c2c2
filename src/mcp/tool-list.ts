/**
 * What tools/list shows: each tool's definition, with JSON Schemas made once per process. Output schemas share
 * what they repeat: the machine actions all answer the same shape, and several answers nest an operation, so a
 * schema already shown in full on an earlier tool of the same list is shown once and pointed to afterwards (still
 * a valid schema, and one every answer validates against: a pointer only accepts more). The server itself
 * validates each answer against the tool's full zod schema.
 */
import * as z from 'zod/v4';
import type { AnyTool } from '../core/tool.ts';

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

/** Sub-schemas at least this long (JSON characters) are shown once per list; shorter ones cost less than a pointer. */
const SHARE_MIN_CHARS = 400;

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
      inputSchema: compact(z.toJSONSchema(tool.input, { io: 'input' }) as Schema, 'input'),
      outputSchema: compact(z.toJSONSchema(tool.output, { io: 'output' }) as Schema, 'output'),
      // The title is the tool's own (MCP's annotations.title only repeats it for older clients).
      annotations: { ...tool.annotations },
      // 2025's default is "forbidden": said only of the tools that may run as tasks.
      ...(tool.long ? { execution: { taskSupport: 'optional' as const } } : {}),
    };
    definitions.set(tool, def);
  }
  return def;
}

/**
 * A schema as the list carries it, without what tells the model nothing: no `$schema` (MCP's default dialect,
 * JSON Schema 2020-12, is the one these are written in), no `propertyNames: {type: string}` (every JSON key is one),
 * no safe-integer bounds, no "not empty", and a "one or a list of strings" field in one object instead of two
 * alternatives. Output
 * schemas also drop `required` and `additionalProperties: false`: they only make a validator stricter about what
 * this server sends (and the server checks every answer against the tool's full schema before sending it).
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
    if (io === 'output' && (k === 'required' || (k === 'additionalProperties' && v === false))) continue;
    out[k] = trim(v, io);
  }
  return out;
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
 * The list with every output schema, and every output sub-schema, that an earlier tool already shows replaced by a
 * pointer to it. A whole output schema seen before keeps its fields' names, types and enums (an outline).
 */
function shareRepeats(defs: readonly Tool[]): Tool[] {
  const seen = new Map<string, string>();
  return defs.map((def) => {
    if (!def.outputSchema) return def;
    const top = def.outputSchema as Schema;
    const first = seen.get(keyOf(top));
    if (first) return { ...def, outputSchema: outline(top, first) as Tool['outputSchema'] };
    seen.set(keyOf(top), `${def.name}'s outputSchema`);
    return {
      ...def,
      outputSchema: share(def.outputSchema as Schema, def.name, '', seen) as Tool['outputSchema'],
    };
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

function share(schema: Schema, tool: string, path: string, seen: Map<string, string>): Schema {
  const out: Schema = { ...schema };
  const visit = (child: unknown, at: string): unknown => {
    if (!child || typeof child !== 'object' || Array.isArray(child)) return child;
    const node = child as Schema;
    const key = keyOf(node);
    if (key.length >= SHARE_MIN_CHARS) {
      const first = seen.get(key);
      if (first) return pointer(node, first);
      seen.set(key, `"${at}" in ${tool}'s outputSchema`);
    }
    return share(node, tool, at, seen);
  };
  const props = schema.properties as Record<string, unknown> | undefined;
  if (props) {
    out.properties = Object.fromEntries(
      Object.entries(props).map(([k, v]) => [k, visit(v, path ? `${path}.${k}` : k)]),
    );
  }
  if (schema.items && !Array.isArray(schema.items)) out.items = visit(schema.items, `${path}[]`);
  if (Array.isArray(schema.anyOf)) out.anyOf = schema.anyOf.map((v) => visit(v, path));
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    out.additionalProperties = visit(schema.additionalProperties, `${path}{}`);
  }
  return out;
}

/** A schema that accepts what `node` accepts (and more), and says where its full shape is shown. */
function pointer(node: Schema, where: string): Schema {
  const said = typeof node.description === 'string' ? `${node.description}. ` : '';
  return {
    ...(node.type !== undefined ? { type: node.type } : {}),
    description: `${said}Same shape as ${where}.`,
  };
}
