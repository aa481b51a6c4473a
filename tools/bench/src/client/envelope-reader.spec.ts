import { roomEnvelopeWriter, serializeEnvelope } from '@agentwirejs/protocols';
import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import { heldHeapBytesEach } from '@agentwirejs/types/testing';
import { HeldStrings, readEnvelope } from './envelope-reader';

const TS = '2026-01-01T00:00:00.000Z';

describe('readEnvelope', () => {
  it('reads what a full JSON.parse reads from agentwire envelopes, with and without run and thread', () => {
    const cases = [
      serializeEnvelope({ type: 'agent_thinking', run_id: 'run_1' as RunId, thread_id: 'thread_1' as ThreadId, payload: { reasoning: 'x'.repeat(300) } }, 42, 'u1' as UserId, TS),
      serializeEnvelope({ type: 'room_message', payload: { n: 7, text: 'hello' } }, 3, 'u1' as UserId, TS),
      serializeEnvelope({ type: 'latency_probe', payload: { n: 9, t: 123456.789, pad: 'ppp' } }, 10, 'u2' as UserId, TS),
      serializeEnvelope({ type: 'pong', payload: {} }, null, 'u1' as UserId, TS),
    ];
    for (const text of cases) {
      const parsed = JSON.parse(text) as { type: string; seq: number | null; user_id: string; run_id?: string; thread_id?: string; payload: { n?: number; t?: number } };
      expect(readEnvelope(text)).toEqual({
        type: parsed.type,
        seq: parsed.seq,
        user_id: parsed.user_id,
        ...(parsed.thread_id === undefined ? {} : { thread_id: parsed.thread_id }),
        ...(parsed.run_id === undefined ? {} : { run_id: parsed.run_id }),
        ...(parsed.payload.n === undefined ? {} : { n: parsed.payload.n }),
        ...(parsed.payload.t === undefined ? {} : { t: parsed.payload.t }),
      });
    }
  });

  it("reads a room stream's frames (room, room_seq) without parsing them, as JSON.parse would", () => {
    for (const [roomSeq, payload] of [
      [12, { n: 4, text: 'hi' }],
      [null, { from_seq: 1, to_seq: 3 }],
    ] as const) {
      const text = roomEnvelopeWriter({ type: 'room_message', payload }, 'bench-room')(roomSeq, TS);
      const parsed = JSON.parse(text) as { payload: { n?: number } };
      expect(readEnvelope(text)).toEqual({ type: 'room_message', seq: null, room: 'bench-room', room_seq: roomSeq, ...(parsed.payload.n === undefined ? {} : { n: parsed.payload.n }) });
    }
    // another key order is parsed, and reads the same
    expect(readEnvelope('{"seq":null,"type":"room_message","room_seq":3,"room":"r","ts":"x","payload":{"n":1}}')).toEqual({ type: 'room_message', seq: null, room: 'r', room_seq: 3, n: 1 });
  });

  it('reads the envelope inside a socket.io event packet', () => {
    const envelope = serializeEnvelope({ type: 'room_message', payload: { n: 2, text: 'b' } }, null, 'u1' as UserId, TS);
    const packet = `42["message",${envelope}]`;
    expect(readEnvelope(packet, '42["message",'.length, ']')).toEqual({ type: 'room_message', seq: null, user_id: 'u1', n: 2 });
  });

  it('falls back to JSON.parse for another key order, and answers null for what is not an envelope', () => {
    expect(readEnvelope('{"seq":4,"type":"x","user_id":"u","payload":{"n":1}}')).toEqual({ type: 'x', seq: 4, user_id: 'u', n: 1 });
    expect(readEnvelope('{"type":"x","seq":1,"ts":"t","payload":{"n":1}')).toBeNull();
    expect(readEnvelope('[1,2]')).toBeNull();
    expect(readEnvelope('not json')).toBeNull();
  });

  it('keeps headers read through HeldStrings without their frames, and reads them the same', async () => {
    // A run's three events, each a frame of about 2,100 characters, for 3,000 runs.
    const frame = (index: number): string =>
      serializeEnvelope(
        { type: 'REASONING_MESSAGE_CHUNK', run_id: `run_01KBS${String(Math.floor(index / 3)).padStart(21, '0')}` as RunId, thread_id: 'thread_01KBS000000000000000000001' as ThreadId, payload: { delta: 'x'.repeat(2_000) } },
        index + 1,
        'bench-user-000042' as UserId,
        TS,
      );
    const strings = new HeldStrings();
    const copied = await heldHeapBytesEach(9_000, (index) => readEnvelope(frame(index), 0, '', strings));
    const sliced = await heldHeapBytesEach(9_000, (index) => readEnvelope(frame(index)));
    expect(copied.held[4]).toEqual(readEnvelope(frame(4)));
    // measured 134 bytes a header; 2,444 as views that keep their frames
    expect(copied.bytesEach).toBeLessThan(400);
    expect(sliced.bytesEach).toBeGreaterThan(2_000);
  });

  it('holds one copy per distinct text, and starts afresh at its limit', () => {
    const strings = new HeldStrings(2);
    const text = 'run_0123456789abcdef';
    expect(strings.keep(text.slice(0))).toBe(text);
    expect(strings.keep(`${text.slice(0, 4)}${text.slice(4)}`)).toBe(text);
    expect(strings.size).toBe(1);
    expect(strings.keep('another string, long')).toBe('another string, long');
    expect(strings.size).toBe(2);
    expect(strings.keep('a third one, also long')).toBe('a third one, also long'); // at the limit: afresh
    expect(strings.size).toBe(1);
  });
});
