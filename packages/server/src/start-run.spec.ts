import { inputExceeds, jsonLengthBound } from './start-run';

/** A small seeded generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NUMBERS = [0, -0, 1, -1, 300, 1.5, 1e21, -1e21, 1e-7, 1.2345678901234567e-100, -1.2345678901234567e-100, 0.000001234567890123456, -0.000001234567890123456, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity];
const UNITS = ['a', 'é', '"', '\\', '\n', '\u0001', '\u2028', '😀', '\ud800', '\udc00', ' ', 'z'];

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return NUMBERS[Math.floor(next() * NUMBERS.length)];
    case 1:
      return next() < 0.5;
    case 2:
      return null;
    case 3:
    case 4:
      return Array.from({ length: Math.floor(next() * 12) }, () => UNITS[Math.floor(next() * UNITS.length)]).join('');
    case 5:
      return [undefined, () => 1, Symbol('s')][Math.floor(next() * 3)];
    case 6: {
      const list = Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1));
      if (next() < 0.2) list.length += 2; // holes
      return list;
    }
    default: {
      const object: Record<string, unknown> = next() < 0.2 ? Object.create(null) : {};
      for (let index = Math.floor(next() * 5); index > 0; index -= 1) object[randomValue(next, 9) as string] = randomValue(next, depth + 1);
      return object;
    }
  }
}

describe("the input's length check (maxInputChars) before a run starts", () => {
  it('bounds the length of JSON.stringify from above, for 5,000 random values', () => {
    const next = random(19);
    for (let index = 0; index < 5_000; index += 1) {
      const value = { input: randomValue(next, 0) };
      const exact = JSON.stringify(value).length;
      expect({ value, bound: jsonLengthBound(value, Infinity) >= exact }).toEqual({ value, bound: true });
    }
  });

  it('bounds every number and string alone, the longest numbers JSON writes included', () => {
    for (const value of [...NUMBERS, ...UNITS, UNITS.join('')]) expect(jsonLengthBound(value, Infinity)).toBeGreaterThanOrEqual(JSON.stringify(value).length);
  });

  it('says nothing (Infinity) of values JSON.stringify writes its own way', () => {
    for (const value of [{ at: new Date(0) }, { map: new Map([[1, 2]]) }, [new (class Point { x = 1 })()], { toJSON: () => 'x' }, { big: 10n }]) {
      expect(jsonLengthBound(value, Infinity)).toBe(Infinity);
    }
  });

  it('refuses exactly the inputs longer than the limit, however their length is counted', () => {
    const next = random(7);
    for (let index = 0; index < 3_000; index += 1) {
      const input = { value: randomValue(next, 0), text: 'x'.repeat(Math.floor(next() * 60)) };
      const exact = JSON.stringify(input).length;
      for (const max of [exact - 1, exact, exact + 1, 20]) expect(inputExceeds(input, max)).toBe(exact > max);
    }
  });

  it('counts a text by code points, only when its UTF-16 length is over the limit', () => {
    expect(inputExceeds('😀'.repeat(3), 3)).toBe(false); // 6 UTF-16 units, 3 characters
    expect(inputExceeds('😀'.repeat(4), 3)).toBe(true);
    expect(inputExceeds('abc', 3)).toBe(false);
    expect(inputExceeds('abcd', 3)).toBe(true);
  });

  it("still refuses a value JSON cannot write (BigInt), as JSON.stringify did", () => {
    expect(() => inputExceeds({ big: 10n }, 1_000)).toThrow(TypeError);
  });
});
