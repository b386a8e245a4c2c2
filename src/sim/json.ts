/**
 * Byte-level JSON the way MAAS emits it: piston's `json.dumps(indent=4)` for answers, Python's compact
 * `json.dumps` for validation-error dicts, and Python `repr` for the few messages that quote a value.
 */

// JSON.stringify cannot print `0.0`; floats that happen to be whole travel as a marked string and are unmarked
// after stringifying. JSON escapes NUL as the six characters `\u0000`, which no other value can produce.
const FLOAT_MARK = '\u0000F';
const FLOAT_MARK_RE = /"\\u0000F([^"]*)"/g;

/** A Python float: whole values render as `12.0`, not `12`. */
export function pyFloat(n: number): number | string {
  return Number.isInteger(n) ? `${FLOAT_MARK}${n}.0` : n;
}

/** `str(float)` for text messages (`cpu_count=4.0`). */
export function pyFloatText(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/** JSON as piston renders it: 4-space indent, `": "` separators. */
export function renderJson(value: unknown): string {
  const s = JSON.stringify(value, null, 4) ?? 'null';
  return s.includes('\\u0000F') ? s.replace(FLOAT_MARK_RE, '$1') : s;
}

/**
 * Python's default `json.dumps` (no indent, `", "` and `": "`, ASCII-only), used for 400 field errors;
 * `sortKeys` is its `sort_keys=True`.
 */
export function pyDumps(value: unknown, sortKeys = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return asciiOnly(JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyDumps(v, sortKeys)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${asciiOnly(JSON.stringify(k))}: ${pyDumps(v, sortKeys)}`).join(', ')}}`;
}

function asciiOnly(s: string): string {
  return s.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Python `repr()` of a str. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python `repr()` of a list of str. */
export function pyReprList(items: readonly string[]): string {
  return `[${items.map(pyRepr).join(', ')}]`;
}

/**
 * A JSON array rendered one element per pull, so a 10,000-machine list (hundreds of MB) is never one string.
 * Output is byte-identical to rendering the whole array with {@link renderJson}.
 */
export function jsonArrayStream<T>(
  items: readonly T[],
  render: (item: T) => unknown,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (items.length === 0) {
        controller.enqueue(encoder.encode('[]'));
        controller.close();
        return;
      }
      const item = items[i];
      if (item === undefined) {
        controller.enqueue(encoder.encode('\n]'));
        controller.close();
        return;
      }
      // Stringifying a one-element array indents the element exactly as it sits in the full list.
      const wrapped = renderJson([render(item)]);
      controller.enqueue(encoder.encode((i === 0 ? '[' : ',') + wrapped.slice(1, -2)));
      i++;
    },
  });
}
