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

describe('branded ids', () => {
  it('accept ordinary ids and return them unchanged', () => {
    expect(parseUserId('alice')).toBe('alice');
    expect(parseUserId('auth0|x'.replace('|', ':'))).toBe('auth0:x');
    expect(parseRunId('run_01HZX')).toBe('run_01HZX');
    expect(UserIdSchema.safeParse('bob@example.org').success).toBe(true);
  });

  it.each([
    ['', 'must not be empty'],
    [' alice', 'may contain only'],
    ['a b', 'may contain only'],
    ['x'.repeat(129), 'at most 128'],
    ['../etc', 'may contain only'],
    [42, 'must be a string'],
    [null, 'must be a string'],
  ])('reject %p with a clear message', (value, reason) => {
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
});
