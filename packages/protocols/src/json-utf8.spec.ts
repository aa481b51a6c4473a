import { allocatedBytesEach } from '@agentwirejs/types/testing';
import { JsonUtf8Writer, decimalDigitCount, plainWordsEnd, writeDecimalDigits } from './json-utf8';

/** Expects the writer's bytes to be exactly those of JSON.stringify's text. */
function expectSameAsStringify(writer: JsonUtf8Writer, value: unknown): void {
  const expected = JSON.stringify(value) as string;
  const bytes = writer.encode(value);
  expect(bytes.toString('utf8')).toBe(expected);
  expect(bytes.equals(Buffer.from(expected, 'utf8'))).toBe(true);
}

class Point {
  readonly x = 1;
  readonly y = 2;
  get sum(): number {
    return this.x + this.y;
  }
}

const CASES: readonly [string, unknown][] = [
  ['a plain string', 'hello'],
  ['an empty string and an empty key', { '': '' }],
  ['quotes, backslashes and every control character', `a"b\\c${Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join('')}`],
  ['DEL and non-ASCII text', '\u007f café 日本語 ß'],
  ['a valid surrogate pair (emoji)', 'tide 🌊 moon 🌙'],
  ['lone surrogates', 'x\ud800y\udc00z\ud83d'],
  ['a long string past the short path', 'x'.repeat(5_000)],
  ['a long string with an escape at its end', `${'y'.repeat(100)}\n`],
  ['a long non-ASCII string', 'é'.repeat(3_000)],
  ['U+FFFD and full-width forms (0xEF bytes in UTF-8) in a well-formed string', 'a\ufffdｱ'.repeat(20_000)],
  ['a lone surrogate at the end of a long string', `${'z'.repeat(200)}\udbff`],
  ['numbers', [0, -0, 1, -1, 42, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1.5, -0.25, 1e21, 1e-7, 123456789012, Number.MAX_VALUE, Number.MIN_VALUE]],
  ['non-finite numbers as null', [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, { n: Number.NaN }]],
  ['booleans and null', [true, false, null, { t: true, f: false, n: null }]],
  ['undefined, functions and symbols: left out of objects, null in arrays', { a: undefined, b: () => 1, c: Symbol('s'), d: 1, list: [undefined, () => 1, Symbol('s'), 2] }],
  ['symbol keys and non-enumerable properties left out', Object.defineProperty({ [Symbol('k')]: 1, shown: 2 }, 'hidden', { value: 3, enumerable: false })],
  ['inherited enumerable properties left out', Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 })],
  ['integer-like keys first, in order, then the rest in insertion order', { b: 1, 10: 'ten', a: 2, 2: 'two', '-1': 'minus' }],
  ['a null-prototype object', Object.assign(Object.create(null) as object, { a: 1 })],
  ['toJSON, with its key', { when: new Date(Date.UTC(2026, 11, 6)), custom: { toJSON: (key: string) => `key:${key}` }, list: [{ toJSON: (key: string) => `index:${key}` }] }],
  ['a top-level toJSON', { toJSON: () => ({ replaced: true }) }],
  ['boxed primitives', [new Number(3), new String('s"'), new Boolean(false), Object(Symbol('s')) as object]],
  ['a class instance, its getter left out', new Point()],
  ['a Map and a Set as empty objects', { map: new Map([[1, 2]]), set: new Set([1]) }],
  ['typed arrays as objects of their indexes', { bytes: Uint8Array.from([1, 2, 3]) }],
  ['sparse arrays and extra array properties', Object.assign([1, , 3], { extra: 'no' })], // eslint-disable-line no-sparse-arrays -- the hole is the case
  ['nested empty containers', { a: {}, b: [], c: [[], [{}]], d: { e: { f: [] } } }],
  ['an AG-UI envelope', { type: 'REASONING_MESSAGE_CHUNK', seq: 7, ts: '2026-12-06T03:30:00.000Z', user_id: 'auth0|5f7c', thread_id: 'thread_x', payload: { type: 'REASONING_MESSAGE_CHUNK', messageId: 'm-1', delta: 'x'.repeat(300) } }],
  ['a shared (not circular) object', (() => {
    const shared = { n: 1 };
    return { a: shared, b: [shared, shared] };
  })()],
  ['a Proxy', new Proxy({ a: 1, b: 'two' }, {})],
  ['a top-level number, string, boolean and null', 12],
];

describe('JsonUtf8Writer writes the bytes of JSON.stringify', () => {
  const writer = new JsonUtf8Writer();

  it.each(CASES)('%s', (_name, value) => {
    expectSameAsStringify(writer, value);
  });

  it('a top-level string, boolean and null', () => {
    for (const value of ['top', true, null, -3.5]) expectSameAsStringify(writer, value);
  });

  it('random JSON-like values (seeded), including what JSON leaves out', () => {
    let seed = 19;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pieces = ['a', 'é', '"', '\\', '\n', '\u0001', '🌊', '\ud800', 'key', ' ', 'x'.repeat(70)];
    const text = (): string => Array.from({ length: Math.floor(random() * 6) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    const make = (depth: number): unknown => {
      const pick = Math.floor(random() * (depth > 3 ? 6 : 8));
      if (pick === 0) return text();
      if (pick === 1) return Math.floor(random() * 2_000_000) - 1_000_000;
      if (pick === 2) return random() * 1e6 - 5e5;
      if (pick === 3) return random() < 0.5;
      if (pick === 4) return null;
      if (pick === 5) return undefined;
      if (pick === 6) return Array.from({ length: Math.floor(random() * 5) }, () => make(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [text(), make(depth + 1)]));
    };
    for (let index = 0; index < 2_000; index += 1) expectSameAsStringify(writer, { value: make(0) });
  });

  it('refuses what JSON.stringify refuses, and what has no JSON text, and goes on writing afterwards', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular['self'] = { back: circular };
    expect(() => writer.encode(circular)).toThrow(new TypeError('Converting circular structure to JSON'));
    const looped: unknown[] = [];
    looped.push([looped]);
    expect(() => writer.encode(looped)).toThrow(TypeError);
    expect(() => writer.encode({ big: 1n })).toThrow('Do not know how to serialize a BigInt');
    expect(() => writer.encode({ bad: { toJSON: () => { throw new Error('toJSON failed'); } } })).toThrow('toJSON failed');
    for (const value of [undefined, () => 1, Symbol('s')]) expect(() => writer.encode(value)).toThrow(TypeError);
    expectSameAsStringify(writer, { after: 'the failures', list: [1, 2] });
  });

  it('leaves out an enumerable property added to Object.prototype, as JSON.stringify does', () => {
    const prototype = Object.prototype as Record<string, unknown>;
    prototype['inheritedByAll'] = 'no';
    try {
      expectSameAsStringify(writer, { own: 1, nested: { deeper: [{ a: 1 }] } });
    } finally {
      delete prototype['inheritedByAll'];
    }
    expectSameAsStringify(writer, { own: 1 });
  });

  it('writes a BigInt whose prototype has toJSON, as JSON.stringify does', () => {
    const prototype = BigInt.prototype as unknown as { toJSON?: () => string };
    prototype.toJSON = function (this: bigint) {
      return `${this.toString()}n`;
    };
    try {
      expectSameAsStringify(writer, { big: 12n });
    } finally {
      delete prototype.toJSON;
    }
  });

  it('moves a value that does not fit to a larger slab, and starts the next value on a slab of the usual size', () => {
    const large = { text: 'é'.repeat(400_000), list: Array.from({ length: 10_000 }, (_, index) => ({ index })) };
    const slab = (): Buffer => (writer as unknown as { slab: Buffer }).slab;
    expectSameAsStringify(writer, large);
    expect(writer.encode(large).buffer.byteLength).toBeGreaterThan(800_000);
    expectSameAsStringify(writer, { small: true });
    expect(slab().length).toBe(8 * 1024);
    // a long string is measured, not given 3 bytes per character: 1 MB of ASCII takes a 4 MB slab, not 8
    expect(writer.encode({ text: 'a'.repeat(1 << 20) }).buffer.byteLength).toBeLessThanOrEqual(4 << 20);
  });

  it('never overwrites bytes it returned: each value is a view of its own part of a slab', () => {
    const values = Array.from({ length: 500 }, (_, index) => ({ index, text: 'x'.repeat(index % 97), note: index % 3 === 0 ? 'é🌊' : 'plain' }));
    const written = values.map((value) => writer.encode(value));
    values.forEach((value, index) => expect((written[index] as Buffer).toString('utf8')).toBe(JSON.stringify(value)));
    expect(new Set(written.map((bytes) => bytes.buffer)).size).toBeGreaterThan(1); // several slabs were filled
  });

  it('leaves out a property whose key moved the value to a new slab (its key goes, what came before stays)', () => {
    const fresh = new JsonUtf8Writer();
    const slabOf = (bytes: Buffer): ArrayBufferLike => bytes.buffer;
    const first = fresh.encode('f'.repeat(62));
    for (let index = 1; index < 127; index += 1) expect(slabOf(fresh.encode('f'.repeat(62)))).toBe(slabOf(first)); // 127 × 64 bytes: 64 left in the 8 KiB slab
    const moved = fresh.encode({ a: 1, ['k'.repeat(200)]: undefined, b: 2 });
    expect(slabOf(moved)).not.toBe(slabOf(first));
    expect(moved.toString('utf8')).toBe('{"a":1,"b":2}');
    expectSameAsStringify(fresh, { before: 'y'.repeat(8_000), ['\n'.repeat(100)]: () => 1, after: true });
  });

  it('leaves nothing of a refused value in the slab, and keeps no object it was writing', () => {
    const before = writer.encode({ before: 1 });
    const circular: Record<string, unknown> = { payload: 'y'.repeat(100) };
    circular['self'] = circular;
    expect(() => writer.encode(circular)).toThrow(TypeError);
    const after = writer.encode({ after: 2 });
    expect([before.toString('utf8'), after.toString('utf8')]).toEqual(['{"before":1}', '{"after":2}']);
    if (before.buffer === after.buffer) expect(after.byteOffset).toBe(before.byteOffset + before.length);
    expect((writer as unknown as { open: unknown[] }).open.filter((slot) => slot === circular)).toEqual([]);
  });

  it('writes a value whose toJSON writes with the same writer (JSON.stringify inside)', () => {
    const inner = { toJSON: () => writer.encode({ nested: 'value' }).toString('utf8') };
    expectSameAsStringify(writer, { inner, after: 1 });
  });

  it('allocates about the bytes it returns: no text of the value, no pieces joined and flattened', async () => {
    const envelope = CASES.find(([name]) => name === 'an AG-UI envelope')?.[1];
    // measured about 116 bytes (the view of its slab); JSON.stringify and Buffer.from: about 1,830
    expect(await allocatedBytesEach(50_000, () => writer.encode(envelope))).toBeLessThan(400);
  });
});

describe('a long string is checked a word at a time where it is printable ASCII', () => {
  /** Bytes JSON writes as they are: printable ASCII but the quote and the backslash. */
  const isPlain = (byte: number): boolean => byte >= 0x20 && byte < 0x80 && byte !== 0x22 && byte !== 0x5c;

  it('plainWordsEnd stops at the word of any byte that is not plain, whatever its place in the word, and nowhere else', () => {
    const bytes = Buffer.alloc(64, 'a');
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, 16);
    expect(plainWordsEnd(words, 0, 64)).toBe(64);
    for (let byte = 0; byte < 256; byte += 1) {
      for (let at = 20; at < 24; at += 1) {
        bytes[at] = byte;
        // word 5 (bytes 20 to 23) holds it: a plain byte leaves the run whole, any other ends it there
        expect([byte, at, plainWordsEnd(words, 0, 64)]).toEqual([byte, at, isPlain(byte) ? 64 : 20]);
        bytes[at] = 0x61;
      }
    }
    // neighbours that a borrow could reach: the lowest and highest plain bytes around one that is not
    for (const [low, high] of [[0x20, 0x7f], [0x7f, 0x20], [0x21, 0x23], [0x5b, 0x5d]] as const) {
      for (const other of [0x1f, 0x22, 0x5c, 0x80, 0xff]) {
        bytes.fill(low, 20, 22);
        bytes[22] = other;
        bytes[23] = high;
        expect([low, high, other, plainWordsEnd(words, 0, 64)]).toEqual([low, high, other, 20]);
        bytes.fill(high, 20, 24);
        expect([low, high, plainWordsEnd(words, 0, 64)]).toEqual([low, high, 64]);
        bytes.fill(0x61, 20, 24);
      }
    }
  });

  it('plainWordsEnd starts at the first word boundary at or after `from`, ends at the last one at or before `end`, and never returns less than `from`', () => {
    const bytes = Buffer.alloc(64, 'a');
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, 16);
    bytes[2] = 0x0a; // in the head (bytes before the first boundary after 1): not looked at
    bytes[61] = 0x22; // in the tail (after the last boundary before 62): not looked at
    expect(plainWordsEnd(words, 1, 62)).toBe(60);
    expect(plainWordsEnd(words, 5, 7)).toBe(8); // no whole word: the boundary after `from` (the caller checks the head up to it)
    expect(plainWordsEnd(null, 5, 62)).toBe(5); // no words: all of it a byte at a time
  });

  it('plainWordsEnd agrees with a byte-at-a-time check on random bytes (seeded)', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const bytes = Buffer.alloc(256);
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, 64);
    for (let round = 0; round < 20_000; round += 1) {
      for (let at = 0; at < bytes.length; at += 1) bytes[at] = random() < 0.97 ? 0x20 + Math.floor(random() * 0x60) : Math.floor(random() * 256);
      const from = Math.floor(random() * 16);
      const end = 200 + Math.floor(random() * 56);
      const start = (from + 3) & ~3;
      let firstOther = start;
      while (firstOther < end && isPlain(bytes[firstOther] as number)) firstOther += 1;
      // the returned index is the start of the word holding the first byte that is not plain, or the last boundary before `end`
      const expected = firstOther >= (end & ~3) ? end & ~3 : firstOther & ~3;
      expect(plainWordsEnd(words, from, end)).toBe(Math.max(from, expected));
    }
  });

  it('writes strings with an escape, a non-ASCII character or a lone surrogate at every place of a word, at every start in the slab', () => {
    const writer = new JsonUtf8Writer();
    const specials = ['"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'é', '日', '🌊', '\ufffd', '\ud800', '\udfff'];
    // at its start (before the first word boundary), in its middle, and at its end (after the last)
    const places = [0, 1, 2, 3, 4, 5, ...Array.from({ length: 12 }, (_, index) => 70 + index), 146, 147, 148, 149, 150];
    /** Where in a 32-bit word of its slab each case's string started (its bytes after the opening quote). */
    const startsSeen = new Map<string, Set<number>>();
    let last = writer.encode(null);
    /** Writes `value` so that its bytes after the first start at `place` (0 to 3) of a word: values of 3 bytes first, until the next one starts there. */
    const encodeAt = (value: unknown, place: number): Buffer => {
      for (let attempt = 0; attempt < 16; attempt += 1) {
        while ((last.byteOffset + last.length + 1) % 4 !== place) last = writer.encode('x');
        last = writer.encode(value);
        if ((last.byteOffset + 1) % 4 === place) return last;
        // it moved to a new slab, which starts on a word: again, from there
      }
      throw new Error(`could not start a value at place ${place} of a word`);
    };
    for (let place = 0; place < 4; place += 1) {
      for (const special of specials) {
        for (const at of places) {
          const text = `${'p'.repeat(at)}${special}${'q'.repeat(150 - at)}`;
          const bytes = encodeAt(text, place);
          expect(bytes.toString('utf8')).toBe(JSON.stringify(text));
          expect(bytes.equals(Buffer.from(JSON.stringify(text), 'utf8'))).toBe(true);
          const key = `${special.codePointAt(0) ?? 0}@${at}`;
          startsSeen.set(key, (startsSeen.get(key) ?? new Set<number>()).add((bytes.byteOffset + 1) % 4));
          expectSameAsStringify(writer, { type: 'REASONING_MESSAGE_CHUNK', delta: text });
          last = writer.encode(null);
        }
      }
    }
    // every case was written starting at each of a word's four places (not only at some)
    expect([...startsSeen.values()].filter((starts) => starts.size < 4).length).toBe(0);
    expect(startsSeen.size).toBe(specials.length * places.length);
  });
});

describe('decimalDigitCount and writeDecimalDigits', () => {
  it('write a whole number as its text does, where it is told, and say where it ends', () => {
    for (const value of [0, 7, 9, 10, 99, 100, 1_796_573_351_278, Number.MAX_SAFE_INTEGER]) {
      const text = String(value);
      expect(decimalDigitCount(value)).toBe(text.length);
      const bytes = Buffer.alloc(text.length + 2, '.');
      expect(writeDecimalDigits(bytes, 1, value)).toBe(text.length + 1);
      expect(bytes.toString('latin1')).toBe(`.${text}.`);
    }
  });
});
