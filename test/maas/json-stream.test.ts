import { describe, expect, it } from 'vitest';
import { MaasProtocolError } from '../../src/maas/errors.ts';
import { ArrayElementPicker, type PickedElement, readArray } from '../../src/maas/json-stream.ts';

/** Deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AWKWARD = [
  'plain',
  'quote " inside',
  'back\\slash',
  'tail\\',
  '\\"',
  'ünïcødé ✓',
  '{[,:]}',
  '',
  'emoji 🚀',
];

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 7));
  switch (k) {
    case 0:
      return AWKWARD[Math.floor(r() * AWKWARD.length)];
    case 1:
      return Math.floor(r() * 1e6) / (r() < 0.5 ? 1 : 7);
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return -Math.floor(r() * 100);
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(r() * 4) }, (_, i) => [
          `${AWKWARD[i % AWKWARD.length]}${i}`,
          randomValue(r, depth + 1),
        ]),
      );
  }
}

function pickAll(bytes: Uint8Array, wanted: string[] | 'all', cuts: number[]): PickedElement[] {
  const out: PickedElement[] = [];
  const picker = new ArrayElementPicker(wanted, (e) => out.push(e));
  let start = 0;
  for (const c of [...cuts, bytes.length]) {
    picker.push(bytes.subarray(start, c));
    start = c;
  }
  picker.end();
  return out;
}

describe('ArrayElementPicker', () => {
  it('picks the same values as JSON.parse for random documents split at random points', () => {
    const enc = new TextEncoder();
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const docs = Array.from({ length: Math.floor(r() * 6) }, () => ({
        system_id: `id${Math.floor(r() * 1000)}`,
        'we\\ird "key"': randomValue(r, 0),
        nested: randomValue(r, 0),
        status: Math.floor(r() * 23),
        skip_me: randomValue(r, 0),
      }));
      const text = JSON.stringify(docs, null, seed % 2 === 0 ? 4 : undefined);
      const bytes = enc.encode(text);
      const cuts = Array.from({ length: Math.floor(r() * 8) }, () => Math.floor(r() * bytes.length)).sort(
        (a, b) => a - b,
      );
      const wanted = ['system_id', 'we\\ird "key"', 'nested', 'status'];
      const got = pickAll(bytes, wanted, cuts);
      const expected = (JSON.parse(text) as typeof docs).map((d) => ({
        system_id: d.system_id,
        'we\\ird "key"': d['we\\ird "key"'],
        nested: d.nested,
        status: d.status,
      }));
      expect(got, `seed ${seed}`).toEqual(expected);
    }
  });

  it('splits at every single byte boundary without losing a value', () => {
    const text = JSON.stringify(
      [
        { a: 'x\\"y', b: [1, { c: '}' }], d: -1.5e3 },
        { a: null, b: true },
      ],
      null,
      4,
    );
    const bytes = new TextEncoder().encode(text);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(pickAll(bytes, 'all', cuts)).toEqual(JSON.parse(text));
  });

  it('skips unwanted values without returning them', () => {
    const bytes = new TextEncoder().encode(
      JSON.stringify([{ keep: 1, power_parameters: { power_pass: 's3cret' } }]),
    );
    expect(pickAll(bytes, ['keep'], [])).toEqual([{ keep: 1 }]);
  });

  it('refuses a truncated answer', () => {
    const bytes = new TextEncoder().encode('[{"a": 1}, {"a": ');
    expect(() => pickAll(bytes, 'all', [])).toThrow(MaasProtocolError);
  });

  it('refuses an answer that is not an array of objects', () => {
    expect(() => pickAll(new TextEncoder().encode('{"a": 1}'), 'all', [])).toThrow(/expected a JSON array/);
    expect(() => pickAll(new TextEncoder().encode('[1, 2]'), 'all', [])).toThrow(/expected an object/);
  });

  it('reads an empty array', () => {
    expect(pickAll(new TextEncoder().encode(' [ ] '), 'all', [])).toEqual([]);
  });
});

function streamOf(text: string, chunk: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

describe('readArray', () => {
  const docs = Array.from({ length: 50 }, (_, i) => ({
    system_id: `m${i}`,
    status: i % 23,
    big: 'x'.repeat(500),
    nested: { a: [i] },
  }));
  const text = JSON.stringify(docs, null, 4);

  it('parses a small answer natively and hands over every element', async () => {
    const got: PickedElement[] = [];
    const n = await readArray(streamOf(text, 1000), ['system_id'], (e) => got.push(e));
    expect(n).toBe(50);
    expect(got.map((g) => g.system_id)).toEqual(docs.map((d) => d.system_id));
  });

  it('streams an answer larger than its buffer, keeping only the wanted keys', async () => {
    const got: PickedElement[] = [];
    const n = await readArray(streamOf(text, 777), ['system_id', 'status'], (e) => got.push(e), 4096);
    expect(n).toBe(50);
    expect(got).toEqual(docs.map((d) => ({ system_id: d.system_id, status: d.status })));
  });

  it("reads a large answer in MAAS's own 4-space layout through the fast reader, awkward values included", async () => {
    const odd = docs.map((d, i) => ({
      ...d,
      text: i % 2 ? 'line\nbreak "quoted" }\n    }' : 'ünïcødé ✓ 🚀',
      list: [{ x: '\n        "fake": 1' }],
      last: i,
    }));
    const pretty = JSON.stringify(odd, null, 4);
    for (const chunk of [1, 7, 333, 100_000]) {
      const got: PickedElement[] = [];
      const n = await readArray(
        streamOf(pretty, chunk),
        ['system_id', 'text', 'list', 'last'],
        (e) => got.push(e),
        1024,
      );
      expect(n).toBe(50);
      expect(got).toEqual(
        odd.map((d) => ({ system_id: d.system_id, text: d.text, list: d.list, last: d.last })),
      );
    }
  });

  it('refuses malformed answers on both paths', async () => {
    await expect(readArray(streamOf('{"a":1}', 10), 'all', () => {})).rejects.toThrow(
      /expected a JSON array/,
    );
    await expect(readArray(streamOf('[1,2]', 10), 'all', () => {})).rejects.toThrow(/expected an object/);
    await expect(readArray(streamOf(`${text.slice(0, 9000)}`, 100), 'all', () => {}, 4096)).rejects.toThrow(
      /ended before/,
    );
    await expect(readArray(streamOf(`${text.slice(0, 900)}`, 100), 'all', () => {})).rejects.toThrow(
      /not valid JSON/,
    );
    const compact = JSON.stringify(docs);
    await expect(readArray(streamOf(compact.slice(0, 9000), 100), 'all', () => {}, 4096)).rejects.toThrow(
      /ended before/,
    );
  });
});
