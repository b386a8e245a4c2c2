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

type Kind = 'boolean' | 'number' | 'list' | 'record' | 'string';

/** What kind of value a field takes, seen through optional/default wrappers. */
export function fieldKind(schema: z.ZodType): Kind {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType; options?: z.ZodType[] } };
  while (s.def.type === 'optional' || s.def.type === 'default' || s.def.type === 'nullable') {
    s = s.def.innerType as typeof s;
  }
  switch (s.def.type) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'array':
      return 'list';
    case 'record':
      return 'record';
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
    if (kind === 'record') {
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
    const hint =
      kind === 'boolean'
        ? 'true|false'
        : kind === 'number'
          ? 'N'
          : kind === 'list'
            ? 'a,b'
            : kind === 'record'
              ? '…'
              : '…';
    return kind === 'record' ? `[${k}.<key>=…]` : `[${k}=${hint}]`;
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
