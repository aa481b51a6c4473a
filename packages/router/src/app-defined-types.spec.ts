import { ErrorCode, MAX_MESSAGE_DEPTH, ProtocolExtensionError, defineProtocolExtensions, type ProtocolExtensions } from '@agentwirejs/protocols';
import { z } from 'zod';
import { answerPing } from './answer-ping';
import { MessageRejectedError } from './errors';
import { fakeConnection, isWellFormedError, recordingLogger } from './fake-connection.test-helpers';
import { MessageRouter } from './message-router';

/** What an application registers once, next to its handlers. */
const appProtocol = defineProtocolExtensions({
  clientMessages: {
    ask: z.object({ type: z.literal('ask'), question: z.string().min(1), topic: z.enum(['billing', 'support']).optional() }),
    'todo.add': z.object({ type: z.literal('todo.add'), title: z.string().max(80), tags: z.array(z.string()).max(10) }),
  },
  events: { 'acme.quota': z.object({ used: z.number(), limit: z.number() }) },
});

const frame = (value: unknown): string => JSON.stringify(value);

function appRouter() {
  const logger = recordingLogger();
  const router = new MessageRouter({ logger, extensions: appProtocol });
  return { router, logger };
}

describe('a router with app-defined client message types', () => {
  it("routes a registered type to its handler with the message parsed by the app's schema (typed, no cast)", async () => {
    const { router } = appRouter();
    const asked: string[] = [];
    router.on('ask', (message) => {
      // message is { type: 'ask'; question: string; topic?: 'billing' | 'support' }
      asked.push(`${message.type}:${message.question}:${message.topic ?? '-'}`);
    });
    const { context, replies } = fakeConnection();

    const outcome = await router.route(context, frame({ type: 'ask', question: 'how much is left?', topic: 'billing', user_id: 'mallory' }));

    expect(outcome).toEqual({ status: 'handled', type: 'ask' });
    expect(asked).toEqual(['ask:how much is left?:billing']);
    expect(replies).toEqual([]);
  });

  it('keeps the built-in types working beside the app ones', async () => {
    const { router } = appRouter();
    router.on('ping', answerPing).on('todo.add', () => undefined);
    const { context, replies } = fakeConnection();

    expect(await router.route(context, frame({ type: 'ping' }))).toEqual({ status: 'handled', type: 'ping' });
    expect(await router.route(context, frame({ type: 'todo.add', title: 'buy milk', tags: [] }))).toEqual({ status: 'handled', type: 'todo.add' });
    expect(replies.map((reply) => reply.type)).toEqual(['pong']);
    expect(router.handledTypes).toEqual(['ping', 'todo.add']);
  });

  it('answers invalid_message naming the path of the problem when a registered type does not fit its schema', async () => {
    const { router } = appRouter();
    const asked: unknown[] = [];
    router.on('ask', (message) => void asked.push(message));
    const { context, replies } = fakeConnection();

    expect(await router.route(context, frame({ type: 'ask', question: '' }))).toEqual({ status: 'rejected', code: 'invalid_message', type: 'ask' });
    expect(await router.route(context, frame({ type: 'ask', question: 'x', topic: 'weather' }))).toEqual({ status: 'rejected', code: 'invalid_message', type: 'ask' });

    expect(asked).toEqual([]);
    expect(replies.map((reply) => reply.payload['code'])).toEqual(['invalid_message', 'invalid_message']);
    expect(replies[0]?.payload['message']).toMatch(/^ask\.question: /);
    expect(replies[1]?.payload['message']).toMatch(/^ask\.topic: /);
    expect(replies.every((reply) => isWellFormedError(reply))).toBe(true);
  });

  it('still answers unknown_message_type to a type nobody registered, and to a registered type without a handler', async () => {
    const { router } = appRouter();
    router.on('ask', () => undefined);
    const { context, replies } = fakeConnection();

    expect(await router.route(context, frame({ type: 'vote', up: true }))).toEqual({ status: 'rejected', code: 'unknown_message_type' });
    expect(await router.route(context, frame({ type: 'todo.add', title: 'x', tags: [] }))).toEqual({
      status: 'rejected',
      code: 'unknown_message_type',
      type: 'todo.add',
    });
    expect(replies.map((reply) => reply.payload['code'])).toEqual(['unknown_message_type', 'unknown_message_type']);
    // the list of types a client may send names the app's too
    expect(replies[0]?.payload['message']).toMatch(/expected one of .*ping.*ask, todo\.add$/);
  });

  it('answers unknown_message_type to an app type when the router was built without the extensions', async () => {
    const router = new MessageRouter({ logger: recordingLogger() });
    // @ts-expect-error 'ask' is not a client message type of a router without extensions
    expect(() => router.on('ask', () => undefined)).toThrow(expect.objectContaining({ code: 'ROUTER_UNKNOWN_TYPE' }));
    const { context, replies } = fakeConnection();
    expect(await router.route(context, frame({ type: 'ask', question: 'x' }))).toEqual({ status: 'rejected', code: 'unknown_message_type' });
    expect(replies).toHaveLength(1);
  });

  it('applies the same depth and prototype-key limits to app types as to built-in ones', async () => {
    const { router } = appRouter();
    const added: unknown[] = [];
    router.on('todo.add', (message) => void added.push(message));
    const { context, replies } = fakeConnection();
    const deep = `{"type":"todo.add","title":"x","tags":${'['.repeat(MAX_MESSAGE_DEPTH)}${']'.repeat(MAX_MESSAGE_DEPTH)}}`;

    expect(await router.route(context, deep)).toEqual({ status: 'rejected', code: 'invalid_message' });
    expect(await router.route(context, '{"type":"todo.add","title":"x","tags":[],"__proto__":{"admin":true}}')).toEqual({ status: 'rejected', code: 'invalid_message' });

    expect(added).toEqual([]);
    expect(replies.map((reply) => reply.payload['message'])).toEqual([
      `the message is nested deeper than ${MAX_MESSAGE_DEPTH} levels of objects and arrays`,
      'the key __proto__ is not allowed (at "message.__proto__")',
    ]);
  });
});

describe('custom error codes', () => {
  it("reach the client as themselves when a handler rejects with the app's own code", async () => {
    const { router } = appRouter();
    router.on('ask', async () => {
      throw new MessageRejectedError('quota_exceeded', 'you have asked 100 questions today');
    });
    const { context, replies } = fakeConnection();

    const outcome = await router.route(context, frame({ type: 'ask', question: 'one more?' }));

    expect(outcome).toEqual({ status: 'rejected', code: 'quota_exceeded', type: 'ask' });
    expect(replies).toEqual([{ type: 'error', payload: { code: 'quota_exceeded', message: 'you have asked 100 questions today' } }]);
    expect(isWellFormedError(replies[0])).toBe(true);
  });

  it('reach the client from a middleware and from a built-in type handler too', async () => {
    const router = new MessageRouter({ logger: recordingLogger() })
      .use((_context, text) => (text === 'closed' ? { code: 'maintenance_window', message: 'back at 10:00' } : undefined))
      .on('ping', () => {
        throw new MessageRejectedError('plan_expired', 'renew your plan');
      });
    const { context, replies } = fakeConnection();

    expect(await router.route(context, 'closed')).toEqual({ status: 'rejected', code: 'maintenance_window' });
    expect(await router.route(context, frame({ type: 'ping' }))).toEqual({ status: 'rejected', code: 'plan_expired', type: 'ping' });
    expect(replies.map((reply) => reply.payload['code'])).toEqual(['maintenance_window', 'plan_expired']);
  });

  it('are refused (internal_error, logged) when not lower-case snake_case of at most 64 characters', async () => {
    const { router, logger } = appRouter();
    let code = '';
    router.on('ask', () => {
      throw new MessageRejectedError(code, 'x');
    });
    const { context, replies } = fakeConnection();
    for (code of ['QuotaExceeded', 'quota exceeded', 'quota-exceeded', `q${'x'.repeat(64)}`]) {
      expect(await router.route(context, frame({ type: 'ask', question: 'q' }))).toMatchObject({ status: 'error', code: ErrorCode.InternalError });
    }
    expect(replies.map((reply) => reply.payload['code'])).toEqual(Array(4).fill('internal_error'));
    expect(logger.entries).toHaveLength(4);
  });
});

describe('registering app types', () => {
  it('refuses (at definition) an app type that clashes with a built-in type', () => {
    expect(() => defineProtocolExtensions({ clientMessages: { cancel_run: z.object({ type: z.literal('cancel_run'), why: z.string() }) } })).toThrow(
      ProtocolExtensionError,
    );
  });

  it('refuses extensions that defineProtocolExtensions did not make, so unchecked schemas never reach routing', () => {
    const unchecked = { clientMessages: { ping: z.object({ type: z.literal('ping'), evil: z.string() }) }, events: {} } as ProtocolExtensions;
    expect(() => new MessageRouter({ logger: recordingLogger(), extensions: unchecked })).toThrow(expect.objectContaining({ code: 'ROUTER_INVALID_OPTION' }));
  });

  it('gives one handler per app type, like built-in ones, and seals on the first route()', async () => {
    const { router } = appRouter();
    router.on('ask', () => undefined);
    expect(() => router.on('ask', () => undefined)).toThrow(expect.objectContaining({ code: 'ROUTER_HANDLER_CONFLICT' }));
    await router.route(fakeConnection().context, frame({ type: 'ping' }));
    expect(() => router.on('todo.add', () => undefined)).toThrow(expect.objectContaining({ code: 'ROUTER_SEALED' }));
  });

  it('keeps two routers independent: extensions of one are unknown to the other', async () => {
    const other = defineProtocolExtensions({ clientMessages: { vote: z.object({ type: z.literal('vote'), up: z.boolean() }) } });
    const voting = new MessageRouter({ logger: recordingLogger(), extensions: other }).on('vote', () => undefined);
    const { router } = appRouter();
    router.on('ask', () => undefined);
    const { context } = fakeConnection();

    expect(await voting.route(context, frame({ type: 'ask', question: 'x' }))).toMatchObject({ code: 'unknown_message_type' });
    expect(await router.route(context, frame({ type: 'vote', up: true }))).toMatchObject({ code: 'unknown_message_type' });
  });
});
