/**
 * A streaming reader for MAAS's unpaginated collections (MAAS `NodesHandler.read`): a top-level JSON array of objects,
 * 15–60 KB each, tens of thousands of them. It never holds the whole answer: it scans bytes as they arrive and
 * materialises only the wanted top-level keys of each element, so memory stays at one element's worth no matter
 * how large the answer is. Values of unwanted keys (interface_set, blockdevice_set, …) are skipped unparsed.
 *
 * Speed matters as much as memory (a 10,000-machine answer is ~250 MB): the scanner keeps its state in locals,
 * skips strings and nested values with one table lookup a byte, and parses each element's picked values with a
 * single JSON.parse.
 */
import { MaasProtocolError } from './errors.ts';
import { IndentedArrayReader, looksIndented, type PickedElement } from './json-indented.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Bytes that end a run inside a string. */
const STRING_STOP = new Uint8Array(256);
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;
/** Bytes that matter inside a nested value. */
const DEEP_STOP = new Uint8Array(256);
for (const c of [QUOTE, LBRACE, RBRACE, LBRACKET, RBRACKET]) DEEP_STOP[c] = 1;
/** JSON whitespace. */
const SPACE = new Uint8Array(256);
for (const c of [0x20, 0x0a, 0x0d, 0x09]) SPACE[c] = 1;

// What the scanner expects next at the element's own level (depth 2).
const KEY = 0;
const COLON_NEXT = 1;
const VALUE = 2;
const PRIMITIVE = 3;
const COMMA_OR_END = 4;

export type { PickedElement };

/** Picks top-level keys from each element of a streamed top-level JSON array of objects. */
export class ArrayElementPicker {
  private readonly wanted: ReadonlySet<string> | 'all';
  private readonly onElement: (element: PickedElement, index: number) => void;
  private readonly decoder = new TextDecoder();

  // Scanner state carried from one chunk to the next.
  private depth = 0;
  private started = false;
  private finished = false;
  private inString = false;
  private escapePending = false;
  private stringIsKey = false;
  private expect = KEY;
  /** The key just read is wanted; its value has not started yet. */
  private wantValue = false;
  /** A wanted value is being read. */
  private capturing = false;
  private count = 0;

  /** Bytes of the key being read, when it spans chunks. */
  private keyParts: Uint8Array[] = [];
  /** The element's picked values, as `"key":value` JSON fragments. */
  private fields: Uint8Array[] = [];
  /** Bytes of the value being captured, when it spans chunks. */
  private captureParts: Uint8Array[] = [];

  constructor(wanted: Iterable<string> | 'all', onElement: (element: PickedElement, index: number) => void) {
    this.wanted = wanted === 'all' ? 'all' : new Set(wanted);
    this.onElement = onElement;
  }

  /** Elements seen so far. */
  get elements(): number {
    return this.count;
  }

  push(chunk: Uint8Array): void {
    const len = chunk.length;
    let depth = this.depth;
    let inString = this.inString;
    let stringIsKey = this.stringIsKey;
    let expect = this.expect;
    let capturing = this.capturing;
    let wantValue = this.wantValue;
    let i = 0;
    // Where a key or captured value that started in this chunk begins (-1: it began in an earlier chunk).
    let keyStart = inString && stringIsKey ? 0 : -1;
    let capStart = capturing ? 0 : -1;

    if (this.escapePending && len > 0) {
      this.escapePending = false;
      i = 1;
    }

    while (i < len) {
      if (inString) {
        while (i < len && STRING_STOP[chunk[i] as number] === 0) i++;
        if (i >= len) break;
        if (chunk[i] === BACKSLASH) {
          if (i + 1 >= len) {
            this.escapePending = true;
            i = len;
          } else {
            i += 2;
          }
          continue;
        }
        // The string closes at i.
        inString = false;
        if (stringIsKey) {
          const key = this.readKey(chunk, keyStart < 0 ? 0 : keyStart, i);
          keyStart = -1;
          wantValue = this.wanted === 'all' || this.wanted.has(key);
          if (wantValue) this.captureParts = [textBytes(`${JSON.stringify(key)}:`)];
          expect = COLON_NEXT;
        } else if (depth === 2) {
          if (capturing) {
            this.captureParts.push(chunk.subarray(capStart < 0 ? 0 : capStart, i + 1));
            capStart = -1;
            capturing = false;
            this.keepField();
          }
          expect = COMMA_OR_END;
        }
        i++;
        continue;
      }

      if (depth > 2) {
        // Inside a nested value only quotes and brackets matter.
        while (i < len && DEEP_STOP[chunk[i] as number] === 0) i++;
        if (i >= len) break;
        const c = chunk[i] as number;
        if (c === QUOTE) {
          inString = true;
          stringIsKey = false;
        } else if (c === LBRACE || c === LBRACKET) {
          depth++;
        } else if (--depth === 2) {
          if (capturing) {
            this.captureParts.push(chunk.subarray(capStart < 0 ? 0 : capStart, i + 1));
            capStart = -1;
            capturing = false;
            this.keepField();
          }
          expect = COMMA_OR_END;
        }
        i++;
        continue;
      }

      const b = chunk[i] as number;
      if (SPACE[b] === 1) {
        if (depth === 2 && expect === PRIMITIVE) {
          if (capturing) {
            this.captureParts.push(chunk.subarray(capStart < 0 ? 0 : capStart, i));
            capStart = -1;
            capturing = false;
            this.keepField();
          }
          expect = COMMA_OR_END;
        }
        i++;
        continue;
      }

      if (depth === 2) {
        switch (expect) {
          case KEY:
            if (b === QUOTE) {
              inString = true;
              stringIsKey = true;
              keyStart = i + 1;
              this.keyParts = [];
            } else if (b === RBRACE) {
              depth = this.endElement(); // `{}` or a trailing comma
            } else {
              this.fail(`expected a key, found "${String.fromCharCode(b)}"`);
            }
            break;
          case COLON_NEXT:
            if (b !== COLON) this.fail('expected ":" after a key');
            expect = VALUE;
            break;
          case VALUE:
            if (wantValue) {
              wantValue = false;
              capturing = true;
              capStart = i;
            }
            if (b === QUOTE) {
              inString = true;
              stringIsKey = false;
            } else if (b === LBRACE || b === LBRACKET) {
              depth++;
            } else {
              expect = PRIMITIVE;
            }
            break;
          case PRIMITIVE:
            if (b === COMMA || b === RBRACE) {
              if (capturing) {
                this.captureParts.push(chunk.subarray(capStart < 0 ? 0 : capStart, i));
                capStart = -1;
                capturing = false;
                this.keepField();
              }
              if (b === COMMA) expect = KEY;
              else depth = this.endElement();
            }
            break;
          default:
            if (b === COMMA) expect = KEY;
            else if (b === RBRACE) depth = this.endElement();
            else this.fail(`expected "," or "}", found "${String.fromCharCode(b)}"`);
        }
        i++;
        continue;
      }

      if (depth === 1) {
        if (b === LBRACE) {
          depth = 2;
          expect = KEY;
        } else if (b === RBRACKET) {
          depth = 0;
          this.finished = true;
        } else if (b !== COMMA) {
          this.fail('expected an object in the array');
        }
        i++;
        continue;
      }

      if (this.finished) this.fail('unexpected data after the end of the array');
      if (b !== LBRACKET) this.fail('expected a JSON array');
      this.started = true;
      depth = 1;
      i++;
    }

    // Carry partial tokens over to the next chunk.
    if (inString && stringIsKey && keyStart >= 0) this.keyParts.push(chunk.subarray(keyStart));
    if (capturing && capStart >= 0) this.captureParts.push(chunk.subarray(capStart));
    this.depth = depth;
    this.inString = inString;
    this.stringIsKey = stringIsKey;
    this.expect = expect;
    this.capturing = capturing;
    this.wantValue = wantValue;
  }

  /** Call when the body ended; throws if the array was cut short. */
  end(): number {
    if (!this.started || !this.finished) this.fail('the answer ended before the JSON array was complete');
    return this.count;
  }

  private readKey(chunk: Uint8Array, from: number, to: number): string {
    let bytes = chunk.subarray(from, to);
    if (this.keyParts.length > 0) {
      this.keyParts.push(bytes);
      bytes = concat(this.keyParts);
      this.keyParts = [];
    }
    return asciiKey(bytes) ?? (JSON.parse(`"${this.decoder.decode(bytes)}"`) as string);
  }

  /** Keeps a captured `"key":value` fragment; its bytes may point into the current chunk, so copy them. */
  private keepField(): void {
    this.fields.push(concat(this.captureParts));
    this.captureParts = [];
  }

  /** Parses the element's picked fields with one JSON.parse and hands it over; returns the new depth. */
  private endElement(): number {
    let element: PickedElement = {};
    if (this.fields.length > 0) {
      const parts: Uint8Array[] = [OPEN];
      this.fields.forEach((f, i) => {
        if (i > 0) parts.push(SEP);
        parts.push(f);
      });
      parts.push(CLOSE);
      try {
        element = JSON.parse(this.decoder.decode(concat(parts))) as PickedElement;
      } catch {
        this.fail(`element ${this.count} has a value that is not valid JSON`);
      }
      this.fields = [];
    }
    this.onElement(element, this.count++);
    return 1;
  }

  private fail(why: string): never {
    throw new MaasProtocolError(`MAAS sent malformed JSON: ${why}`);
  }
}

const encoder = new TextEncoder();
const textBytes = (s: string) => encoder.encode(s);
const OPEN = textBytes('{');
const SEP = textBytes(',');
const CLOSE = textBytes('}');

/** Fast path for the plain ASCII keys MAAS uses; undefined when the key needs real JSON decoding. */
function asciiKey(bytes: Uint8Array): string | undefined {
  if (bytes.length > 64) return undefined;
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c >= 0x80 || c === BACKSLASH) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return (parts[0] as Uint8Array).slice();
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Answers up to this size are parsed natively in one go; larger ones are streamed. */
export const BUFFER_UP_TO = 8 * 1024 * 1024;

/**
 * Reads a JSON array of objects from a response body and calls `onElement` for each element; returns their
 * number. An answer that ends within `bufferUpTo` bytes is parsed with the native JSON.parse (fastest for the
 * usual few hundred machines); a larger one is streamed through an {@link ArrayElementPicker} that keeps only
 * `wanted` keys, so memory stays bounded by `bufferUpTo` whatever MAAS sends.
 */
export async function readArray(
  body: ReadableStream<Uint8Array>,
  wanted: Iterable<string> | 'all',
  onElement: (element: PickedElement, index: number) => void,
  bufferUpTo = BUFFER_UP_TO,
): Promise<number> {
  const reader = body.getReader();
  const held: Uint8Array[] = [];
  let size = 0;
  let picker: { push(chunk: Uint8Array): void; end(): number } | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (picker) {
        picker.push(value);
        continue;
      }
      held.push(value);
      size += value.length;
      if (size > bufferUpTo) {
        // Too big to hold: stream it, through the fast reader when it is laid out the way MAAS lays it out.
        const head = headOf(held, 16);
        picker = looksIndented(head)
          ? new IndentedArrayReader(wanted, onElement)
          : new ArrayElementPicker(wanted, onElement);
        for (const c of held.splice(0)) picker.push(c);
      }
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err;
  } finally {
    reader.releaseLock();
  }
  if (picker) return picker.end();
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(concatAll(held, size)));
  } catch {
    throw new MaasProtocolError('MAAS sent malformed JSON: the answer is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw new MaasProtocolError('MAAS sent malformed JSON: expected a JSON array');
  parsed.forEach((element, i) => {
    if (element === null || typeof element !== 'object' || Array.isArray(element)) {
      throw new MaasProtocolError('MAAS sent malformed JSON: expected an object in the array');
    }
    onElement(element as PickedElement, i);
  });
  return parsed.length;
}

/** The first `n` bytes of a list of chunks. */
function headOf(parts: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    if (o >= n) break;
    const take = p.subarray(0, n - o);
    out.set(take, o);
    o += take.length;
  }
  return out.subarray(0, o);
}

function concatAll(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
