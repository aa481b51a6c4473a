import {
  InvalidIdError,
  UserIdSchema,
  generateConnectionId,
  generateRequestId,
  generateRunId,
  generateThreadId,
  generateUserId,
  parseConnectionId,
  parseRunId,
  parseUserId,
} from './index';
import { decodeTime } from 'ulid';
import { UlidSource } from './ids';
import { allocatedBytesEach, heldHeapBytesEach } from './testing';

/** The heap bytes each id made by `make` keeps, over `count` ids held at once (all distinct). */
async function heapBytesEach(count: number, make: () => string): Promise<number> {
  const { bytesEach, held } = await heldHeapBytesEach(count, make);
  expect(new Set(held).size).toBe(count);
  return bytesEach;
}

describe('branded ids', () => {
  it('accept ordinary ids and return them unchanged', () => {
    expect(parseUserId('alice')).toBe('alice');
    expect(parseUserId('auth0|x'.replace('|', ':'))).toBe('auth0:x');
    expect(parseRunId('run_01HZX')).toBe('run_01HZX');
    expect(UserIdSchema.safeParse('bob@example.org').success).toBe(true);
  });

  it.each(['alice', '1', '0', 'test', 'auth0|5f7c8ec7c33c6c004bbafe82', 'google-oauth2|1234', 'a+b@x.com', 'José', ' alice', 'a b', '../etc', '{braces}', '日本語', '🙂'.repeat(64)])(
    'take any verified user id such as %p',
    (value) => {
      expect(parseUserId(value)).toBe(value);
    },
  );

  it.each([
    ['', 'must not be empty'],
    ['x'.repeat(257), 'at most 256 UTF-8 bytes'],
    ['é'.repeat(129), 'at most 256 UTF-8 bytes'],
    ['🙂'.repeat(65), 'at most 256 UTF-8 bytes'],
    ['a\u0000b', 'control characters'],
    ['a\nb', 'control characters'],
    ['a\u009fb', 'control characters'],
    ['\udc00x', 'lone surrogate'],
    [42, 'must be a string'],
    [null, 'must be a string'],
  ])('reject the user id %p with a clear message', (value, reason) => {
    let caught: unknown;
    try {
      parseUserId(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidIdError);
    expect((caught as InvalidIdError).code).toBe('INVALID_ID');
    expect((caught as InvalidIdError).message).toContain('Invalid UserId');
    expect((caught as InvalidIdError).message).toContain(reason);
  });

  it.each([
    ['', 'must not be empty'],
    [' run', 'may contain only'],
    ['a b', 'may contain only'],
    ['x'.repeat(129), 'at most 128'],
    ['../etc', 'may contain only'],
  ])('reject the generated-id kind %p with a clear message', (value, reason) => {
    expect(() => parseRunId(value)).toThrow(InvalidIdError);
    expect(() => parseRunId(value)).toThrow(reason);
  });

  it('generate prefixed ids that parse as their kind', () => {
    expect(generateUserId()).toMatch(/^user_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(generateThreadId()).toMatch(/^thread_/);
    expect(generateRequestId()).toMatch(/^req_/);
    const runId = generateRunId();
    expect(parseRunId(runId)).toBe(runId);
    expect(parseConnectionId(generateConnectionId())).toMatch(/^conn_/);
  });

  it('generate ids that are unique and sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => generateRunId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('are flat strings: a held id costs the heap about its text, not the tree of pieces ulid builds it from', async () => {
    // A run id flat is about 55 bytes; as ulid's cons-string tree it was about 145.
    for (const make of [generateRunId, generateThreadId, generateConnectionId]) expect(await heapBytesEach(100_000, make)).toBeLessThan(90);
  });

  it('cost about their text to make: one flat string, not a character at a time', async () => {
    // ulid's monotonic factory allocated about 460 bytes per id (sampling heap profiler); a run id's text is about 48.
    expect(await allocatedBytesEach(100_000, () => generateRunId())).toBeLessThan(120);
  });
});

/** The 80-bit random part of a ULID (its last 16 base32 digits) as a number. */
function randomPart(id: string): bigint {
  const digits = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let value = 0n;
  for (const digit of id.slice(-16)) value = value * 32n + BigInt(digits.indexOf(digit));
  return value;
}

describe('UlidSource', () => {
  it('writes the prefix, then the clock\'s millisecond as a ULID\'s time, as the ulid package reads it', () => {
    const at = Date.UTC(2026, 11, 6, 3, 30, 0, 123);
    const id = new UlidSource(() => at).next('run_');
    expect(id).toMatch(/^run_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(id.slice('run_'.length))).toBe(at);
    expect(new UlidSource(() => 0).next('x_').slice(2, 12)).toBe('0000000000');
    expect(decodeTime(new UlidSource(() => 2 ** 48 - 1).next('x_').slice(2))).toBe(2 ** 48 - 1);
  });

  it('counts the random part up by one within a millisecond and when the clock goes back, keeping the later time', () => {
    let now = 1_000_000;
    const source = new UlidSource(() => now);
    const first = source.next('a_');
    const second = source.next('a_');
    expect(randomPart(second)).toBe(randomPart(first) + 1n);
    expect(second.slice(2, 12)).toBe(first.slice(2, 12));
    now -= 500;
    const third = source.next('a_');
    expect(decodeTime(third.slice(2))).toBe(1_000_000);
    expect(randomPart(third)).toBe(randomPart(first) + 2n);
    expect([third, second, first].sort()).toEqual([first, second, third]);
    now += 1000;
    expect(decodeTime(source.next('a_').slice(2))).toBe(1_000_500);
  });

  it('draws a fresh random part each millisecond, every digit in use', () => {
    let now = 1;
    const source = new UlidSource(() => (now += 1));
    const seen = new Set<string>();
    const randoms = new Set<bigint>();
    for (let index = 0; index < 2_000; index += 1) {
      const id = source.next('r_');
      for (const digit of id.slice(-16)) seen.add(digit);
      randoms.add(randomPart(id));
    }
    expect(randoms.size).toBe(2_000);
    expect(seen.size).toBe(32);
  });

  it('refuses a clock reading a ULID cannot hold and a prefix that leaves no room for one', () => {
    for (const reading of [-1, 1.5, Number.NaN, 2 ** 48]) expect(() => new UlidSource(() => reading).next('a_')).toThrow(RangeError);
    expect(() => new UlidSource(() => 1).next('p'.repeat(103))).toThrow('an id prefix is at most 102 characters');
    expect(new UlidSource(() => 1).next('p'.repeat(102))).toHaveLength(128);
  });
});

