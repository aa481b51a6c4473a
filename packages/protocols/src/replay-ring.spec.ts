import { ReplayRing } from './index';

const entry = (seq: number, appendedAt = 0) => ({ seq, appendedAt });

describe('ReplayRing', () => {
  it('keeps the newest maxEvents entries and reads after any position without scanning', () => {
    const ring = new ReplayRing(3, 1000);
    for (let seq = 1; seq <= 5; seq += 1) ring.push(entry(seq));
    expect(ring.length).toBe(3);
    expect(ring.firstSeq).toBe(3);
    expect(ring.readAfter(0, 5, 0)).toEqual({ entries: [entry(3), entry(4), entry(5)], gap: { fromSeq: 1, toSeq: 2 } });
    expect(ring.readAfter(3, 5, 0)).toEqual({ entries: [entry(4), entry(5)], gap: null });
    expect(ring.readAfter(5, 5, 0)).toEqual({ entries: [], gap: null });
    expect(ring.readAfter(9, 5, 0)).toEqual({ entries: [], gap: null });
  });

  it('evicts by age', () => {
    const ring = new ReplayRing(10, 100);
    ring.push(entry(1, 0));
    ring.push(entry(2, 50));
    ring.push(entry(3, 150));
    expect(ring.evictExpired(151)).toBe(2);
    expect(ring.readAfter(0, 3, 151)).toEqual({ entries: [entry(3, 150)], gap: { fromSeq: 1, toSeq: 2 } });
    expect(ring.readAfter(0, 3, 1000)).toEqual({ entries: [], gap: { fromSeq: 1, toSeq: 3 } });
  });

  it('refuses out-of-order entries and bad bounds', () => {
    const ring = new ReplayRing(2, 10);
    ring.push(entry(4));
    expect(() => ring.push(entry(6))).toThrow(RangeError);
    expect(() => new ReplayRing(-1, 10)).toThrow(RangeError);
    expect(() => new ReplayRing(1.5, 10)).toThrow(RangeError);
  });

  it('keeps nothing with maxEvents 0, and says so', () => {
    const ring = new ReplayRing(0, 10);
    ring.push(entry(1));
    expect(ring.readAfter(0, 1, 0)).toEqual({ entries: [], gap: { fromSeq: 1, toSeq: 1 } });
  });

  it('starts small and grows to maxEvents, keeping order across growth and wrap-around', () => {
    const ring = new ReplayRing(100, 1000);
    expect(ring.capacity).toBe(16);
    for (let seq = 1; seq <= 20; seq += 1) ring.push(entry(seq));
    expect(ring.capacity).toBe(32);
    for (let seq = 21; seq <= 250; seq += 1) ring.push(entry(seq));
    expect(ring.capacity).toBe(100);
    expect(ring.length).toBe(100);
    const { entries, gap } = ring.readAfter(0, 250, 0);
    expect(gap).toEqual({ fromSeq: 1, toSeq: 150 });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 151));
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
  });
});
