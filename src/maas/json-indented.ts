/**
 * The fast path for large MAAS lists. MAAS renders JSON with a 4-space indent (MAAS `maasserver/api/support.py`,
 * piston's emitter), so in an array of objects every element ends at "\n    }" and every top-level key of an element
 * starts a line "\n        \"". JSON strings cannot hold a raw newline, so those sequences occur nowhere else. That
 * lets the native string search find elements and their top-level keys, skipping the nested values (most of each 25
 * KB machine) without looking at their bytes; only wanted values are parsed. Anything not laid out this way is read
 * by the general {@link ArrayElementPicker} instead.
 */
import { MaasProtocolError } from './errors.ts';

const START = '[\n    {';
const ELEMENT_END = '\n    }';
const KEY_LINE = '\n        "';

/** One array element as the readers hand it on: the wanted top-level keys of a JSON object. */
export type PickedElement = Record<string, unknown>;

/** True when an answer begins the way MAAS lays out a non-empty list. */
export function looksIndented(head: Uint8Array): boolean {
  if (head.length < START.length) return false;
  for (let i = 0; i < START.length; i++) if (head[i] !== START.charCodeAt(i)) return false;
  return true;
}

export class IndentedArrayReader {
  private readonly wanted: ReadonlySet<string> | 'all';
  private readonly decoder = new TextDecoder();
  private buf = '';
  private started = false;
  private finished = false;
  private count = 0;

  constructor(
    wanted: Iterable<string> | 'all',
    private readonly onElement: (element: PickedElement, index: number) => void,
  ) {
    this.wanted = wanted === 'all' ? 'all' : new Set(wanted);
  }

  push(chunk: Uint8Array): void {
    this.buf += this.decoder.decode(chunk, { stream: true });
    this.drain();
  }

  end(): number {
    this.buf += this.decoder.decode();
    this.drain();
    if (!this.finished || this.buf.trim() !== '') {
      throw new MaasProtocolError(
        'MAAS sent malformed JSON: the answer ended before the JSON array was complete',
      );
    }
    return this.count;
  }

  private drain(): void {
    const buf = this.buf;
    let pos = 0;
    if (!this.started) {
      if (buf.length < START.length) return;
      if (!buf.startsWith(START)) this.fail('expected an indented JSON array');
      this.started = true;
      pos = START.length - 1; // at the first element's "{"
    }
    while (!this.finished) {
      if (buf.charCodeAt(pos) !== 0x7b /* { */) {
        // Between elements: ",\n    {" continues, "\n]" ends.
        const rest = buf.slice(pos, pos + 7);
        if (rest.startsWith(',\n    {')) {
          pos += 6;
          continue;
        }
        if (rest.startsWith('\n]')) {
          this.finished = true;
          pos += 2;
          break;
        }
        if (buf.length - pos < 7) break; // wait for more
        this.fail('unexpected text between elements');
      }
      const end = buf.indexOf(ELEMENT_END, pos);
      if (end < 0) break;
      this.element(buf.slice(pos, end + ELEMENT_END.length));
      pos = end + ELEMENT_END.length;
    }
    this.buf = buf.slice(pos);
  }

  /** Picks the wanted top-level keys of one element's text. */
  private element(text: string): void {
    const out: PickedElement = {};
    const bodyEnd = text.length - ELEMENT_END.length;
    let i = text.indexOf(KEY_LINE);
    if (i !== 1) {
      this.whole(text);
      return;
    }
    while (i >= 0) {
      const keyStart = i + KEY_LINE.length;
      const keyEnd = text.indexOf('"', keyStart);
      if (keyEnd < 0 || text.charCodeAt(keyEnd + 1) !== 0x3a /* : */) {
        this.whole(text);
        return;
      }
      const key = text.slice(keyStart, keyEnd);
      if (key.includes('\\')) {
        this.whole(text);
        return;
      }
      const next = text.indexOf(KEY_LINE, keyEnd);
      if (this.wanted === 'all' || this.wanted.has(key)) {
        let value = text.slice(keyEnd + 2, next < 0 ? bodyEnd : next).trim();
        if (value.endsWith(',')) value = value.slice(0, -1);
        try {
          out[key] = JSON.parse(value);
        } catch {
          this.whole(text);
          return;
        }
      }
      i = next;
    }
    this.onElement(out, this.count++);
  }

  /** An element not laid out as expected: parse it whole (correct, just slower). */
  private whole(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.fail(`element ${this.count} is not valid JSON`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      this.fail('expected an object in the array');
    const all = parsed as PickedElement;
    let out: PickedElement = all;
    if (this.wanted !== 'all') {
      out = {};
      for (const k of this.wanted) if (k in all) out[k] = all[k];
    }
    this.onElement(out, this.count++);
  }

  private fail(why: string): never {
    throw new MaasProtocolError(`MAAS sent malformed JSON: ${why}`);
  }
}
