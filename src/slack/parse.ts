/**
 * `/maas <verb> <machines…> [key=value…]`: splitting the text (quotes, including the curly ones Slack clients
 * type), and turning words into a tool's arguments by reading the tool's own zod schema (booleans, numbers, lists,
 * `set.key=value` for key/value fields). The schema then validates, so Slack and MCP accept exactly the same.
 */
import type * as z from 'zod/v4';
import type { AnyTool } from '../core/tool.ts';

export interface ParsedText {
  verb: string;
  positional: string[];
  options: [string, string][];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Splits on spaces, keeping quoted runs together: `comment="disk 2 died"`, `'a b'`, “curly”. A quote opens a run
 * only at the start of a word or a value (after `=`), so an apostrophe inside a word (it’s) is just a letter.
 */
export function tokenize(text: string): string[] {
  const normal = text.replace(/[“”]/g, '"').replace(/[‘’]/g, "'");
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of normal) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if ((ch === '"' || ch === "'") && (cur === '' || cur.endsWith('='))) {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) throw new UsageError(`a quote (${quote}) is not closed`);
  if (has || cur) out.push(cur);
  return out;
}

export function parseText(text: string): ParsedText {
  const [verb = 'help', ...rest] = tokenize(text.trim());
  const positional: string[] = [];
  const options: [string, string][] = [];
  for (const word of rest) {
    // An option's name is case-insensitive; a key after its dot (set.Ticket-ID=…) is kept as typed.
    const flag = /^--([a-z_][a-z0-9_]*)$/i.exec(word);
    const kv = /^([a-z_][a-z0-9_]*)(\.[^=\s]+)?=(.*)$/is.exec(word);
    if (flag) options.push([(flag[1] as string).toLowerCase(), 'true']);
    else if (kv) options.push([`${(kv[1] as string).toLowerCase()}${kv[2] ?? ''}`, kv[3] as string]);
    else positional.push(word);
  }
  return { verb: verb.toLowerCase(), positional, options };
}

type Kind = 'boolean' | 'number' | 'list' | 'record' | 'object' | 'objects' | 'string';

type Def = {
  type: string;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
};

/** A schema seen through its optional/default/nullable wrappers. */
function unwrap(schema: z.ZodType): z.ZodType & { def: Def } {
  let s = schema as z.ZodType & { def: Def };
  while (s.def.type === 'optional' || s.def.type === 'default' || s.def.type === 'nullable') {
    s = s.def.innerType as typeof s;
  }
  return s;
}

/** What kind of value a field takes, seen through optional/default wrappers. */
export function fieldKind(schema: z.ZodType): Kind {
  const s = unwrap(schema);
  switch (s.def.type) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'array':
      return unwrap(s.def.element as z.ZodType).def.type === 'object' ? 'objects' : 'list';
    case 'record':
      return 'record';
    case 'object':
      return 'object';
    case 'union':
      return (s.def.options ?? []).some((o) => fieldKind(o) === 'list') ? 'list' : 'string';
    default:
      return 'string';
  }
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

/** Builds a tool's arguments from parsed words; the tool's schema validates them afterwards. */
export function toArgs(tool: AnyTool, parsed: ParsedText): Record<string, unknown> {
  const shape = tool.input.shape as Record<string, z.ZodType>;
  const args: Record<string, unknown> = {};
  const positionalField = tool.slack?.positional;
  if (parsed.positional.length > 0) {
    if (!positionalField) {
      throw new UsageError(
        `\`${tool.verb}\` takes no bare words (got "${parsed.positional.join(' ')}"); use key=value`,
      );
    }
    const kind = fieldKind(shape[positionalField] as z.ZodType);
    args[positionalField] =
      kind === 'list' ? parsed.positional.flatMap(splitList) : parsed.positional.join(' ');
  }
  for (const [key, raw] of parsed.options) {
    const dot = key.indexOf('.');
    const typed = dot < 0 ? key : key.slice(0, dot);
    const sub = dot < 0 ? undefined : key.slice(dot + 1);
    const field = resolveOption(tool, typed);
    const schema = shape[field];
    if (!schema || field === 'confirm_token') {
      throw new UsageError(
        `unknown option "${key}"; \`${tool.verb}\` takes: ${optionNames(tool).join(', ')}`,
      );
    }
    const kind = fieldKind(schema);
    if (kind === 'object' || kind === 'objects') {
      args[field] = structured(field, schema, args[field], sub, raw);
    } else if (kind === 'record') {
      if (!sub) throw new UsageError(`${field} takes ${field}.<key>=<value> (e.g. ${field}.service=web)`);
      args[field] = { ...((args[field] as Record<string, string>) ?? {}), [sub]: raw };
    } else if (kind === 'boolean') {
      const v = raw.toLowerCase();
      if (!TRUE.has(v) && !FALSE.has(v))
        throw new UsageError(`${field} must be true or false (got "${raw}")`);
      args[field] = TRUE.has(v);
    } else if (kind === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new UsageError(`${field} must be a number (got "${raw}")`);
      args[field] = n;
    } else if (kind === 'list') {
      args[field] = [...((args[field] as string[]) ?? []), ...splitList(raw)];
    } else {
      // Choices are matched whatever their case (level=warning → WARNING).
      args[field] = enumValues(schema).find((v) => v.toLowerCase() === raw.toLowerCase()) ?? raw;
    }
  }
  return args;
}

/**
 * A value inside an object field, or a list of objects, from `field.key=value` or `field.<n>.key=value` (`<n>`
 * counts from 0 and may be left out for the first: `bonds.name=bond0`), read by the schema of the key it names;
 * or the whole field as JSON (`params={"efi_mb":256}`).
 */
function structured(
  field: string,
  schema: z.ZodType,
  current: unknown,
  sub: string | undefined,
  raw: string,
) {
  const many = fieldKind(schema) === 'objects';
  if (!sub) {
    try {
      return JSON.parse(raw);
    } catch {
      const how = many
        ? `${field}.<n>.<key>=value (n from 0), e.g. ${field}.0.name=…`
        : `${field}.<key>=value`;
      throw new UsageError(`${field} takes ${how}, or JSON`);
    }
  }
  const path = sub.split('.');
  if (many && !/^\d+$/.test(path[0] ?? '')) path.unshift('0');
  const root = current ?? (many ? [] : {});
  let node = root as Record<string, unknown>;
  let s = unwrap(schema);
  path.forEach((seg, i) => {
    const last = i === path.length - 1;
    let next: z.ZodType | undefined;
    if (s.def.type === 'array' && /^\d+$/.test(seg) && Number(seg) < 100) next = s.def.element;
    else if (s.def.type === 'object') next = s.def.shape?.[seg];
    if (!next) throw new UsageError(`${field}.${sub}: there is no "${seg}" there${keysOf(s)}`);
    if (last) {
      node[seg] = leaf(`${field}.${sub}`, next, node[seg], raw);
      return;
    }
    const inner = unwrap(next);
    node[seg] ??= inner.def.type === 'array' ? [] : {};
    node = node[seg] as Record<string, unknown>;
    s = inner;
  });
  return root;
}

function keysOf(s: z.ZodType & { def: Def }): string {
  return s.def.type === 'object' ? ` (it has ${Object.keys(s.def.shape ?? {}).join(', ')})` : '';
}

/** One typed value, by the kind its schema takes. */
function leaf(name: string, schema: z.ZodType, current: unknown, raw: string): unknown {
  const kind = fieldKind(schema);
  if (kind === 'boolean') {
    const v = raw.toLowerCase();
    if (!TRUE.has(v) && !FALSE.has(v)) throw new UsageError(`${name} must be true or false (got "${raw}")`);
    return TRUE.has(v);
  }
  if (kind === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`${name} must be a number (got "${raw}")`);
    return n;
  }
  if (kind === 'list') return [...((current as string[]) ?? []), ...splitList(raw)];
  return enumValues(schema).find((v) => v.toLowerCase() === raw.toLowerCase()) ?? raw;
}

/**
 * An option as typed, or the one option it is an unambiguous start of (`distro=jammy` → `distro_series`), the
 * way people type in a chat.
 */
function resolveOption(tool: AnyTool, typed: string): string {
  const names = Object.keys(tool.input.shape as object);
  if (names.includes(typed)) return typed;
  const starts = names.filter((n) => n.startsWith(typed) && n !== 'confirm_token');
  return starts.length === 1 ? (starts[0] as string) : typed;
}

/** The choices of an enum field (through optional/default wrappers), or none. */
function enumValues(schema: z.ZodType): string[] {
  let s = schema as z.ZodType & {
    def: { type: string; innerType?: z.ZodType; entries?: Record<string, string> };
  };
  while (s.def.innerType && s.def.type !== 'enum') s = s.def.innerType as typeof s;
  return s.def.type === 'enum' ? Object.values(s.def.entries ?? {}) : [];
}

function splitList(word: string): string[] {
  return word
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function optionNames(tool: AnyTool): string[] {
  return Object.keys(tool.input.shape as object).filter(
    (k) => k !== 'confirm_token' && k !== tool.slack?.positional,
  );
}

/** "`/maas deploy <machines…> [distro_series=…] [wait=true|false]`" */
export function usage(tool: AnyTool): string {
  const shape = tool.input.shape as Record<string, z.ZodType>;
  const pos = tool.slack?.positional
    ? ` <${tool.slack.positional}${fieldKind(shape[tool.slack.positional] as z.ZodType) === 'list' ? '…' : ''}>`
    : '';
  const opts = optionNames(tool).map((k) => {
    const kind = fieldKind(shape[k] as z.ZodType);
    const hint = kind === 'boolean' ? 'true|false' : kind === 'number' ? 'N' : kind === 'list' ? 'a,b' : '…';
    if (kind === 'record' || kind === 'object') return `[${k}.<key>=…]`;
    if (kind === 'objects') return `[${k}.<n>.<key>=…]`;
    return `[${k}=${hint}]`;
  });
  return `\`/maas ${tool.verb}${pos}${opts.length ? ` ${opts.join(' ')}` : ''}\``;
}

/** One line per field, from the schema's own descriptions. */
export function fieldHelp(tool: AnyTool): string[] {
  const shape = tool.input.shape as Record<string, z.ZodType & { description?: string }>;
  return Object.entries(shape)
    .filter(([k]) => k !== 'confirm_token')
    .map(([k, s]) => `• \`${k}\` — ${describe(s)}`);
}

function describe(s: z.ZodType & { description?: string }): string {
  let cur = s as z.ZodType & { description?: string; def: { innerType?: z.ZodType } };
  while (!cur.description && cur.def.innerType) cur = cur.def.innerType as typeof cur;
  return cur.description ?? '';
}
