import { allocatedBytesEach } from '@agentwirejs/types/testing';
import { z } from 'zod';
import {
  AGENT_EVENT_TYPES,
  AgentInputSchema,
  ClientMessageSchema,
  ERROR_CODES,
  SERVER_MESSAGE_SCHEMAS,
  ServerEnvelopeSchema,
  ServerMessageSchema,
  validateAgentEvent,
  EventType,
  RunEventEnvelopeSchema,
  V2ServerMessageSchema,
} from '../index';
import type { AgentEvent, ServerMessageType } from '../index';

const ts = '2026-11-21T10:00:00.000Z';
const run = { user_id: 'alice', thread_id: 'thread-1', run_id: 'run-1', ts };

/** One example of every server message of wire contract v1, as DESIGN.md describes it. */
const serverExamples: Record<ServerMessageType, Record<string, unknown>> = {
  connection_established: { type: 'connection_established', seq: null, ts, user_id: 'alice', payload: { connection_id: 'conn-1', protocol: 'agentwire.v1', last_seq: 0, epoch: '1733220000.123456' } },
  pong: { type: 'pong', seq: null, ts, user_id: 'alice', payload: {} },
  token_refreshed: { type: 'token_refreshed', seq: null, ts, user_id: 'alice', payload: { expires_at: '2026-11-21T10:05:30.000Z' } },
  ack: { type: 'ack', seq: null, ts, user_id: 'alice', payload: { request_id: 'r-7', run_id: 'run-1', thread_id: 'thread-1' } },
  error: { type: 'error', seq: null, ts, user_id: 'alice', payload: { code: 'invalid_json', message: 'Frame is not JSON', ref: 'ref-1' } },
  replay_gap: { type: 'replay_gap', seq: null, ts, user_id: 'alice', payload: { from_seq: 1, to_seq: 4 } },
  agent_started: { type: 'agent_started', seq: 1, ...run, payload: { agent_name: 'demo', input: 'what is 2+2?' } },
  agent_thinking: { type: 'agent_thinking', seq: 2, ...run, payload: { reasoning: 'I should use the calculator.' } },
  tool_executing: { type: 'tool_executing', seq: 3, ...run, payload: { tool_name: 'calculator', parameters: { expression: '2+2' } } },
  tool_completed: { type: 'tool_completed', seq: 4, ...run, payload: { tool_name: 'calculator', results: { value: 4 }, duration_ms: 1.5, success: true } },
  agent_completed: { type: 'agent_completed', seq: 5, ...run, payload: { status: 'completed', final_response: '2+2 = 4', duration_ms: 12, event_count: 5 } },
  agent_error: { type: 'agent_error', seq: 5, ...run, payload: { code: 'timed_out', message: 'The run took longer than 30000 ms' } },
  agent_cancelled: { type: 'agent_cancelled', seq: 5, ...run, payload: {} },
};

const clientExamples = [
  { type: 'user_message', text: 'what is 2+2?' },
  { type: 'user_message', text: 'hello', thread_id: 'thread-1' },
  { type: 'start_agent', agent: 'demo', input: 'count words in this' },
  { type: 'start_agent', agent: 'burst', input: { events: 500, payload_bytes: 300 }, thread_id: 'thread-2' },
  { type: 'cancel_run', run_id: 'run-1' },
  { type: 'ping' },
  { type: 'resume', after_seq: 0 },
  { type: 'resume', after_seq: 41 },
  { type: 'refresh_token', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl' },
  { type: 'start_agent', request_id: 'req-1', agent: 'demo', input: 'hi' },
  { type: 'start_agent', agent: `a${'b_-9'.repeat(15)}xyz`, input: 'the longest agent name: 64 characters' },
  { type: 'cancel_run', request_id: 'r2', run_id: 'run-1' },
];

describe('server messages', () => {
  it('has an example for every message type', () => {
    expect(Object.keys(serverExamples).sort()).toEqual(Object.keys(SERVER_MESSAGE_SCHEMAS).sort());
  });

  it.each(Object.entries(serverExamples))('accepts the contract example of %s (typed and as a generic envelope)', (_type, example) => {
    expect(ServerMessageSchema.parse(example)).toEqual(example);
    expect(ServerEnvelopeSchema.safeParse(example).success).toBe(true);
  });

  const requiredFields: [string, string][] = [];
  for (const [type, example] of Object.entries(serverExamples)) {
    for (const field of ['type', 'seq', 'ts', 'user_id', 'payload']) requiredFields.push([type, field]);
    for (const field of Object.keys(example['payload'] as object)) {
      // optional: an error's ref; an ack's run_id and thread_id (only a request that started a run has them)
      const optional = (type === 'error' && field === 'ref') || (type === 'ack' && (field === 'run_id' || field === 'thread_id'));
      if (!optional) requiredFields.push([type, `payload.${field}`]);
    }
    if ((AGENT_EVENT_TYPES as string[]).includes(type)) requiredFields.push([type, 'run_id'], [type, 'thread_id']);
  }

  it.each(requiredFields)('rejects %s without its required field %s', (type, field) => {
    const example = structuredClone(serverExamples[type as ServerMessageType]);
    const [head, tail] = field.split('.') as [string, string | undefined];
    if (tail === undefined) delete example[head];
    else delete (example[head] as Record<string, unknown>)[tail];
    expect(ServerMessageSchema.safeParse(example).success).toBe(false);
  });

  it('requires seq null on connection-scoped messages and a positive seq on agent events', () => {
    expect(ServerMessageSchema.safeParse({ ...serverExamples.pong, seq: 3 }).success).toBe(false);
    expect(ServerMessageSchema.safeParse({ ...serverExamples.token_refreshed, seq: 3 }).success).toBe(false);
    expect(ServerMessageSchema.safeParse({ ...serverExamples.token_refreshed, payload: { expires_at: 1733220000 } }).success).toBe(false);
    expect(ServerMessageSchema.safeParse({ ...serverExamples.agent_started, seq: null }).success).toBe(false);
    expect(ServerMessageSchema.safeParse({ ...serverExamples.agent_started, seq: 0 }).success).toBe(false);
    expect(ServerMessageSchema.safeParse({ ...serverExamples.agent_started, ts: 'yesterday' }).success).toBe(false);
  });

  it('knows the documented error codes and accepts app-defined snake_case codes', () => {
    expect(ERROR_CODES).toEqual(expect.arrayContaining(['invalid_json', 'invalid_message', 'unknown_message_type', 'unauthorized', 'rate_limited', 'payload_too_large', 'isolation_violation', 'internal_error']));
    expect(ServerMessageSchema.safeParse({ ...serverExamples.error, payload: { code: 'Oops!', message: 'x' } }).success).toBe(false);
    expect(ServerMessageSchema.safeParse({ ...serverExamples.error, payload: { code: 'quota_exceeded', message: 'an app-defined code' } }).success).toBe(true);
  });

  it('rejects a replay_gap whose range runs backwards', () => {
    expect(ServerMessageSchema.safeParse({ ...serverExamples.replay_gap, payload: { from_seq: 5, to_seq: 4 } }).success).toBe(false);
  });

  it('checks agent events (AG-UI events) before they are sequenced', () => {
    const ids = { run_id: 'run-1', thread_id: 't' };
    const content = { type: EventType.TEXT_MESSAGE_CONTENT, ...ids, payload: { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm1', delta: 'Hel' } } as unknown as AgentEvent;
    expect(validateAgentEvent(content)).toBeNull();
    const noDelta = { ...content, payload: { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm1' } } as unknown as AgentEvent;
    expect(validateAgentEvent(noDelta)).toMatch(/^TEXT_MESSAGE_CONTENT\.delta: /);
    const mismatch = { ...content, type: EventType.TEXT_MESSAGE_END } as unknown as AgentEvent;
    expect(validateAgentEvent(mismatch)).toMatch(/not the envelope's type/);
    const started = { type: EventType.RUN_STARTED, ...ids, payload: { type: EventType.RUN_STARTED, threadId: 't', runId: 'run-2' } } as unknown as AgentEvent;
    expect(validateAgentEvent(started)).toMatch(/runId run-2 is not the envelope's run_id run-1/);
    expect(validateAgentEvent({ type: 'agent_exploded', ...ids, payload: { type: 'agent_exploded' } } as unknown as AgentEvent)).toMatch(/^agent_exploded/);
  });
});

describe('run event envelopes of agentwire.v2', () => {
  const envelope = (type: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type, seq: 7, ...run, ...extra, payload: { type, ...payload } });

  it.each([
    envelope('RUN_STARTED', { threadId: 'thread-1', runId: 'run-1' }),
    envelope('TEXT_MESSAGE_START', { messageId: 'm1', role: 'assistant' }),
    envelope('TEXT_MESSAGE_CONTENT', { messageId: 'm1', delta: 'Hello, ' }),
    envelope('TEXT_MESSAGE_CONTENT', { messageId: 'm1', delta: 'Hello, world' }, { first_seq: 3 }),
    envelope('TOOL_CALL_RESULT', { messageId: 'm2', toolCallId: 'c1', content: '4', metadata: { agentwire: { tool_name: 'calculator', duration_ms: 1, success: true } } }),
    envelope('RUN_FINISHED', { threadId: 'thread-1', runId: 'run-1', outcome: { type: 'cancelled' } }),
    envelope('RUN_ERROR', { message: 'The run exceeded its 30000 ms timeout', code: 'timed_out' }),
    envelope('CUSTOM', { name: 'agentwire.interrupt', value: { id: 'i1', reason: 'input_required', message: 'Which time zone?' } }),
  ])('accepts %j', (example) => {
    expect(RunEventEnvelopeSchema.safeParse(example).success).toBe(true);
    expect(V2ServerMessageSchema.safeParse(example).success).toBe(true);
  });

  it('accepts a replay gap as CUSTOM agentwire.replay_gap, with or without a position', () => {
    const gap = { type: 'CUSTOM', seq: null, ts, user_id: 'alice', payload: { type: 'CUSTOM', name: 'agentwire.replay_gap', value: { from_seq: 2, to_seq: 5 } } };
    expect(V2ServerMessageSchema.safeParse(gap).success).toBe(true);
    expect(V2ServerMessageSchema.safeParse({ ...gap, seq: 6 }).success).toBe(true);
    expect(V2ServerMessageSchema.safeParse({ ...gap, payload: { ...gap.payload, value: { from_seq: 5, to_seq: 2 } } }).success).toBe(false);
  });

  it('refuses a payload of another type, a first_seq above seq, and a payload AG-UI rejects', () => {
    expect(RunEventEnvelopeSchema.safeParse({ ...envelope('TEXT_MESSAGE_END', { messageId: 'm1' }), type: 'TEXT_MESSAGE_START' }).success).toBe(false);
    expect(RunEventEnvelopeSchema.safeParse(envelope('TEXT_MESSAGE_CONTENT', { messageId: 'm1', delta: 'x' }, { first_seq: 8 })).success).toBe(false);
    expect(RunEventEnvelopeSchema.safeParse(envelope('TOOL_CALL_START', { toolCallId: 'c1' })).success).toBe(false);
    expect(RunEventEnvelopeSchema.safeParse({ ...envelope('RUN_ERROR', { message: 'x' }), run_id: undefined }).success).toBe(false);
  });
});

describe("an agent's input (AgentInputSchema)", () => {
  it.each([['text', 'what is 2+2?'], ['an empty text', ''], ['a JSON object', JSON.parse('{"events":3,"nested":{"a":[1,{"b":null}]}}')], ['an object without a prototype', Object.create(null)]])(
    'accepts %s and passes it on as it is, not copied',
    (_, input) => {
      const parsed = AgentInputSchema.safeParse(input);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toBe(input);
    },
  );

  it.each([
    ['an array', [1, 2]],
    ['null', null],
    ['a number', 7],
    ['a boolean', true],
    ['a date', new Date(0)],
    ['a map', new Map()],
    ['an object with an own __proto__ key', JSON.parse('{"__proto__":{"polluted":true}}')],
  ])('refuses %s, saying what an input may be', (_, input) => {
    const parsed = AgentInputSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('input must be text or a JSON object (without a __proto__ key)');
  });

  it('names the input when a start_agent has none or a bad one', () => {
    const parsed = ClientMessageSchema.safeParse({ type: 'start_agent', agent: 'demo', input: [1] });
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['input'], message: 'input must be text or a JSON object (without a __proto__ key)' });
  });

  it('is described in JSON Schema as text or an object with string keys', () => {
    expect(z.toJSONSchema(AgentInputSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' })).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      anyOf: [{ type: 'string' }, { type: 'object', propertyNames: { type: 'string' }, additionalProperties: {} }],
    });
  });

  it('allocates little to check an object input (it is checked once per start_agent)', async () => {
    const inputs = Array.from({ length: 1000 }, () => JSON.parse('{"events":1,"payload_bytes":300,"vocabulary":"ag-ui"}') as unknown);
    // measured about 110 bytes; as z.union([z.string(), z.record(z.string(), z.unknown())]) about 1,570
    expect(await allocatedBytesEach(100_000, (index) => AgentInputSchema.safeParse(inputs[index % 1000]))).toBeLessThan(400);
  });
});

describe('client messages', () => {
  it.each(clientExamples)('accepts %j', (example) => {
    expect(ClientMessageSchema.parse(example)).toEqual(example);
  });

  it.each([
    [{ type: 'user_message' }, 'text'],
    [{ type: 'user_message', text: '' }, 'text'],
    [{ type: 'start_agent', input: 'x' }, 'agent'],
    [{ type: 'start_agent', agent: 'demo' }, 'input'],
    [{ type: 'start_agent', agent: 'Not A Name', input: 'x' }, 'agent'],
    [{ type: 'start_agent', agent: '', input: 'x' }, 'agent'],
    [{ type: 'start_agent', agent: 'a'.repeat(65), input: 'x' }, 'agent'],
    [{ type: 'start_agent', agent: '9lives', input: 'x' }, 'agent'],
    [{ type: 'cancel_run' }, 'run_id'],
    [{ type: 'cancel_run', run_id: 'bad id' }, 'run_id'],
    [{ type: 'resume' }, 'after_seq'],
    [{ type: 'resume', after_seq: -1 }, 'after_seq'],
    [{ type: 'resume', after_seq: 1.5 }, 'after_seq'],
    [{ type: 'refresh_token' }, 'token'],
    [{ type: 'refresh_token', token: '' }, 'token'],
    [{ type: 'refresh_token', token: 7 }, 'token'],
    [{ type: 'refresh_token', token: 'x'.repeat(8193) }, 'token'],
    [{ type: 'ping', request_id: '' }, 'request_id'],
    [{ type: 'ping', request_id: 'has space' }, 'request_id'],
    [{ type: 'ping', request_id: 'x'.repeat(65) }, 'request_id'],
    [{ type: 'ping', request_id: 7 }, 'request_id'],
  ])('rejects %j at %s', (message, path) => {
    const result = ClientMessageSchema.safeParse(message);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([path]);
  });

  it('strips a user_id a client puts in a message', () => {
    const parsed = ClientMessageSchema.parse({ type: 'user_message', text: 'hi', user_id: 'mallory' });
    expect(parsed).toEqual({ type: 'user_message', text: 'hi' });
  });

  it('rejects unknown types', () => {
    expect(ClientMessageSchema.safeParse({ type: 'subscribe_all_users' }).success).toBe(false);
  });
});
