import { EventType, WireProtocol } from '@agentwirejs/protocols';
import { coveredSeqs, foldedTypes, wireProblems } from './harness.test-helpers';

/** The wire check every e2e test relies on: it must refuse what the contract refuses, or the tests prove nothing. */
const envelope = (type: string, seq: number | null, payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type,
  seq,
  ts: '2026-01-01T00:00:00.000Z',
  user_id: 'u',
  thread_id: 't',
  run_id: 'r',
  payload,
  ...extra,
});

describe('wireProblems', () => {
  it('accepts AG-UI run events, a compacted delta, the v2 replay gap and connection messages', () => {
    const messages = [
      { type: 'connection_established', seq: null, ts: '2026-01-01T00:00:00.000Z', user_id: 'u', payload: { connection_id: 'conn_01M8Y3H117DQGR0QD09FWZP2ZE', protocol: WireProtocol.V2, last_seq: 0, epoch: 'e' } },
      envelope(EventType.TEXT_MESSAGE_START, 1, { type: EventType.TEXT_MESSAGE_START, messageId: 'm', role: 'assistant' }),
      envelope(EventType.TEXT_MESSAGE_CONTENT, 4, { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm', delta: 'abc' }, { first_seq: 2 }),
      { type: EventType.CUSTOM, seq: null, ts: '2026-01-01T00:00:00.000Z', user_id: 'u', payload: { type: EventType.CUSTOM, name: 'agentwire.replay_gap', value: { from_seq: 1, to_seq: 3 } } },
    ];
    expect(wireProblems(messages)).toEqual([]);
    expect(coveredSeqs(messages as never)).toEqual([1, 2, 3, 4]);
    expect(foldedTypes([{ type: 'TEXT_MESSAGE_CONTENT' }, { type: 'TEXT_MESSAGE_CONTENT' }, { type: 'TEXT_MESSAGE_END' }])).toEqual(['TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END']);
  });

  it('refuses an AG-UI payload EventSchemas refuses, a payload of another type, a run event without run_id and a v1 event on v2', () => {
    expect(wireProblems([envelope(EventType.TEXT_MESSAGE_CONTENT, 1, { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm' })])).toHaveLength(1);
    expect(wireProblems([envelope(EventType.TEXT_MESSAGE_END, 1, { type: EventType.TEXT_MESSAGE_START, messageId: 'm' })])).toHaveLength(1);
    expect(wireProblems([{ ...envelope(EventType.TEXT_MESSAGE_END, 1, { type: EventType.TEXT_MESSAGE_END, messageId: 'm' }), run_id: undefined }])).toHaveLength(1);
    const thinking = envelope('agent_thinking', 1, { reasoning: 'x' });
    expect(wireProblems([thinking])).toEqual(['message 1 (agent_thinking): a v1 type on an agentwire.v2 connection']);
    expect(wireProblems([thinking], WireProtocol.V1)).toEqual([]);
    expect(wireProblems([envelope('agent_thinking', 1, { reasoning: 1 })], WireProtocol.V1)).toHaveLength(1);
  });
});
