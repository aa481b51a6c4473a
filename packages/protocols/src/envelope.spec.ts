import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import { ServerEnvelopeSchema, envelopeWriter, serializeEnvelope } from './index';

describe('envelopeWriter', () => {
  it('writes exactly what JSON.stringify writes for the envelope, in contract field order', () => {
    const message = { type: 'agent_thinking', thread_id: 't-1' as ThreadId, run_id: 'r-1' as RunId, payload: { reasoning: 'quote " and \\ and \u2028' } };
    const json = serializeEnvelope(message, 7, 'alice' as UserId, '2026-01-01T00:00:00.000Z');
    const expected = { type: 'agent_thinking', seq: 7, ts: '2026-01-01T00:00:00.000Z', user_id: 'alice', thread_id: 't-1', run_id: 'r-1', payload: message.payload };
    expect(json).toBe(JSON.stringify(expected));
    expect(ServerEnvelopeSchema.parse(JSON.parse(json))).toEqual(expected);
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
