/**
 * A streaming reader for MAAS's unpaginated collections (maas-api.md §7): a top-level JSON array of objects,
 * 15–60 KB each, tens of thousands of them. It never holds the whole answer: it scans bytes as they arrive and
 * materialises only the wanted top-level keys of each element, so memory stays at one element's worth no matter
 * how large the answer is. Values of unwanted keys (interface_set, blockdevice_set, …) are skipped unparsed.
 */
import { MaasProtocolError } from './errors.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

enum Expect {
  Key,
  Colon,
  Value,
  Primitive,
  CommaOrEnd,
}

export type PickedElement = Record<string, unknown>;

/** Picks top-level keys from each element of a streamed top-level JSON array of objects. */
export class ArrayElementPicker {
  private readonly wanted: ReadonlySet<string> | 'all';
  private readonly onElement: (element: PickedElement, index: number) => void;
  private readonly decoder = new TextDecoder();

  private depth = 0;
  private started = false;
  private finished = false;
  private inString = false;
  private escapePending = false;
  private stringIsKey = false;
  private expect = Expect.Key;
  private current: PickedElement = {};
  private count = 0;

  private keyParts: Uint8Array[] = [];
  private key = '';
  private capturing = false;
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
    let i = 0;
    // Start offsets of a key or captured value that began in this chunk (-1: began earlier or none).
    let keyStart = this.inString && this.stringIsKey ? 0 : -1;
    let capStart = this.capturing ? 0 : -1;
    let nextBackslash = -1;
    let nextQuote = -1;

    while (i < len) {
      if (this.inString) {
        if (this.escapePending) {
          this.escapePending = false;
          i++;
          continue;
        }
        if (nextQuote < i) {
          nextQuote = chunk.indexOf(QUOTE, i);
          if (nextQuote < 0) nextQuote = len;
        }
        if (nextBackslash < i) {
          nextBackslash = chunk.indexOf(BACKSLASH, i);
          if (nextBackslash < 0) nextBackslash = len;
        }
        if (nextBackslash < nextQuote) {
          // Skip the escaped byte (it may be the first byte of the next chunk).
          if (nextBackslash + 1 >= len) {
            this.escapePending = true;
            i = len;
          } else {
            i = nextBackslash + 2;
          }
          continue;
        }
        if (nextQuote === len) {
          i = len;
          continue;
        }
        const q = nextQuote;
        // String closes at q.
        this.inString = false;
        i = q + 1;
        if (this.stringIsKey) {
          this.keyParts.push(chunk.subarray(keyStart < 0 ? 0 : keyStart, q));
          keyStart = -1;
          this.finishKey();
        } else if (this.depth === 2) {
          // A string value of the element itself ends here.
          if (this.capturing) {
            this.captureParts.push(chunk.subarray(capStart < 0 ? 0 : capStart, i));
            capStart = -1;
            this.finishCapture();
          }
          this.expect = Expect.CommaOrEnd;
        }
        continue;
      }

      const b = chunk[i] as number;
      if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
        if (this.depth === 2 && this.expect === Expect.Primitive) {
          if (this.capturing) {
            this.captureParts.push(chunk.subarray(capStart < 0 ? 0 : capStart, i));
            capStart = -1;
            this.finishCapture();
          }
          this.expect = Expect.CommaOrEnd;
        }
        i++;
        continue;
      }

      if (this.depth > 2) {
        // Inside a nested value: only strings and brackets matter.
        if (b === QUOTE) {
          this.inString = true;
          this.stringIsKey = false;
        } else if (b === LBRACE || b === LBRACKET) {
          this.depth++;
        } else if (b === RBRACE || b === RBRACKET) {
          this.depth--;
          if (this.depth === 2) {
            if (this.capturing) {
              this.captureParts.push(chunk.subarray(capStart < 0 ? 0 : capStart, i + 1));
              capStart = -1;
              this.finishCapture();
            }
            this.expect = Expect.CommaOrEnd;
          }
        }
        i++;
        continue;
      }

      if (this.depth === 2) {
        switch (this.expect) {
          case Expect.Key:
            if (b === QUOTE) {
              this.inString = true;
              this.stringIsKey = true;
              keyStart = i + 1;
              this.keyParts = [];
            } else if (b === RBRACE) {
              this.endElement(); // `{}` or a trailing comma tolerated
            } else {
              this.fail(`expected a key, found "${String.fromCharCode(b)}"`);
            }
            break;
          case Expect.Colon:
            if (b !== COLON) this.fail('expected ":" after a key');
            this.expect = Expect.Value;
            break;
          case Expect.Value:
            if (this.capturing) {
              capStart = i;
              this.captureParts = [];
            }
            if (b === QUOTE) {
              this.inString = true;
              this.stringIsKey = false;
            } else if (b === LBRACE || b === LBRACKET) {
              this.depth++;
            } else {
              this.expect = Expect.Primitive;
            }
            break;
          case Expect.Primitive:
            if (b === COMMA || b === RBRACE) {
              if (this.capturing) {
                this.captureParts.push(chunk.subarray(capStart < 0 ? 0 : capStart, i));
                capStart = -1;
                this.finishCapture();
              }
              if (b === COMMA) this.expect = Expect.Key;
              else this.endElement();
            }
            break;
          case Expect.CommaOrEnd:
            if (b === COMMA) this.expect = Expect.Key;
            else if (b === RBRACE) this.endElement();
            else this.fail(`expected "," or "}", found "${String.fromCharCode(b)}"`);
            break;
        }
        i++;
        continue;
      }

      if (this.depth === 1) {
        if (b === LBRACE) {
          this.depth = 2;
          this.expect = Expect.Key;
          this.current = {};
        } else if (b === RBRACKET) {
          this.depth = 0;
          this.finished = true;
        } else if (b !== COMMA) {
          this.fail('expected an object in the array');
        }
        i++;
        continue;
      }

      // depth 0
      if (this.finished) this.fail('unexpected data after the end of the array');
      if (b !== LBRACKET) this.fail('expected a JSON array');
      this.started = true;
      this.depth = 1;
      i++;
    }

    // Carry partial tokens over to the next chunk.
    if (this.inString && this.stringIsKey && keyStart >= 0) this.keyParts.push(chunk.subarray(keyStart));
    if (this.capturing && capStart >= 0) this.captureParts.push(chunk.subarray(capStart));
  }

  /** Call when the body ended; throws if the array was cut short. */
  end(): number {
    if (!this.started || !this.finished) this.fail('the answer ended before the JSON array was complete');
    return this.count;
  }

  private finishKey(): void {
    const parts = this.keyParts;
    this.keyParts = [];
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts);
    this.key = asciiKey(bytes) ?? (JSON.parse(`"${this.decoder.decode(bytes)}"`) as string);
    this.capturing = this.wanted === 'all' || this.wanted.has(this.key);
    this.expect = Expect.Colon;
  }

  private finishCapture(): void {
    const parts = this.captureParts;
    this.captureParts = [];
    this.capturing = false;
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts);
    try {
      this.current[this.key] = JSON.parse(this.decoder.decode(bytes));
    } catch {
      this.fail(`the value of "${this.key}" is not valid JSON`);
    }
  }

  private endElement(): void {
    this.depth = 1;
    const element = this.current;
    this.current = {};
    this.onElement(element, this.count++);
  }

  private fail(why: string): never {
    throw new MaasProtocolError(`MAAS sent malformed JSON: ${why}`);
  }
}

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

/** Reads a response body to the end through a picker; returns the number of elements. */
export async function pickFromStream(
  body: ReadableStream<Uint8Array>,
  picker: ArrayElementPicker,
): Promise<number> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      picker.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err;
  } finally {
    reader.releaseLock();
  }
  return picker.end();
}
