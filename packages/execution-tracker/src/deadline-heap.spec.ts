import fc from 'fast-check';
import { type Deadline, DeadlineHeap } from './deadline-heap';

function drain<T>(heap: DeadlineHeap<T>, now = Number.MAX_SAFE_INTEGER): T[] {
  const out: T[] = [];
  for (let entry = heap.popDue(now); entry !== undefined; entry = heap.popDue(now)) out.push(entry.value);
  return out;
}

describe('DeadlineHeap', () => {
  it('pops only what is due, earliest first, equal deadlines in insertion order', () => {
    const heap = new DeadlineHeap<string>();
    heap.push('c', 30);
    heap.push('a', 10);
    heap.push('b1', 20);
    heap.push('b2', 20);
    expect(heap.peek()).toMatchObject({ value: 'a', at: 10 });
    expect(drain(heap, 20)).toEqual(['a', 'b1', 'b2']);
    expect(heap.popDue(29)).toBeUndefined();
    expect(heap.size).toBe(1);
  });

  it('reschedules an entry in place, later or earlier, without adding entries', () => {
    const heap = new DeadlineHeap<string>();
    const a = heap.push('a', 10);
    heap.push('b', 20);
    expect(heap.reschedule(a, 30)).toBe(true);
    expect(heap.size).toBe(2);
    expect(drain(heap, 25)).toEqual(['b']);
    expect(heap.reschedule(a, 5)).toBe(true);
    expect(drain(heap, 5)).toEqual(['a']);
    expect(heap.reschedule(a, 1)).toBe(false);
  });

  it('removes entries once; a removed or popped entry is no longer in the heap', () => {
    const heap = new DeadlineHeap<number>();
    const entries = [5, 1, 4, 2, 3].map((at) => heap.push(at, at));
    expect(heap.remove(entries[2] as Deadline<number>)).toBe(true);
    expect(heap.remove(entries[2] as Deadline<number>)).toBe(false);
    expect(drain(heap)).toEqual([1, 2, 3, 5]);
    expect(heap.remove(entries[0] as Deadline<number>)).toBe(false);
  });

  it('grows past its initial capacity and never lets a popped entry act on the entry that reuses its slot', () => {
    const heap = new DeadlineHeap<number>();
    const entries = Array.from({ length: 1000 }, (_, id) => heap.push(id, (id * 7919) % 1000));
    for (let id = 0; id < 1000; id += 3) heap.reschedule(entries[id] as Deadline<number>, 2000 + id);
    const early = drain(heap, 999);
    expect(early).toHaveLength(1000 - Math.ceil(1000 / 3));
    expect(early.map((id) => (id * 7919) % 1000)).toEqual([...early.map((id) => (id * 7919) % 1000)].sort((a, b) => a - b));
    const popped = entries[early.at(-1) as number] as Deadline<number>;
    const reused = heap.push(-1, 0);
    expect(heap.reschedule(popped, 5000)).toBe(false);
    expect(heap.remove(popped)).toBe(false);
    expect(heap.peek()).toBe(reused);
    expect(drain(heap)).toEqual([-1, ...Array.from({ length: Math.ceil(1000 / 3) }, (_, i) => 3 * i)]);
    expect(heap.size).toBe(0);
  });

  it('behaves like a sorted list under any mix of pushes, reschedules, removals and pops', () => {
    type Op = { kind: 'push'; at: number } | { kind: 'reschedule' | 'remove'; pick: number; at: number } | { kind: 'pop'; now: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), at: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ kind: fc.constantFrom('reschedule' as const, 'remove' as const), pick: fc.nat(), at: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ kind: fc.constant('pop' as const), now: fc.integer({ min: 0, max: 100 }) }),
    );
    fc.assert(
      fc.property(fc.array(op as fc.Arbitrary<Op>, { maxLength: 200 }), (ops) => {
        const heap = new DeadlineHeap<number>();
        const model = new Map<number, { at: number; order: number }>();
        const entries = new Map<number, Deadline<number>>();
        let next = 0;
        for (const step of ops) {
          if (step.kind === 'push') {
            entries.set(next, heap.push(next, step.at));
            model.set(next, { at: step.at, order: next });
            next += 1;
          } else if (step.kind === 'pop') {
            const due = [...model].filter(([, e]) => e.at <= step.now).sort(([, x], [, y]) => x.at - y.at || x.order - y.order);
            expect(drain(heap, step.now)).toEqual(due.map(([id]) => id));
            for (const [id] of due) model.delete(id);
          } else if (next > 0) {
            const id = step.pick % next;
            const entry = entries.get(id) as Deadline<number>;
            const inModel = model.has(id);
            if (step.kind === 'remove') {
              expect(heap.remove(entry)).toBe(inModel);
              model.delete(id);
            } else {
              expect(heap.reschedule(entry, step.at)).toBe(inModel);
              if (inModel) model.set(id, { at: step.at, order: id });
            }
          }
          expect(heap.size).toBe(model.size);
        }
      }),
    );
  });
});
