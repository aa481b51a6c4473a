import { ClientMessageSchema, type ClientMessage, type OutboundMessage } from '@agentwirejs/protocols';
import fc from 'fast-check';
import { fakeConnection, isWellFormedError, recordingLogger } from './fake-connection.test-helpers';
import { MessageRouter } from './message-router';
import type { RouteContext } from './route-context';

/**
 * Property: whatever a client sends, each frame gets exactly one answer: either one handler
 * call and no reply, or no handler call and one well-formed error reply, or (when the handler
 * throws) one call and one internal_error reply. route() never rejects and no prototype changes.
 */

const FRAMES = 10_000;
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'user_id', 'type', 'toString', 'hasOwnProperty', 'valueOf'];

// ---- valid messages of every client type -------------------------------------------------
const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,20}$/);
const validMessage: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant('user_message'), text: fc.string({ minLength: 1 }), thread_id: id }, { requiredKeys: ['type', 'text'] }),
  fc.record(
    {
      type: fc.constant('start_agent'),
      agent: fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/),
      input: fc.oneof(fc.string(), fc.dictionary(fc.string(), fc.jsonValue())),
      thread_id: id,
    },
    { requiredKeys: ['type', 'agent', 'input'] },
  ),
  fc.record({ type: fc.constant('cancel_run'), run_id: id }),
  fc.constant({ type: 'ping' }),
  fc.record({ type: fc.constant('resume'), after_seq: fc.nat() }),
);

/** Sets a key as an own enumerable property, so JSON.stringify writes even `__proto__`. */
function withKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...target };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const pollutingValue = fc.oneof(fc.constant({ polluted: true }), fc.constant({ prototype: { polluted: true } }), fc.jsonValue());
const anyValue = fc.oneof(fc.anything({ maxDepth: 3 }), fc.jsonValue(), pollutingValue);
const fieldName = fc.oneof(fc.constantFrom(...HOSTILE_KEYS, 'text', 'agent', 'input', 'run_id', 'after_seq', 'thread_id'), fc.string());

// ---- mutations of valid messages ---------------------------------------------------------
const mutated: fc.Arbitrary<string | undefined> = fc
  .tuple(
    validMessage,
    fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('set' as const), key: fieldName, value: anyValue }),
        fc.record({ op: fc.constant('delete' as const), key: fieldName }),
        fc.record({ op: fc.constant('nest' as const), key: fc.constantFrom(...HOSTILE_KEYS), value: pollutingValue }),
        fc.record({ op: fc.constant('type' as const), value: fc.oneof(fc.string(), fc.constantFrom('pong', 'error', 'agent_started', 'chat', '__proto__', 'constructor', 'toString')) }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([message, mutations]) => {
    let current = message;
    for (const mutation of mutations) {
      if (mutation.op === 'set') current = withKey(current, mutation.key, mutation.value);
      else if (mutation.op === 'delete') delete current[mutation.key];
      else if (mutation.op === 'type') current = { ...current, type: mutation.value };
      // Hide a hostile key inside the agent input, a field the schema passes through as is.
      else current = { ...current, input: withKey({ deep: [withKey({}, mutation.key, mutation.value)] }, 'x', 1) };
    }
    return JSON.stringify(current);
  });

// ---- garbage of every kind ---------------------------------------------------------------
const randomText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.stringMatching(/^[{}[\]":,\\a-z0-9_ ]{0,60}$/),
);
const randomBytes = fc.uint8Array({ maxLength: 300 }).chain((bytes) =>
  fc.constantFrom<unknown>(Buffer.from(bytes), bytes.buffer, bytes, Buffer.from(bytes).toString('latin1'), Buffer.from(bytes).toString('utf8')),
);
const wrongShape = fc.oneof(fc.jsonValue(), fc.anything({ maxDepth: 2 })).map((value) => JSON.stringify(value));
const truncated = fc.tuple(validMessage, fc.nat()).map(([message, cut]) => {
  const text = JSON.stringify(message);
  return text.slice(0, cut % text.length);
});
const deepNesting = fc.tuple(fc.integer({ min: 1, max: 15_000 }), fc.constantFrom('array', 'object', 'input', 'unbalanced', 'proto-walk')).map(([depth, shape]) => {
  switch (shape) {
    case 'array':
      return `${'['.repeat(depth)}${']'.repeat(depth)}`;
    case 'object':
      return `${'{"a":'.repeat(depth)}{"type":"ping"}${'}'.repeat(depth)}`;
    case 'input':
      return `{"type":"start_agent","agent":"deep","input":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    case 'proto-walk':
      return `{"type":"start_agent","agent":"deep","input":{"proto":${'{"a":'.repeat(depth)}{"__proto__":{"polluted":true}}${'}'.repeat(depth)}}}`;
    default:
      return `{"type":"start_agent","agent":"deep","input":{"a":${'['.repeat(depth)}}}`;
  }
});
const huge = fc.tuple(fc.integer({ min: 1_000, max: 60_000 }), fc.string({ minLength: 1, maxLength: 3 }), fc.constantFrom('text', 'type', 'key', 'agent')).map(([length, unit, where]) => {
  const big = unit.repeat(Math.ceil(length / unit.length));
  if (where === 'text') return JSON.stringify({ type: 'user_message', text: big });
  if (where === 'type') return JSON.stringify({ type: big });
  if (where === 'agent') return JSON.stringify({ type: 'start_agent', agent: big, input: 'x' });
  return JSON.stringify({ type: 'ping', [big]: big });
});

const anyFrame: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: mutated, weight: 5 },
  { arbitrary: validMessage.map((message) => JSON.stringify(message)), weight: 2 },
  { arbitrary: randomText, weight: 2 },
  { arbitrary: randomBytes, weight: 1 },
  { arbitrary: wrongShape, weight: 1 },
  { arbitrary: truncated, weight: 1 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: huge, weight: 1 },
);

// ---- the router under test ---------------------------------------------------------------
/** Handlers that record each call; some throw (sync or async) so internal_error is exercised too. */
function fuzzedRouter() {
  const logger = recordingLogger();
  const calls: { message: ClientMessage; context: RouteContext }[] = [];
  const record = (message: ClientMessage, context: RouteContext) => void calls.push({ message, context });
  const router = new MessageRouter({ logger })
    .on('user_message', (message, context) => {
      record(message, context);
      if (message.text.length % 7 === 3) throw new Error('handler bug');
    })
    .on('start_agent', async (message, context) => {
      record(message, context);
      if (message.agent.length % 5 === 0) throw new Error('async handler bug');
    })
    .on('cancel_run', record)
    .on('ping', record)
    .on('resume', record);
  return { router, logger, calls };
}

function prototypeSnapshot(): string {
  const describeProto = (proto: object) =>
    Object.getOwnPropertyNames(proto)
      .map((name) => `${name}:${typeof Object.getOwnPropertyDescriptor(proto, name)?.value}`)
      .join(',');
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map(describeProto).join('|');
}

function hasOwnKeyDeep(root: unknown, key: string): boolean {
  const stack = [root];
  for (let value = stack.pop(); value !== undefined; value = stack.pop()) {
    if (value === null || typeof value !== 'object') continue;
    if (Object.hasOwn(value, key)) return true;
    stack.push(...Object.values(value));
  }
  return false;
}

describe('MessageRouter under fuzzing', () => {
  it(`answers each of ${FRAMES} random and mutated frames exactly once, never throws, pollutes no prototype`, async () => {
    const { router, logger, calls } = fuzzedRouter();
    const before = prototypeSnapshot();
    const seen = new Map<string, number>();

    await fc.assert(
      fc.asyncProperty(anyFrame, async (raw) => {
        calls.length = 0;
        logger.entries.length = 0;
        const replies: OutboundMessage[] = [];
        const { context } = fakeConnection('alice', 'conn-fuzz');
        const connection: RouteContext = { ...context, reply: (message) => void replies.push(message) };

        const outcome = await router.route(connection, raw);
        const label = outcome.status === 'handled' ? 'handled' : outcome.code;
        seen.set(label, (seen.get(label) ?? 0) + 1);

        if (outcome.status !== 'rejected') {
          expect(calls).toHaveLength(1);
          const [call] = calls;
          expect(call?.context).toBe(connection);
          expect(call?.message.type).toBe(outcome.type);
          expect(ClientMessageSchema.safeParse(call?.message).success).toBe(true);
          expect(Object.hasOwn(call?.message ?? {}, 'user_id')).toBe(false);
          expect(hasOwnKeyDeep(call?.message, '__proto__')).toBe(false);
        } else {
          expect(calls).toHaveLength(0);
        }
        if (outcome.status === 'handled') {
          expect(replies).toHaveLength(0);
        } else {
          expect(replies).toHaveLength(1);
          expect(isWellFormedError(replies[0])).toBe(true);
          expect(replies[0]?.payload['code']).toBe(outcome.code);
          expect(String(replies[0]?.payload['message']).length).toBeLessThan(400);
        }
        if (outcome.status === 'error') {
          expect(replies[0]?.payload['ref']).toBe(outcome.ref);
          expect(logger.entries).toEqual([expect.objectContaining({ level: 'error', details: expect.objectContaining({ ref: outcome.ref }) })]);
        }
        expect(prototypeSnapshot()).toBe(before);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      }),
      { numRuns: FRAMES },
    );

    // The fuzz reached every kind of answer, so the property above was not vacuous.
    for (const label of ['handled', 'invalid_json', 'invalid_message', 'unknown_message_type', 'internal_error']) {
      expect(seen.get(label) ?? 0).toBeGreaterThan(50);
    }
  });
});
