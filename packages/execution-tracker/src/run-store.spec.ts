import type { UserId } from '@agentwirejs/types';
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
});

describe('Retention', () => {
  it('evicts by age, oldest first, touching only what expired', () => {
    const retention = new Retention(1_000, 100);
    retention.add('a', 0);
    retention.add('b', 500);
    retention.add('c', 900);
    expect(retention.expire(999)).toEqual([]);
    expect(retention.expire(1_500)).toEqual(['a', 'b']);
    expect(retention.size).toBe(1);
  });

  it('evicts the oldest beyond the count bound, and forgets deleted runs', () => {
    const retention = new Retention(60_000, 2);
    expect(retention.add('a', 0)).toEqual([]);
    expect(retention.add('b', 1)).toEqual([]);
    expect(retention.add('c', 2)).toEqual(['a']);
    retention.delete('b');
    expect(retention.add('d', 3)).toEqual([]);
    expect(retention.expire(60_003)).toEqual(['c', 'd']);
  });
});
