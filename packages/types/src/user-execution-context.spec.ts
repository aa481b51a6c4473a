import {
  ContextDepthExceededError,
  InvalidContextError,
  MAX_CONTEXT_DEPTH,
  UserExecutionContext,
} from './index';

const valid = { userId: 'alice', threadId: 'thread-1', runId: 'run-1' };

describe('UserExecutionContext', () => {
  it('holds the ids, generates a request id when absent, and is immutable', () => {
    const ctx = new UserExecutionContext(valid);
    expect(ctx.userId).toBe('alice');
    expect(ctx.threadId).toBe('thread-1');
    expect(ctx.runId).toBe('run-1');
    expect(ctx.requestId).toMatch(/^req_/);
    expect(ctx.connectionId).toBeNull();
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(() => {
      (ctx as unknown as { userId: string }).userId = 'mallory';
    }).toThrow(TypeError);
    expect(UserExecutionContext.create({ ...valid, requestId: 'req-7' }).requestId).toBe('req-7');
  });

  it.each(['1', '0', 'test', 'demo', 'default', 'null', 'auth0|5f7c8ec7c33c6c004bbafe82', 'google-oauth2|1234', 'a+b@x.com', 'José', '3f0e9a4c-1b2d-4c5e-8f7a-9b0c1d2e3f4a', 'x'.repeat(256)])(
    'takes the verified user id %p as it is',
    (userId) => {
      expect(new UserExecutionContext({ ...valid, userId }).userId).toBe(userId);
    },
  );

  it.each(['', 'a\u0000b', 'line\nbreak', 'tab\there', 'del\u007f', 'c1\u0085', 'x'.repeat(257), 'é'.repeat(129), '\ud800'])(
    'rejects the user id %p (empty, control characters, over 256 UTF-8 bytes, not Unicode) naming the field',
    (userId) => {
      expect(() => new UserExecutionContext({ ...valid, userId })).toThrow(InvalidContextError);
      expect(() => new UserExecutionContext({ ...valid, userId })).toThrow(/UserExecutionContext\.userId/);
    },
  );

  it('needs only the user: a connection has no thread or run (runs own their ids)', () => {
    const ctx = new UserExecutionContext({ userId: '1', connectionId: 'conn-1' });
    expect(ctx).toMatchObject({ userId: '1', threadId: null, runId: null, connectionId: 'conn-1' });
    expect(ctx.toJSON()).toMatchObject({ user_id: '1', thread_id: null, run_id: null });
    expect(ctx.child('step').threadId).toBeNull();
    expect(new UserExecutionContext({ userId: 'alice', threadId: null, runId: null }).runId).toBeNull();
  });

  it('rejects missing and malformed fields, naming the field', () => {
    expect(() => new UserExecutionContext({ ...valid, userId: undefined as unknown as string })).toThrow(
      'Invalid UserExecutionContext.userId: is required',
    );
    expect(() => new UserExecutionContext({ ...valid, threadId: 'a thread' })).toThrow(/threadId: Invalid ThreadId/);
    expect(() => new UserExecutionContext({ ...valid, runId: 'run 1' })).toThrow(/runId: Invalid RunId/);
    expect(() => new UserExecutionContext({ ...valid, connectionId: 'a b' })).toThrow(/connectionId/);
    expect(() => new UserExecutionContext(null as unknown as typeof valid)).toThrow(InvalidContextError);
    try {
      new UserExecutionContext({ ...valid, userId: '' });
    } catch (error) {
      expect((error as InvalidContextError).code).toBe('INVALID_CONTEXT');
      expect((error as InvalidContextError).field).toBe('userId');
    }
  });

  it('derives children with new request ids up to a depth of 10', () => {
    const root = new UserExecutionContext(valid);
    let ctx = root;
    for (let level = 1; level <= MAX_CONTEXT_DEPTH; level += 1) {
      const child = ctx.child(`step-${level}`);
      expect(child.depth).toBe(level);
      expect(child.parentRequestId).toBe(ctx.requestId);
      expect(child.requestId).not.toBe(ctx.requestId);
      expect(child.userId).toBe('alice');
      expect(child.operation).toBe(`step-${level}`);
      ctx = child;
    }
    expect(() => ctx.child('one-too-many')).toThrow(ContextDepthExceededError);
    expect(() => root.child('')).toThrow(InvalidContextError);
    expect(root.depth).toBe(0);
  });

  it('attaches a connection without changing anything else', () => {
    const ctx = new UserExecutionContext(valid).child('tool');
    const attached = ctx.withConnection('conn-5');
    expect(attached.connectionId).toBe('conn-5');
    expect(attached.requestId).toBe(ctx.requestId);
    expect(attached.depth).toBe(1);
    expect(attached.operation).toBe('tool');
    expect(ctx.connectionId).toBeNull();
  });

  it('builds scoped keys and a JSON view', () => {
    const ctx = new UserExecutionContext({ ...valid, requestId: 'req-1', createdAt: Date.parse('2026-05-06T07:08:09.000Z') });
    expect(ctx.scopedKey('tracker')).toBe('tracker:alice:req-1');
    expect(() => ctx.scopedKey('')).toThrow(InvalidContextError);
    expect(ctx.toJSON()).toEqual({
      user_id: 'alice',
      thread_id: 'thread-1',
      run_id: 'run-1',
      request_id: 'req-1',
      connection_id: null,
      created_at: '2026-05-06T07:08:09.000Z',
      operation: null,
      depth: 0,
      parent_request_id: null,
    });
    expect(UserExecutionContext.isContext(ctx)).toBe(true);
    expect(UserExecutionContext.isContext({ ...ctx })).toBe(false);
  });
});
