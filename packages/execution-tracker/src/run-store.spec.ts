import type { UserId } from '@agentwirejs/types';
import { finishedRecord } from './harness.test-helpers';
import { Retention } from './retention';
import type { RunRecord } from './run-record';
import { InMemoryRunStore } from './run-store';

function record(runId: string, userId: string): RunRecord {
  return { runId, userId } as unknown as RunRecord;
}

describe('InMemoryRunStore', () => {
  it('indexes records by user, oldest first, and drops a user from the index with its last record', () => {
    const store = new InMemoryRunStore();
    store.add(record('r1', 'alice'));
    store.add(record('r2', 'bob'));
    store.add(record('r3', 'alice'));
    expect(store.listByUser('alice' as UserId).map((r) => r.runId)).toEqual(['r1', 'r3']);
    expect(store.get('r2')?.userId).toBe('bob');
    store.delete('r2');
    store.delete('r2');
    expect(store.listByUser('bob' as UserId)).toEqual([]);
    expect({ size: store.size, users: store.users }).toEqual({ size: 2, users: 1 });
  });

  it("keeps a user's other records in order whichever record leaves, first, last or between", () => {
    const store = new InMemoryRunStore();
    for (const id of ['a', 'b', 'c', 'd', 'e']) store.add(record(id, 'alice'));
    store.delete('c');
    expect(store.listByUser('alice' as UserId).map((r) => r.runId)).toEqual(['a', 'b', 'd', 'e']);
    store.delete('a');
    store.delete('e');
    store.add(record('f', 'alice'));
    const listed = store.listByUser('alice' as UserId);
    expect(listed.map((r) => r.runId)).toEqual(['b', 'd', 'f']);
    listed.pop(); // a caller's list is its own
    expect(store.listByUser('alice' as UserId)).toHaveLength(3);
    expect(store.size).toBe(3);
  });
});

describe('InMemoryRunStore, once a run settled', () => {
  const alice = 'user-1' as UserId; // finishedRecord(n) belongs to user-(n % 7)

  it('packs the record: get and listByUser give back an equal copy, in the same place among the live ones', () => {
    const store = new InMemoryRunStore();
    const [first, second, third] = [1, 8, 15].map((n) => finishedRecord(n));
    for (const each of [first, second, third] as RunRecord[]) store.add(each);
    store.settled(second as RunRecord);
    expect(store.packedRecords).toBe(1);
    const read = store.get('run-8');
    expect(read).toEqual(second);
    expect(read).not.toBe(second);
    expect(store.get('run-1')).toBe(first); // a live run's record is the tracker's own object
    const listed = store.listByUser(alice);
    expect(listed.map((r) => r.runId)).toEqual(['run-1', 'run-8', 'run-15']);
    expect(listed[1]).toEqual(second);
    expect({ size: store.size, users: store.users }).toEqual({ size: 3, users: 1 });
  });

  it('deletes a packed record from both indexes and lets its slot go', () => {
    const store = new InMemoryRunStore();
    for (const n of [1, 8, 15]) store.add(finishedRecord(n));
    store.settled(store.get('run-1') as RunRecord);
    store.settled(store.get('run-15') as RunRecord);
    store.delete('run-1');
    store.delete('run-1');
    expect(store.get('run-1')).toBeUndefined();
    expect(store.listByUser(alice).map((r) => r.runId)).toEqual(['run-8', 'run-15']);
    expect(store.packedRecords).toBe(1);
    store.delete('run-15');
    store.delete('run-8');
    expect({ size: store.size, users: store.users, packed: store.packedRecords }).toEqual({ size: 0, users: 0, packed: 0 });
  });

  it('packs only the record it holds, once: an unknown one, a copy or a second call change nothing', () => {
    const store = new InMemoryRunStore();
    const held = finishedRecord(1);
    store.add(held);
    store.settled(finishedRecord(2)); // never added
    store.settled({ ...held }); // not the object the store holds
    expect(store.packedRecords).toBe(0);
    store.settled(held);
    store.settled(held);
    store.settled(store.get('run-1') as RunRecord); // a copy handed out after packing
    expect(store.packedRecords).toBe(1);
    expect(store.listByUser(alice)).toEqual([held]);
  });

  it('keeps a record its columns cannot hold as the object it is', () => {
    const store = new InMemoryRunStore();
    const odd = finishedRecord(1, { states: [...finishedRecord(1).states, { state: 'completed', at: 1 }] });
    store.add(odd);
    store.settled(odd);
    expect(store.packedRecords).toBe(0);
    expect(store.get('run-1')).toBe(odd);
  });
});

describe('Retention', () => {
  /** A Retention that records what it evicts. */
  function retention(maxAgeMs: number, maxCount: number): { kept: Retention; evicted: string[] } {
    const evicted: string[] = [];
    return { kept: new Retention(maxAgeMs, maxCount, (runId) => evicted.push(runId)), evicted };
  }

  it('evicts by age, oldest first, touching only what expired', () => {
    const { kept, evicted } = retention(1_000, 100);
    kept.add('a', 0);
    kept.add('b', 500);
    kept.add('c', 900);
    expect(kept.expire(999)).toBe(0);
    expect(kept.expire(1_500)).toBe(2);
    expect(evicted).toEqual(['a', 'b']);
    expect(kept.size).toBe(1);
  });

  it('evicts the oldest beyond the count bound, and forgets deleted runs without evicting them', () => {
    const { kept, evicted } = retention(60_000, 2);
    kept.add('a', 0);
    kept.add('b', 1);
    expect(evicted).toEqual([]);
    kept.add('c', 2);
    expect(evicted).toEqual(['a']);
    kept.deleteAll(new Set(['b', 'unknown']));
    expect(kept.size).toBe(1);
    kept.add('d', 3);
    expect(evicted).toEqual(['a']);
    expect(kept.expire(60_003)).toBe(2);
    expect(evicted).toEqual(['a', 'c', 'd']);
    expect(kept.size).toBe(0);
  });

  it('keeps order and count through growth, wrap-around and deletions anywhere in the ring', () => {
    // against a plain list of what should be kept, over enough runs to grow the ring several times
    const { kept, evicted } = retention(1_000, 300);
    let expected: string[] = [];
    let expectedEvicted: string[] = [];
    for (let run = 0; run < 5_000; run += 1) {
      const id = `run-${run}`;
      kept.add(id, run);
      expected.push(id);
      while (expected.length > 300) expectedEvicted.push(expected.shift() as string);
      if (run % 97 === 0) {
        // delete every third run kept, the oldest among them
        const gone = new Set(expected.filter((_, index) => index % 3 === 0));
        kept.deleteAll(gone);
        expected = expected.filter((id) => !gone.has(id));
      }
      if (run % 250 === 0) {
        const expiredBefore = run - 1_000;
        const expiring = expected.filter((id) => Number(id.slice(4)) <= expiredBefore);
        expect(kept.expire(run)).toBe(expiring.length);
        expected = expected.slice(expiring.length);
        expectedEvicted = [...expectedEvicted, ...expiring];
      }
      expect(kept.size).toBe(expected.length);
    }
    expect(evicted).toEqual(expectedEvicted);
    expect(kept.expire(Number.MAX_SAFE_INTEGER)).toBe(expected.length);
    expect(evicted).toEqual([...expectedEvicted, ...expected]);
  });
});
