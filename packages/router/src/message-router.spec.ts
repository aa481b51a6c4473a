import { ErrorCode, MAX_MESSAGE_DEPTH, type ClientMessage, type ClientMessageType } from '@agentwirejs/protocols';
import { answerPing } from './answer-ping';
import { MessageRejectedError, RouterSetupError } from './errors';
import { fakeConnection, isWellFormedError, recordingLogger } from './fake-connection.test-helpers';
import { MessageRouter, type RouteOutcome } from './message-router';
import type { RouteContext } from './route-context';

/** One valid frame of every client message type of the wire contract. */
const validFrames: Record<ClientMessageType, Record<string, unknown>> = {
  user_message: { type: 'user_message', text: 'what is 2+2?', thread_id: 'thread-1' },
  start_agent: { type: 'start_agent', agent: 'demo', input: { question: 'why' } },
  cancel_run: { type: 'cancel_run', run_id: 'run-1' },
  ping: { type: 'ping' },
  resume: { type: 'resume', after_seq: 41 },
  refresh_token: { type: 'refresh_token', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl' },
  answer_interrupt: { type: 'answer_interrupt', run_id: 'run-1', interrupt_id: 'interrupt-1', value: { time_zone: 'Europe/Berlin' } },
};
const ALL_TYPES = Object.keys(validFrames) as ClientMessageType[];

/** A router with a recording handler for every client message type. */
function recordingRouter() {
  const logger = recordingLogger();
  const router = new MessageRouter({ logger });
  const calls: { message: ClientMessage; context: RouteContext }[] = [];
  for (const type of ALL_TYPES) router.on(type, (message, context) => void calls.push({ message, context }));
  return { router, logger, calls };
}

const frame = (value: unknown): string => JSON.stringify(value);

describe('MessageRouter constructor', () => {
  it('needs a logger with error() and warn(), so handler failures are never silent', () => {
    expect(() => new MessageRouter({} as never)).toThrow(expect.objectContaining({ code: 'ROUTER_INVALID_OPTION' }));
    expect(() => new MessageRouter({ logger: { error: () => {} } } as never)).toThrow(RouterSetupError);
  });
});

describe('MessageRouter.on', () => {
  it.each(ALL_TYPES)('dispatches a valid %s frame to its handler with the type unchanged', async (type) => {
    const { router, calls } = recordingRouter();
    const { context, replies } = fakeConnection();

    const outcome = await router.route(context, frame(validFrames[type]));

    expect(outcome).toEqual({ status: 'handled', type });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.message).toEqual(validFrames[type]);
    expect(replies).toEqual([]);
  });

  it('hands the handler the parsed message of its type', async () => {
    const router = new MessageRouter({ logger: recordingLogger() });
    const seen: string[] = [];
    router.on('start_agent', (message) => {
      // Typed by the wire schema: no cast needed to read start_agent fields.
      seen.push(`${message.agent}:${typeof message.input === 'string' ? message.input : JSON.stringify(message.input)}`);
    });

    await router.route(fakeConnection().context, frame({ type: 'start_agent', agent: 'burst', input: { events: 3 } }));

    expect(seen).toEqual(['burst:{"events":3}']);
  });

  it('returns the router, so registrations chain, and lists the handled types in order', () => {
    const router = new MessageRouter({ logger: recordingLogger() });
    expect(router.on('ping', answerPing).on('resume', () => {})).toBe(router);
    expect(router.handledTypes).toEqual(['ping', 'resume']);
  });

  it('refuses a second handler for the same type (ROUTER_HANDLER_CONFLICT)', () => {
    const router = new MessageRouter({ logger: recordingLogger() }).on('ping', answerPing);
    expect(() => router.on('ping', () => {})).toThrow(expect.objectContaining({ code: 'ROUTER_HANDLER_CONFLICT' }));
  });

  it('refuses a type that is not a client message type of the wire contract (ROUTER_UNKNOWN_TYPE)', () => {
    const router = new MessageRouter({ logger: recordingLogger() });
    for (const type of ['pong', 'chat', 'agent_started', '__proto__', 'constructor']) {
      expect(() => router.on(type as ClientMessageType, () => {})).toThrow(expect.objectContaining({ code: 'ROUTER_UNKNOWN_TYPE' }));
    }
  });

  it('refuses a handler that is not a function (ROUTER_INVALID_OPTION)', () => {
    const router = new MessageRouter({ logger: recordingLogger() });
    expect(() => router.on('ping', 'pong' as never)).toThrow(expect.objectContaining({ code: 'ROUTER_INVALID_OPTION' }));
  });
});

describe('MessageRouter.use', () => {
  it('runs middleware in the order added, before the handler, with the context and the raw frame', async () => {
    const router = new MessageRouter({ logger: recordingLogger() });
    const order: string[] = [];
    const { context } = fakeConnection();
    const raw = frame(validFrames.ping);
    router
      .use((seenContext, seenFrame) => {
        expect(seenContext).toBe(context);
        expect(seenFrame).toBe(raw);
        order.push('first');
      })
      .use(async () => {
        order.push('second');
      })
      .on('ping', () => void order.push('handler'));

    expect(await router.route(context, raw)).toEqual({ status: 'handled', type: 'ping' });
    expect(order).toEqual(['first', 'second', 'handler']);
  });

  it('stops at the first rejection: later middleware and the handler do not run, the sender gets the code and text', async () => {
    const router = new MessageRouter({ logger: recordingLogger() });
    const ran: string[] = [];
    router
      .use(() => ({ code: ErrorCode.RateLimited, message: 'slow down' }))
      .use(() => void ran.push('second'))
      .on('ping', () => void ran.push('handler'));
    const { context, replies } = fakeConnection();

    const outcome = await router.route(context, frame(validFrames.ping));

    expect(outcome).toEqual({ status: 'rejected', code: 'rate_limited' });
    expect(replies).toEqual([{ type: 'error', payload: { code: 'rate_limited', message: 'slow down' } }]);
    expect(ran).toEqual([]);
  });

  it('accepts an async rejection', async () => {
    const router = new MessageRouter({ logger: recordingLogger() }).use(async () => ({ code: ErrorCode.Unauthorized, message: 'token expired' }));
    const { context, replies } = fakeConnection();
    expect(await router.route(context, frame(validFrames.ping))).toEqual({ status: 'rejected', code: 'unauthorized' });
    expect(replies[0]?.payload).toEqual({ code: 'unauthorized', message: 'token expired' });
  });

  it('sees every frame, even one that is not JSON or is binary (so a rate limit counts garbage)', async () => {
    const seen: unknown[] = [];
    const router = new MessageRouter({ logger: recordingLogger() }).use((_context, raw) => void seen.push(raw));
    const binary = Buffer.from([1, 2, 3]);
    await router.route(fakeConnection().context, 'not json');
    await router.route(fakeConnection().context, binary);
    expect(seen).toEqual(['not json', binary]);
  });

  it('turns a middleware that throws into internal_error, and honours a MessageRejectedError it throws', async () => {
    const { context, replies } = fakeConnection();
    const failing = new MessageRouter({ logger: recordingLogger() }).use(() => {
      throw new Error('bug');
    });
    const refusing = new MessageRouter({ logger: recordingLogger() }).use(() => {
      throw new MessageRejectedError(ErrorCode.IsolationViolation, 'not yours');
    });

    expect(await failing.route(context, frame(validFrames.ping))).toMatchObject({ status: 'error', code: 'internal_error' });
    expect(await refusing.route(context, frame(validFrames.ping))).toEqual({ status: 'rejected', code: 'isolation_violation' });
    expect(replies.map((reply) => reply.payload['code'])).toEqual(['internal_error', 'isolation_violation']);
  });

  it('treats a rejection with a code of neither form (built in, or an app code in snake_case) as internal_error', async () => {
    const router = new MessageRouter({ logger: recordingLogger() }).use(() => ({ code: 'Nope!' as ErrorCode, message: 'x' }));
    const { context, replies } = fakeConnection();
    expect(await router.route(context, frame(validFrames.ping))).toMatchObject({ status: 'error', code: 'internal_error' });
    expect(isWellFormedError(replies[0])).toBe(true);
  });

  it('refuses a middleware that is not a function (ROUTER_INVALID_OPTION)', () => {
    expect(() => new MessageRouter({ logger: recordingLogger() }).use(42 as never)).toThrow(
      expect.objectContaining({ code: 'ROUTER_INVALID_OPTION' }),
    );
  });
});

describe('MessageRouter.route refusals', () => {
  /** Routes one frame through a router with every handler and returns the outcome and the one reply. */
  async function refusal(raw: unknown): Promise<{ outcome: RouteOutcome; code: unknown; message: unknown }> {
    const { router, calls } = recordingRouter();
    const { context, replies } = fakeConnection();
    const outcome = await router.route(context, raw);
    expect(calls).toEqual([]);
    expect(replies).toHaveLength(1);
    expect(isWellFormedError(replies[0])).toBe(true);
    return { outcome, code: replies[0]?.payload['code'], message: replies[0]?.payload['message'] };
  }

  it.each(['not json', '{"type":"ping"', '', '{type: "ping"}', "{'type':'ping'}", '[1,]'])('answers invalid_json to %j', async (raw) => {
    const { outcome, code } = await refusal(raw);
    expect(code).toBe('invalid_json');
    expect(outcome).toEqual({ status: 'rejected', code: 'invalid_json' });
  });

  it.each([
    ['a Buffer (binary frame)', Buffer.from('{"type":"ping"}')],
    ['an ArrayBuffer', new ArrayBuffer(4)],
    ['a Uint8Array', new Uint8Array([123, 125])],
    ['fragments', [Buffer.from('{"type":'), Buffer.from('"ping"}')]],
    ['undefined', undefined],
    ['a number', 42],
  ])('answers invalid_message to %s: only JSON text frames are accepted', async (_name, raw) => {
    const { code, message } = await refusal(raw);
    expect(code).toBe('invalid_message');
    expect(message).toMatch(/binary frames are not accepted/);
  });

  it.each(['[]', '[{"type":"ping"}]', '42', '"ping"', 'null', 'true'])('answers invalid_message to JSON %s that is not an object', async (raw) => {
    const { code, message } = await refusal(raw);
    expect(code).toBe('invalid_message');
    expect(message).toBe('a message must be a JSON object');
  });

  it.each([
    ['a missing type', {}, /needs a "type"/],
    ['a null type', { type: null }, /"type" must be a string/],
    ['a numeric type', { type: 7 }, /"type" must be a string/],
    ['an unknown type', { type: 'chat' }, /unknown message type "chat"/],
    ['a server message type', { type: 'pong' }, /unknown message type "pong"/],
    ['a legacy alias', { type: 'execute_agent' }, /unknown message type "execute_agent"/],
    ['an inherited name', { type: 'constructor' }, /unknown message type "constructor"/],
  ])('answers unknown_message_type to %s', async (_name, value, text) => {
    const { outcome, code, message } = await refusal(frame(value));
    expect(code).toBe('unknown_message_type');
    expect(outcome).toEqual({ status: 'rejected', code: 'unknown_message_type' });
    expect(message).toMatch(text);
    expect(message).toMatch(/user_message, start_agent, cancel_run, ping, resume/);
  });

  it('does not echo a huge unknown type back', async () => {
    const { message } = await refusal(frame({ type: 'x'.repeat(50_000) }));
    expect(String(message).length).toBeLessThan(200);
  });

  it('answers unknown_message_type to a known type this router has no handler for', async () => {
    const router = new MessageRouter({ logger: recordingLogger() }).on('ping', answerPing);
    const { context, replies } = fakeConnection();
    expect(await router.route(context, frame(validFrames.resume))).toEqual({ status: 'rejected', code: 'unknown_message_type', type: 'resume' });
    expect(replies).toEqual([{ type: 'error', payload: { code: 'unknown_message_type', message: 'this server does not handle "resume" messages' } }]);
  });

  it.each([
    ['start_agent without agent', { type: 'start_agent', input: 'hi' }, 'start_agent.agent: '],
    ['start_agent with an upper-case agent', { type: 'start_agent', agent: 'Demo', input: 'hi' }, 'start_agent.agent: agent must be a lower-case agent name of at most 64 characters'],
    ['start_agent with a numeric input', { type: 'start_agent', agent: 'demo', input: 5 }, 'start_agent.input: '],
    ['user_message with empty text', { type: 'user_message', text: '' }, 'user_message.text: text must not be empty'],
    ['user_message with a bad thread id', { type: 'user_message', text: 'hi', thread_id: 'no spaces allowed' }, 'user_message.thread_id: '],
    ['cancel_run with a numeric run id', { type: 'cancel_run', run_id: 5 }, 'cancel_run.run_id: '],
    ['resume with a negative position', { type: 'resume', after_seq: -1 }, 'resume.after_seq: '],
    ['resume with a string position', { type: 'resume', after_seq: '3' }, 'resume.after_seq: '],
  ])('answers invalid_message naming the failing path: %s', async (_name, value, text) => {
    const { outcome, code, message } = await refusal(frame(value));
    expect(code).toBe('invalid_message');
    expect(outcome).toEqual({ status: 'rejected', code: 'invalid_message', type: value.type });
    expect(String(message).startsWith(text)).toBe(true);
  });

  it('counts the other problems of a message it reports one of', async () => {
    const { message } = await refusal(frame({ type: 'start_agent', agent: 7, input: 7 }));
    expect(message).toMatch(/^start_agent\.agent: .*\(and 1 more problem\)$/);
  });

  it.each([
    ['__proto__ at the top', '{"type":"ping","__proto__":{"polluted":true}}', 'message.__proto__'],
    ['__proto__ deep in the input', '{"type":"start_agent","agent":"demo","input":{"a":[{"__proto__":{"polluted":true}}]}}', 'message.input.a.0.__proto__'],
    ['an escaped __proto__', '{"type":"ping","\\u005f\\u005f\\u0070\\u0072\\u006f\\u0074\\u006f\\u005f\\u005f":{"polluted":true}}', 'message.__proto__'],
    ['constructor.prototype', '{"type":"start_agent","agent":"demo","input":{"constructor":{"prototype":{"polluted":true}}}}', 'message.input.constructor.prototype'],
  ])('answers invalid_message to a frame holding %s, and pollutes nothing', async (_name, raw, path) => {
    const { code, message } = await refusal(raw);
    expect(code).toBe('invalid_message');
    expect(message).toContain(`(at ${JSON.stringify(path)})`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('lets through harmless keys named constructor or prototype', async () => {
    const { router, calls } = recordingRouter();
    const raw = '{"type":"start_agent","agent":"demo","input":{"constructor":"x","prototype":{"a":1}}}';
    expect(await router.route(fakeConnection().context, raw)).toEqual({ status: 'handled', type: 'start_agent' });
    expect(calls[0]?.message).toEqual({ type: 'start_agent', agent: 'demo', input: { constructor: 'x', prototype: { a: 1 } } });
  });

  it('survives absurd nesting: deeper than MAX_MESSAGE_DEPTH is invalid_message, unparseable is invalid_json, nothing is logged', async () => {
    // "proto" in the text would make the router walk the whole value looking for __proto__.
    const deep = `{"type":"start_agent","agent":"demo","input":{"note":"proto","a":${'[{"b":'.repeat(10_000)}1${'}]'.repeat(10_000)}}}`;
    const { router, calls, logger } = recordingRouter();
    const { context, replies } = fakeConnection();
    expect(await router.route(context, deep)).toEqual({ status: 'rejected', code: 'invalid_message' });
    expect(replies[0]?.payload['message']).toBe(`the message is nested deeper than ${MAX_MESSAGE_DEPTH} levels of objects and arrays`);
    expect(calls).toEqual([]);
    expect(logger.entries).toEqual([]);
    const { code } = await refusal('['.repeat(30_000));
    expect(code).toBe('invalid_json');
  });

  /** A start_agent frame whose whole message nests `depth` levels (the message object is level 1). */
  const nestedInput = (depth: number, inner = '1'): string => `{"type":"start_agent","agent":"demo","input":{"a":${'['.repeat(depth - 2)}${inner}${']'.repeat(depth - 2)}}}`;

  it(`accepts a message exactly ${MAX_MESSAGE_DEPTH} levels deep and refuses one level more with invalid_message`, async () => {
    const { router, calls } = recordingRouter();
    expect(await router.route(fakeConnection().context, nestedInput(MAX_MESSAGE_DEPTH))).toEqual({ status: 'handled', type: 'start_agent' });
    expect(calls).toHaveLength(1);
    const { code, message } = await refusal(nestedInput(MAX_MESSAGE_DEPTH + 1));
    expect(code).toBe('invalid_message');
    expect(message).toMatch(/nested deeper than/);
  });

  it('answers a 5,000-level input with invalid_message before any handler (or anything recursive) runs', async () => {
    const { router, calls, logger } = recordingRouter();
    const { context, replies } = fakeConnection();
    expect(await router.route(context, nestedInput(5000))).toEqual({ status: 'rejected', code: 'invalid_message' });
    expect(isWellFormedError(replies[0])).toBe(true);
    expect(calls).toEqual([]);
    expect(logger.entries).toEqual([]);
  });

  it('counts only real nesting: brackets and escaped quotes inside strings do not add depth', async () => {
    const { router, calls } = recordingRouter();
    const brackets = '[{'.repeat(200);
    const tricky = JSON.stringify({ type: 'start_agent', agent: 'demo', input: { text: brackets, quoted: `\\"${brackets}\\\\"`, a: [[{ b: '"[' }]] } });
    expect(await router.route(fakeConnection().context, tricky)).toEqual({ status: 'handled', type: 'start_agent' });
    expect(calls).toHaveLength(1);
    // The same brackets as structure, not text, are refused.
    expect((await refusal(nestedInput(100, '"[[[[["'))).code).toBe('invalid_message');
  });
});

describe('MessageRouter.route identity and isolation', () => {
  it('strips a user_id (and any unknown field) from the message: identity comes from the context only', async () => {
    const { router, calls } = recordingRouter();
    const { context } = fakeConnection('alice');

    await router.route(context, frame({ type: 'user_message', text: 'hi', user_id: 'mallory', userId: 'mallory', admin: true }));

    expect(calls[0]?.message).toEqual({ type: 'user_message', text: 'hi' });
    expect(Object.keys(calls[0]?.message ?? {})).not.toContain('user_id');
    expect(calls[0]?.context.userId).toBe('alice');
  });

  it('hands each handler call exactly the context of the connection that sent the frame', async () => {
    const { router, calls } = recordingRouter();
    const alice = fakeConnection('alice', 'conn-a');
    const bob = fakeConnection('bob', 'conn-b');
    const alice2 = fakeConnection('alice', 'conn-a2');
    const senders = [alice, bob, alice2, bob, alice];

    await Promise.all(senders.map((sender, i) => router.route(sender.context, frame({ type: 'user_message', text: `m${i}`, user_id: 'bob' }))));

    expect(calls.map((call) => call.context)).toEqual(senders.map((sender) => sender.context));
    calls.forEach((call, i) => expect(call.context).toBe(senders[i]?.context));
  });

  it('sends an error reply only to the connection that sent the bad frame', async () => {
    const { router } = recordingRouter();
    const alice = fakeConnection('alice');
    const bob = fakeConnection('bob');

    await router.route(alice.context, 'garbage');
    await router.route(bob.context, frame(validFrames.ping));

    expect(alice.replies).toHaveLength(1);
    expect(bob.replies).toEqual([]);
  });

  it('keeps two routers independent: a handler registered on one never runs for the other', async () => {
    const ran: string[] = [];
    const first = new MessageRouter({ logger: recordingLogger() }).on('user_message', () => void ran.push('first'));
    const second = new MessageRouter({ logger: recordingLogger() }).on('ping', () => void ran.push('second'));
    const alice = fakeConnection('alice');
    const bob = fakeConnection('bob');

    expect(await second.route(bob.context, frame(validFrames.user_message))).toMatchObject({ code: 'unknown_message_type' });
    expect(await first.route(alice.context, frame(validFrames.ping))).toMatchObject({ code: 'unknown_message_type' });
    expect(await first.route(alice.context, frame(validFrames.user_message))).toEqual({ status: 'handled', type: 'user_message' });

    expect(ran).toEqual(['first']);
    expect(first.handledTypes).toEqual(['user_message']);
    expect(second.handledTypes).toEqual(['ping']);
  });

  it('seals on the first route(): no connection can add a handler that would run for other users', async () => {
    const router = new MessageRouter({ logger: recordingLogger() }).on('ping', answerPing);
    expect(router.isSealed).toBe(false);

    await router.route(fakeConnection().context, frame(validFrames.ping));

    expect(router.isSealed).toBe(true);
    expect(() => router.on('user_message', () => {})).toThrow(expect.objectContaining({ code: 'ROUTER_SEALED' }));
    expect(() => router.use(() => {})).toThrow(expect.objectContaining({ code: 'ROUTER_SEALED' }));
    expect(router.handledTypes).toEqual(['ping']);
  });
});

describe('MessageRouter.route handler failures', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('boom');
      },
    ],
    ['rejects', async () => Promise.reject(new Error('boom'))],
  ])('answers internal_error with a ref when a handler %s, and logs the error with the same ref', async (_how, handler) => {
    const logger = recordingLogger();
    const router = new MessageRouter({ logger }).on('user_message', handler);
    const { context, replies } = fakeConnection('alice', 'conn-1');

    const outcome = await router.route(context, frame(validFrames.user_message));

    expect(outcome).toEqual({ status: 'error', code: 'internal_error', ref: expect.stringMatching(/^req_/), type: 'user_message' });
    const ref = (outcome as { ref: string }).ref;
    expect(replies).toEqual([{ type: 'error', payload: { code: 'internal_error', message: `internal error (ref ${ref})`, ref } }]);
    expect(isWellFormedError(replies[0])).toBe(true);
    expect(logger.entries).toEqual([
      {
        level: 'error',
        message: 'routing a message failed',
        details: { err: expect.objectContaining({ message: 'boom' }), ref, userId: 'alice', connectionId: 'conn-1', type: 'user_message' },
      },
    ]);
  });

  it('gives every failure its own ref', async () => {
    const router = new MessageRouter({ logger: recordingLogger() }).on('ping', () => {
      throw new Error('boom');
    });
    const refs = new Set<string>();
    for (let i = 0; i < 5; i += 1) refs.add((await router.route(fakeConnection().context, frame(validFrames.ping)) as { ref: string }).ref);
    expect(refs.size).toBe(5);
  });

  it('does not leak the thrown error text to the client', async () => {
    const router = new MessageRouter({ logger: recordingLogger() }).on('ping', () => {
      throw new Error('db password is hunter2');
    });
    const { context, replies } = fakeConnection();
    await router.route(context, frame(validFrames.ping));
    expect(JSON.stringify(replies)).not.toContain('hunter2');
  });

  it('answers the code of a MessageRejectedError a handler throws (sync or async)', async () => {
    const router = new MessageRouter({ logger: recordingLogger() })
      .on('cancel_run', (message) => {
        throw new MessageRejectedError(ErrorCode.NotFound, `no run ${message.run_id} of yours`);
      })
      .on('user_message', async () => {
        throw new MessageRejectedError(ErrorCode.PayloadTooLarge, 'text is over 4000 characters');
      });
    const { context, replies } = fakeConnection();

    expect(await router.route(context, frame(validFrames.cancel_run))).toEqual({ status: 'rejected', code: 'not_found', type: 'cancel_run' });
    expect(await router.route(context, frame(validFrames.user_message))).toEqual({ status: 'rejected', code: 'payload_too_large', type: 'user_message' });
    expect(replies.map((reply) => reply.payload)).toEqual([
      { code: 'not_found', message: 'no run run-1 of yours' },
      { code: 'payload_too_large', message: 'text is over 4000 characters' },
    ]);
  });

  it('treats a MessageRejectedError with a code outside the wire contract as internal_error', async () => {
    const router = new MessageRouter({ logger: recordingLogger() }).on('ping', () => {
      throw new MessageRejectedError('AGENT_REQUEST_ERROR' as ErrorCode, 'legacy');
    });
    expect(await router.route(fakeConnection().context, frame(validFrames.ping))).toMatchObject({ status: 'error', code: 'internal_error' });
  });

  it('keeps routing after a bad frame and after a failing handler: one bad message never stops the next', async () => {
    let fail = true;
    const handled: string[] = [];
    const router = new MessageRouter({ logger: recordingLogger() }).on('user_message', (message) => {
      if (fail) {
        fail = false;
        throw new Error('first one fails');
      }
      handled.push(message.text);
    });
    const { context, replies } = fakeConnection();

    const outcomes = [
      await router.route(context, '{oops'),
      await router.route(context, frame({ type: 'user_message', text: 'a' })),
      await router.route(context, frame({ type: 'user_message', text: 'b' })),
    ];

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'error', 'handled']);
    expect(handled).toEqual(['b']);
    expect(replies).toHaveLength(2);
  });

  it('never rejects, even when the reply and the logger themselves throw; a failed reply is logged as a warning', async () => {
    const logger = recordingLogger();
    const failingReply: RouteContext = {
      ...fakeConnection().context,
      reply: () => Promise.reject(new Error('socket closed')),
    };
    const router = new MessageRouter({ logger }).on('ping', () => {
      throw new Error('boom');
    });
    const brokenLogger = new MessageRouter({
      logger: {
        error: () => {
          throw new Error('logger down');
        },
        warn: () => {
          throw new Error('logger down');
        },
      },
    }).on('ping', () => {
      throw new Error('boom');
    });

    await expect(router.route(failingReply, 'garbage')).resolves.toEqual({ status: 'rejected', code: 'invalid_json' });
    await expect(brokenLogger.route(failingReply, frame(validFrames.ping))).resolves.toMatchObject({ status: 'error' });
    expect(logger.entries).toEqual([
      { level: 'warn', message: 'error reply could not be sent', details: expect.objectContaining({ code: 'invalid_json', err: expect.any(Error) }) },
    ]);
  });
});

describe('MessageRouter.route ordering', () => {
  it('invokes handlers in frame order even when the caller does not await each route()', async () => {
    const order: string[] = [];
    const router = new MessageRouter({ logger: recordingLogger() })
      .use(() => undefined)
      .on('user_message', async (message) => {
        order.push(message.text);
        await new Promise((resolve) => setImmediate(resolve));
      });
    const { context } = fakeConnection();

    const pending = ['1', '2', '3'].map((text) => router.route(context, frame({ type: 'user_message', text })));
    expect(order).toEqual(['1', '2', '3']);
    await Promise.all(pending);
  });
});

describe('answerPing', () => {
  it('answers ping with pong on the sending connection', async () => {
    const router = new MessageRouter({ logger: recordingLogger() }).on('ping', answerPing);
    const { context, replies } = fakeConnection();

    expect(await router.route(context, frame({ type: 'ping', user_id: 'bob' }))).toEqual({ status: 'handled', type: 'ping' });
    expect(replies).toEqual([{ type: 'pong', payload: {} }]);
  });
});

describe('MessageRouter.route request ids', () => {
  it('answers a message that carries a request_id with one ack naming it, after its handler, and nothing more', async () => {
    const { router, calls } = recordingRouter();
    const { context, replies } = fakeConnection();

    const outcome = await router.route(context, frame({ ...validFrames.cancel_run, request_id: 'req-1' }));

    expect(outcome).toEqual({ status: 'handled', type: 'cancel_run' });
    expect(calls[0]?.message).toEqual({ ...validFrames.cancel_run, request_id: 'req-1' });
    expect(replies).toEqual([{ type: 'ack', payload: { request_id: 'req-1' } }]);
  });

  it('puts the run ids a handler returns into the ack, and sends no ack for a message without request_id', async () => {
    const router = new MessageRouter({ logger: recordingLogger() });
    router.on('start_agent', async () => ({ run_id: 'run-9', thread_id: 'thread-9', ignored: 1 }));
    const { context, replies } = fakeConnection();

    await router.route(context, frame({ ...validFrames.start_agent, request_id: 'r2' }));
    await router.route(context, frame(validFrames.start_agent));

    expect(replies).toEqual([{ type: 'ack', payload: { request_id: 'r2', run_id: 'run-9', thread_id: 'thread-9' } }]);
  });

  it('echoes the request_id on every kind of refusal: middleware, unknown type, schema, handler rejection, handler failure', async () => {
    const cases: [string, (router: MessageRouter) => void, Record<string, unknown>, string][] = [
      ['middleware', (router) => router.use(() => ({ code: ErrorCode.RateLimited, message: 'slow down' })), validFrames.ping, ErrorCode.RateLimited],
      ['unknown type', () => undefined, { type: 'subscribe_all_users' }, ErrorCode.UnknownMessageType],
      ['schema', (router) => router.on('cancel_run', () => undefined), { type: 'cancel_run', run_id: 'bad id' }, ErrorCode.InvalidMessage],
      [
        'rejection',
        (router) =>
          router.on('cancel_run', () => {
            throw new MessageRejectedError(ErrorCode.NotFound, 'no run run-1 of yours');
          }),
        validFrames.cancel_run,
        ErrorCode.NotFound,
      ],
      [
        'failure',
        (router) =>
          router.on('cancel_run', async () => {
            throw new Error('bug');
          }),
        validFrames.cancel_run,
        ErrorCode.InternalError,
      ],
    ];
    for (const [name, setUp, message, code] of cases) {
      const router = new MessageRouter({ logger: recordingLogger() });
      setUp(router);
      const { context, replies } = fakeConnection();
      await router.route(context, frame({ ...message, request_id: `id-${name.replace(' ', '-')}` }));
      expect({ name, replies }).toEqual({ name, replies: [{ type: 'error', payload: expect.objectContaining({ code, request_id: `id-${name.replace(' ', '-')}` }) }] });
    }
  });

  it('refuses a request_id that is not 1 to 64 visible ASCII characters, without echoing it, and runs no handler', async () => {
    for (const bad of ['', 'has space', 'x'.repeat(65), 42]) {
      const { router, calls } = recordingRouter();
      const { context, replies } = fakeConnection();
      await router.route(context, frame({ ...validFrames.ping, request_id: bad }));
      expect(calls).toEqual([]);
      expect(replies).toEqual([{ type: 'error', payload: { code: ErrorCode.InvalidMessage, message: expect.stringContaining('request_id') } }]);
    }
  });
});
