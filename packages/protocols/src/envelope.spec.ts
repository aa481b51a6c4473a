import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import { ServerEnvelopeSchema, envelopeWriter, roomEnvelopeParts, roomEnvelopeWriter, serializeEnvelope, userEnvelopeParts } from './index';

describe('envelopeWriter', () => {
  it('writes exactly what JSON.stringify writes for the envelope, in contract field order', () => {
    const message = { type: 'agent_thinking', thread_id: 't-1' as ThreadId, run_id: 'r-1' as RunId, payload: { reasoning: 'quote " and \\ and \u2028' } };
    const json = serializeEnvelope(message, 7, 'alice' as UserId, '2026-01-01T00:00:00.000Z');
    const expected = { type: 'agent_thinking', seq: 7, ts: '2026-01-01T00:00:00.000Z', user_id: 'alice', thread_id: 't-1', run_id: 'r-1', payload: message.payload };
    expect(json).toBe(JSON.stringify(expected));
    expect(ServerEnvelopeSchema.parse(JSON.parse(json))).toEqual(expected);
  });

  it('and serializeEnvelope (one recipient, one JSON.stringify) write the same text for any message', () => {
    const ts = '2026-01-01T00:00:00.000Z';
    const messages = [
      { type: 'note', payload: {} },
      { type: 'note', payload: { n: 1, nested: { list: [1, 'two', null, { deep: true }] } } },
      { type: 'RUN_STARTED', thread_id: 't "quoted"' as ThreadId, run_id: 'r\\1' as RunId, payload: { type: 'RUN_STARTED', threadId: 't', runId: 'r' } },
      { type: 'agent_thinking', run_id: 'r-only' as RunId, payload: { reasoning: 'emoji \u{1F600}, line\nbreak, \u2028, lone \uD800 surrogate' } },
      { type: 'tÿpe\u0000', thread_id: 't-only' as ThreadId, payload: { when: new Date(0), big: 'x'.repeat(5000) } },
    ];
    for (const message of messages) {
      for (const seq of [1, 2 ** 40, null]) {
        for (const userId of ['alice', 'ü "odd" \\ user'] as UserId[]) {
          expect(serializeEnvelope(message, seq, userId, ts)).toBe(envelopeWriter(message)(seq, userId, ts));
        }
      }
    }
  });

  it('split around the position (userEnvelopeParts, roomEnvelopeParts), writes at the positions tried what the writers write', () => {
    const ts = '2026-01-01T00:00:00.000Z';
    const messages = [
      { type: 'note', payload: {} },
      { type: 'RUN_STARTED', thread_id: 't "quoted"' as ThreadId, run_id: 'r\\1' as RunId, payload: { type: 'RUN_STARTED', threadId: 't', runId: 'r' } },
      // a type and ids that spell the seq key themselves: the cut is still at the envelope's own
      { type: ',"seq":0,', thread_id: ',"seq":0,"ts":' as ThreadId, run_id: '"seq":' as RunId, payload: { seq: 0, text: ',"seq":0,' } },
      { type: 'tÿpe\u0000', payload: { reasoning: 'emoji \u{1F600}, \u2028, lone \uD800 surrogate', big: 'x'.repeat(5000) } },
    ];
    for (const message of messages) {
      for (const seq of [1, 42, 2 ** 40]) {
        for (const userId of ['alice', 'ü "odd" \\ user'] as UserId[]) {
          const { head, tail } = userEnvelopeParts(message, userId, ts);
          expect(`${head}${seq}${tail}`).toBe(envelopeWriter(message)(seq, userId, ts));
          // and one user's envelope from one JSON.stringify
          expect(`${head}${seq}${tail}`).toBe(serializeEnvelope(message, seq, userId, ts));
        }
        for (const room of ['lobby', 'röom "x"']) {
          const { head, tail } = roomEnvelopeParts(message, room, ts);
          expect(`${head}${seq}${tail}`).toBe(roomEnvelopeWriter(message, room)(seq, ts));
          // and the room writer against JSON.stringify of the room frame, in contract field order
          const frame = { type: message.type, seq: null, room, room_seq: seq, ts, thread_id: message.thread_id, run_id: message.run_id, payload: message.payload };
          expect(roomEnvelopeWriter(message, room)(seq, ts)).toBe(JSON.stringify(frame));
        }
      }
    }
  });

  it('serializes the payload once for many recipients', () => {
    const payload = { big: 'x'.repeat(10) };
    const spy = jest.spyOn(JSON, 'stringify');
    const write = envelopeWriter({ type: 'note', payload });
    const callsAfterPrepare = spy.mock.calls.filter(([value]) => value === payload).length;
    for (let i = 1; i <= 100; i += 1) write(i, `user-${i}` as UserId, '2026-01-01T00:00:00.000Z');
    expect(spy.mock.calls.filter(([value]) => value === payload).length).toBe(callsAfterPrepare);
    expect(callsAfterPrepare).toBe(1);
    spy.mockRestore();
    expect(JSON.parse(write(null, 'bob' as UserId, '2026-01-01T00:00:00.000Z'))).toEqual({ type: 'note', seq: null, ts: '2026-01-01T00:00:00.000Z', user_id: 'bob', payload });
  });
});
