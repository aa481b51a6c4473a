import fc from 'fast-check';
import type { UserId } from '@agentwirejs/types';
import { type OutboundMessage, type StreamEntry, serializeEnvelope } from '@agentwirejs/protocols';
import { ReplayRing } from './replay-ring';

const alice = 'alice' as UserId;
const TS = '2026-01-01T00:00:00.000Z';

/** A stream entry as a backplane builds it: the envelope serialized with its seq. */
function entry(seq: number, appendedAt = 0, text = `message ${seq}`, userId = alice): StreamEntry {
  const message: OutboundMessage = { type: 'agent_thinking', payload: { reasoning: text } };
  return { seq, userId, type: message.type, ts: TS, message, json: serializeEnvelope(message, seq, userId, TS), appendedAt };
}

/** What a reader can observe of an entry. */
function seen(value: StreamEntry): Omit<StreamEntry, 'gap'> {
  return { seq: value.seq, userId: value.userId, type: value.type, ts: value.ts, message: value.message, json: value.json, appendedAt: value.appendedAt };
}

describe('ReplayRing', () => {
  it('keeps the newest maxEvents entries and reads after any position without scanning', () => {
    const ring = new ReplayRing(3, 1000);
    for (let seq = 1; seq <= 5; seq += 1) ring.push(entry(seq));
    expect(ring.length).toBe(3);
    expect(ring.firstSeq).toBe(3);
    const read = ring.readAfter(0, 5, 0);
    expect(read.gap).toEqual({ fromSeq: 1, toSeq: 2 });
    expect(read.entries.map(seen)).toEqual([entry(3), entry(4), entry(5)]);
    expect(ring.readAfter(3, 5, 0).entries.map(seen)).toEqual([entry(4), entry(5)]);
    expect(ring.readAfter(3, 5, 0).gap).toBeNull();
    expect(ring.readAfter(5, 5, 0)).toEqual({ entries: [], gap: null });
    expect(ring.readAfter(9, 5, 0)).toEqual({ entries: [], gap: null });
  });

  it('gives back every field of an entry, decoding message and ts from its JSON (multi-byte text included)', () => {
    const ring = new ReplayRing(10, 1000);
    const message: OutboundMessage = { type: 'agent_completed', thread_id: 't-1' as never, run_id: 'r-1' as never, payload: { final_response: 'Grüße 👋 "quoted" \\ \u2028', n: 3 } };
    const original: StreamEntry = { seq: 1, userId: alice, type: message.type, ts: TS, message, json: serializeEnvelope(message, 1, alice, TS), appendedAt: 42 };
    ring.push(original);
    const [back] = ring.readAfter(0, 1, 42).entries;
    expect(back?.json).toBe(original.json);
    expect(back === undefined ? null : seen(back)).toEqual(original);
    expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(original)));
  });

  it('reads an application type with escaped characters without decoding the rest', () => {
    const ring = new ReplayRing(10, 1000);
    const message: OutboundMessage = { type: 'app/"odd"\\type', payload: {} };
    ring.push({ seq: 1, userId: alice, type: message.type, ts: TS, message, json: serializeEnvelope(message, 1, alice, TS), appendedAt: 0 });
    expect(ring.readAfter(0, 1, 0).entries[0]?.type).toBe('app/"odd"\\type');
  });

  it('evicts by age', () => {
    const ring = new ReplayRing(10, 100);
    ring.push(entry(1, 0));
    ring.push(entry(2, 50));
    ring.push(entry(3, 150));
    expect(ring.evictExpired(151)).toBe(2);
    const read = ring.readAfter(0, 3, 151);
    expect(read.entries.map(seen)).toEqual([entry(3, 150)]);
    expect(read.gap).toEqual({ fromSeq: 1, toSeq: 2 });
    expect(ring.readAfter(0, 3, 1000)).toEqual({ entries: [], gap: { fromSeq: 1, toSeq: 3 } });
  });

  it('refuses out-of-order entries, another user’s entries and bad bounds', () => {
    const ring = new ReplayRing(2, 10);
    ring.push(entry(4));
    expect(() => ring.push(entry(6))).toThrow(RangeError);
    expect(() => ring.push(entry(5, 0, 'x', 'bob' as UserId))).toThrow(RangeError);
    expect(() => new ReplayRing(-1, 10)).toThrow(RangeError);
    expect(() => new ReplayRing(1.5, 10)).toThrow(RangeError);
  });

  it('keeps nothing with maxEvents 0, and says so', () => {
    const ring = new ReplayRing(0, 10);
    ring.push(entry(1));
    expect(ring.readAfter(0, 1, 0)).toEqual({ entries: [], gap: { fromSeq: 1, toSeq: 1 } });
    expect(ring.byteCapacity).toBe(0);
  });

  it('allocates nothing before the first entry, grows slots to maxEvents, and keeps order across growth and wrap-around', () => {
    const ring = new ReplayRing(100, 1000);
    expect(ring.capacity).toBe(0);
    expect(ring.byteCapacity).toBe(0);
    ring.push(entry(1));
    expect(ring.capacity).toBe(16);
    for (let seq = 2; seq <= 20; seq += 1) ring.push(entry(seq));
    expect(ring.capacity).toBe(32);
    for (let seq = 21; seq <= 250; seq += 1) ring.push(entry(seq));
    expect(ring.capacity).toBe(100);
    expect(ring.length).toBe(100);
    const { entries, gap } = ring.readAfter(0, 250, 0);
    expect(gap).toEqual({ fromSeq: 1, toSeq: 150 });
    expect(entries.map(seen)).toEqual(Array.from({ length: 100 }, (_, i) => entry(i + 151)));
  });

  it('reuses its byte buffer once full: a steady stream of same-sized entries stops allocating', () => {
    const ring = new ReplayRing(50, 1000);
    for (let seq = 1; seq <= 200; seq += 1) ring.push(entry(seq, 0, 'x'.repeat(100)));
    const settled = ring.byteCapacity;
    for (let seq = 201; seq <= 2000; seq += 1) ring.push(entry(seq, 0, 'x'.repeat(100)));
    expect(ring.byteCapacity).toBe(settled);
    expect(ring.readAfter(1949, 2000, 0).entries.map(seen)).toEqual(Array.from({ length: 51 }, (_, i) => entry(i + 1950, 0, 'x'.repeat(100))).slice(1));
  });

  it('holds a busy history in chunks of at most 64 KiB: it never grows by more than one chunk at a time and stays within one chunk or two of what it keeps', () => {
    // A buffer that doubles by copying would add (and copy) a whole 1 MB history at once here.
    const ring = new ReplayRing(1000, 1_000_000);
    const text = 'y'.repeat(1000);
    let kept = 0;
    let before = ring.byteCapacity;
    for (let seq = 1; seq <= 3000; seq += 1) {
      const next = entry(seq, 0, text);
      ring.push(next);
      if (seq <= 1000) kept += Buffer.byteLength(next.json);
      expect(ring.byteCapacity - before).toBeLessThanOrEqual(64 * 1024);
      before = ring.byteCapacity;
    }
    expect(kept).toBeGreaterThan(1_000_000);
    expect(ring.byteCapacity).toBeLessThanOrEqual(kept + 3 * 64 * 1024);
    expect(ring.readAfter(2990, 3000, 0).entries.map(seen)).toEqual(Array.from({ length: 10 }, (_, i) => entry(i + 2991, 0, text)));
  });

  it('gives its memory back when every entry has aged out, and starts again from the next seq', () => {
    const ring = new ReplayRing(64, 10);
    for (let seq = 1; seq <= 40; seq += 1) ring.push(entry(seq, 0));
    expect(ring.byteCapacity).toBeGreaterThan(0);
    expect(ring.evictExpired(11)).toBe(40);
    expect(ring.capacity).toBe(0);
    expect(ring.byteCapacity).toBe(0);
    ring.push(entry(41, 11));
    expect(ring.readAfter(0, 41, 11).entries.map(seen)).toEqual([entry(41, 11)]);
    expect(ring.readAfter(0, 41, 11).gap).toEqual({ fromSeq: 1, toSeq: 40 });
  });

  it('grows correctly after entries were evicted from the front', () => {
    const ring = new ReplayRing(64, 10);
    for (let seq = 1; seq <= 12; seq += 1) ring.push(entry(seq, seq));
    expect(ring.evictExpired(18)).toBe(7); // seq 1..7 are older than 10 ms at t=18
    // the head now sits mid-array; pushing past 16 entries grows the ring from that offset
    for (let seq = 13; seq <= 40; seq += 1) ring.push(entry(seq, 18));
    expect(ring.capacity).toBe(64);
    const { entries, gap } = ring.readAfter(0, 40, 18);
    expect(gap).toEqual({ fromSeq: 1, toSeq: 7 });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 33 }, (_, i) => i + 8));
    expect(entries.map(seen)).toEqual([...Array.from({ length: 5 }, (_, i) => entry(i + 8, i + 8)), ...Array.from({ length: 28 }, (_, i) => entry(i + 13, 18))]);
  });

  it('reads back exactly what a plain list bounded the same way keeps, for any sequence of sizes, ages and reads', () => {
    // Sizes spread from a few bytes to a few KB (multi-byte text included), so entries wrap around the buffer's end at every offset.
    const pushedText = fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.nat(1500)).map(([text, pad]) => text + 'x'.repeat(pad));
    const step = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), text: pushedText, advance: fc.nat(30) }),
      fc.record({ kind: fc.constant('read' as const), back: fc.nat(80), advance: fc.nat(30) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 200 }), fc.array(step, { minLength: 20, maxLength: 200, size: 'max' }), (maxEvents, maxAgeMs, steps) => {
        const ring = new ReplayRing(maxEvents, maxAgeMs);
        let model: StreamEntry[] = [];
        let now = 0;
        let lastSeq = 0;
        for (const s of steps) {
          now += s.advance;
          // as the backplane does before each append
          ring.evictExpired(now);
          model = model.filter((kept) => now - kept.appendedAt <= maxAgeMs);
          if (s.kind === 'push') {
            lastSeq += 1;
            const next = entry(lastSeq, now, s.text);
            ring.push(next);
            model.push(next);
            if (model.length > maxEvents) model.shift();
          } else {
            const afterSeq = Math.max(0, lastSeq - s.back);
            const read = ring.readAfter(afterSeq, lastSeq, now);
            const expected = model.filter((kept) => kept.seq > afterSeq);
            expect(read.entries.map(seen)).toEqual(expected);
            const firstKept = expected[0]?.seq ?? lastSeq + 1;
            expect(read.gap).toEqual(afterSeq + 1 < firstKept && afterSeq < lastSeq ? { fromSeq: afterSeq + 1, toSeq: firstKept - 1 } : null);
          }
          expect(ring.length).toBe(model.length);
        }
      }),
      { numRuns: 150, endOnFailure: true },
    );
  });
});
