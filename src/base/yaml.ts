/**
 * A small YAML writer for the documents maas-mcp generates (cloud-init user data, kubeadm configuration, a
 * kubeconfig): mappings, sequences, strings, numbers, booleans and null, in block style. Every string is quoted
 * (JSON's double-quoted form is valid YAML), so no value is ever read back as another type ("no", "1.30",
 * "0600"); text of several lines is written as a literal block (`|`), which keeps scripts and certificates
 * readable. Runtime-neutral.
 */

export type YamlValue =
  | string
  | number
  | boolean
  | null
  | readonly YamlValue[]
  | { readonly [k: string]: YamlValue };

/** `value` as a YAML document (no leading `---`), ending with a newline. */
export function toYaml(value: YamlValue): string {
  return `${lines(value, 0).join('\n')}\n`;
}

/** Several YAML documents, separated by `---` lines. */
export function toYamlDocuments(docs: readonly YamlValue[]): string {
  return docs.map((d) => toYaml(d)).join('---\n');
}

const pad = (n: number) => ' '.repeat(n);

function isMap(v: YamlValue): v is { readonly [k: string]: YamlValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A plain key when it is a safe identifier, else quoted. */
function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? k : JSON.stringify(k);
}

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`yaml: ${v} is not a finite number`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

/**
 * Whether `text` can be a literal block: several lines, ending with exactly one newline (the `|` block's clipped
 * ending), no line starting with a space where the first line decides the indentation, and nothing YAML would
 * read differently (a carriage return, a control character).
 */
function literal(text: string): boolean {
  if (!text.includes('\n') || !text.endsWith('\n') || text.endsWith('\n\n')) return false;
  if (/^[ \t]/.test(text)) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f) return false;
  }
  return true;
}

function block(text: string, indent: number): string[] {
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => (l === '' ? '' : `${pad(indent)}${l}`));
}

/** The lines of `value` at `indent`; a mapping's or sequence's first line is at `indent` too. */
function lines(value: YamlValue, indent: number): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${pad(indent)}[]`];
    return value.flatMap((item: YamlValue) => {
      if (isMap(item) || Array.isArray(item)) {
        const inner = lines(item, indent + 2);
        if (inner.length === 1 && /^\s*(\[\]|\{\})$/.test(inner[0] ?? ''))
          return [`${pad(indent)}- ${inner[0]?.trim()}`];
        return [`${pad(indent)}- ${(inner[0] ?? '').slice(indent + 2)}`, ...inner.slice(1)];
      }
      if (typeof item === 'string' && literal(item)) return [`${pad(indent)}- |`, ...block(item, indent + 4)];
      return [`${pad(indent)}- ${scalar(item as string | number | boolean | null)}`];
    });
  }
  if (isMap(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [`${pad(indent)}{}`];
    return entries.flatMap(([k, v]) => {
      if (isMap(v) || Array.isArray(v)) {
        const inner = lines(v, indent + 2);
        if (inner.length === 1 && /^\s*(\[\]|\{\})$/.test(inner[0] ?? ''))
          return [`${pad(indent)}${key(k)}: ${inner[0]?.trim()}`];
        return [`${pad(indent)}${key(k)}:`, ...inner];
      }
      if (typeof v === 'string' && literal(v)) return [`${pad(indent)}${key(k)}: |`, ...block(v, indent + 2)];
      return [`${pad(indent)}${key(k)}: ${scalar(v as string | number | boolean | null)}`];
    });
  }
  return [`${pad(indent)}${scalar(value as string | number | boolean | null)}`];
}
