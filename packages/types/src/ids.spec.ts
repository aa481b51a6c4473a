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
import { heldHeapBytesEach } from './testing';

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
});
