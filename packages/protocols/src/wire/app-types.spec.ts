import { z } from 'zod';
import {
  ErrorMessageSchema,
  ProtocolExtensionError,
  ProtocolsErrorCode,
  defineProtocolExtensions,
  isProtocolExtensions,
  isWireErrorCode,
  validateCustomEventValue,
} from '../index';
import type { AppEventValue, AppMessageOf, AppMessageType, ProtocolExtensions } from '../index';

const AskSchema = z.object({ type: z.literal('ask'), question: z.string().min(1) });
const QuotaSchema = z.object({ used: z.number().int().nonnegative(), limit: z.number().int().positive() });

function problemsOf(define: () => unknown): readonly string[] {
  try {
    define();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolExtensionError);
    expect((error as ProtocolExtensionError).code).toBe(ProtocolsErrorCode.InvalidProtocolExtension);
    return (error as ProtocolExtensionError).problems;
  }
  throw new Error('defineProtocolExtensions accepted it');
}

describe('defineProtocolExtensions', () => {
  it('registers client message types and CUSTOM event names in one frozen value, with their types inferred', () => {
    const extensions = defineProtocolExtensions({ clientMessages: { ask: AskSchema }, events: { 'acme.quota': QuotaSchema } });
    expect(Object.keys(extensions.clientMessages)).toEqual(['ask']);
    expect(Object.keys(extensions.events)).toEqual(['acme.quota']);
    expect(Object.isFrozen(extensions)).toBe(true);
    expect(Object.isFrozen(extensions.clientMessages)).toBe(true);
    expect(Object.isFrozen(extensions.events)).toBe(true);
    expect(isProtocolExtensions(extensions)).toBe(true);

    const type: AppMessageType<typeof extensions> = 'ask';
    const message: AppMessageOf<typeof extensions, 'ask'> = { type, question: 'how much is left?' };
    const quota: AppEventValue<typeof extensions, 'acme.quota'> = { used: 3, limit: 10 };
    expect([message.question, quota.limit]).toEqual(['how much is left?', 10]);
  });

  it('accepts no extensions at all', () => {
    const none = defineProtocolExtensions({});
    expect(none.clientMessages).toEqual({});
    expect(none.events).toEqual({});
  });

  it('refuses a client message type that is built in', () => {
    expect(problemsOf(() => defineProtocolExtensions({ clientMessages: { ping: z.object({ type: z.literal('ping') }) } }))).toEqual([
      "client message type 'ping' is built in: an app cannot redefine it",
    ]);
  });

  it('refuses message type names that are not lower case, and schemas whose type literal is not the name', () => {
    const problems = problemsOf(() =>
      defineProtocolExtensions({
        clientMessages: {
          Ask: z.object({ type: z.literal('Ask') }),
          'a b': z.object({ type: z.literal('a b') }),
          ['x'.repeat(65)]: z.object({ type: z.literal('x'.repeat(65)) }),
          // @ts-expect-error the literal must be the registered name
          vote: z.object({ type: z.literal('poll') }),
          // @ts-expect-error a client message is an object with a type literal
          text: z.string(),
        },
      }),
    );
    expect(problems).toHaveLength(5);
    expect(problems[3]).toBe("the schema of client message 'vote' must have type: z.literal('vote')");
    expect(problems[4]).toMatch(/^client message 'text' needs a zod object schema/);
  });

  it("refuses CUSTOM event names in agentwire's reserved namespace, empty ones, and values without a schema", () => {
    const problems = problemsOf(() =>
      defineProtocolExtensions({
        events: { 'agentwire.interrupt': z.object({}), '': z.string(), 'two words': z.string(), loose: { parse: () => 1 } as unknown as z.ZodType },
      }),
    );
    expect(problems).toEqual([
      "CUSTOM event name 'agentwire.interrupt' is reserved: names starting with 'agentwire.' are agentwire's own",
      'CUSTOM event name "" must have 1 to 64 characters and no spaces',
      'CUSTOM event name "two words" must have 1 to 64 characters and no spaces',
      "CUSTOM event 'loose' needs a zod schema of its value",
    ]);
  });

  it('is the only way to make extensions: a look-alike object is not one', () => {
    const lookAlike: ProtocolExtensions = { clientMessages: { ask: AskSchema }, events: {} };
    expect(isProtocolExtensions(lookAlike)).toBe(false);
    expect(isProtocolExtensions(null)).toBe(false);
  });
});

describe('validateCustomEventValue', () => {
  const extensions = defineProtocolExtensions({ events: { 'acme.quota': QuotaSchema } });

  it('accepts the value of a registered event that fits its schema', () => {
    expect(validateCustomEventValue(extensions, 'acme.quota', { used: 3, limit: 10 })).toBeNull();
  });

  it('names the path of a value that does not fit', () => {
    expect(validateCustomEventValue(extensions, 'acme.quota', { used: -1, limit: 10 })).toMatch(/^CUSTOM acme\.quota\.value\.used: /);
  });

  it('refuses names that are not registered, and agentwire\'s own names', () => {
    expect(validateCustomEventValue(extensions, 'acme.other', {})).toBe("CUSTOM event 'acme.other' is not registered (defineProtocolExtensions({ events }))");
    expect(validateCustomEventValue(extensions, 'agentwire.interrupt', {})).toMatch(/agentwire's own/);
    expect(validateCustomEventValue(extensions, 'toString', {})).toMatch(/is not registered/);
  });
});

describe('error codes', () => {
  it("lets an app's own snake_case code through, next to the built-in ones", () => {
    expect(isWireErrorCode('not_found')).toBe(true);
    expect(isWireErrorCode('quota_exceeded')).toBe(true);
    for (const bad of ['Quota', 'quota exceeded', '', '9lives', 'x'.repeat(65), 42, null]) expect(isWireErrorCode(bad)).toBe(false);
  });

  it('is what the error message schema accepts', () => {
    const error = { type: 'error', seq: null, ts: '2026-11-21T10:00:00.000Z', user_id: 'alice', payload: { code: 'quota_exceeded', message: 'no questions left today' } };
    expect(ErrorMessageSchema.safeParse(error).success).toBe(true);
    expect(ErrorMessageSchema.safeParse({ ...error, payload: { code: 'Quota!', message: 'x' } }).success).toBe(false);
  });
});
