import { type ThreadId, generateThreadId } from '@agentwirejs/types';
import { finishedRecord } from './harness.test-helpers';
import { PackedRuns } from './packed-runs';
import type { RunRecord } from './run-record';
import type { RunState } from './run-state';

describe('PackedRuns', () => {
  const shapes: Record<string, RunRecord> = {
    'completed, one phase, an answer': finishedRecord(1),
    'failed with an error, no phase, a hang rule': finishedRecord(2, {
      state: 'failed',
      states: [
        { state: 'pending', at: 10 },
        { state: 'starting', at: 11 },
        { state: 'failed', at: 12.75 },
      ],
      phase: null,
      phases: [],
      hangAfterMs: 30_000,
      finalResponse: null,
      error: { code: 'agent_failed', message: 'the model said no' },
    }),
    'cancelled with a reason, a long phase history with some dropped': finishedRecord(3, {
      state: 'cancelled',
      states: [
        { state: 'pending', at: 1 },
        { state: 'starting', at: 2 },
        { state: 'running', at: 3 },
        { state: 'cancelled', at: 4 },
      ],
      phase: 'result_processing',
      phases: [
        { phase: 'tool_execution', at: 3.1 },
        { phase: 'thinking', at: 3.2 },
        { phase: 'result_processing', at: 3.3 },
      ],
      phasesDropped: 2,
      finalResponse: null,
      cancelReason: 'user pressed stop',
    }),
    "one phase change that is not the run's phase (kept as its list)": finishedRecord(4, { phase: 'tool_execution', phases: [{ phase: 'thinking', at: 5 }] }),
    'never ended (endedAt null), no states beyond the first': finishedRecord(5, { state: 'dead', states: [{ state: 'pending', at: 0 }], endedAt: null, phase: null, phases: [] }),
  };

  it.each(Object.entries(shapes))('gives back a record equal to what it packed: %s', (_name, record) => {
    const packed = new PackedRuns();
    const slot = packed.pack(record);
    expect(slot).toBeGreaterThanOrEqual(0);
    const read = packed.unpack(slot);
    expect(read).toEqual(record);
    expect(Object.keys(read)).toEqual(Object.keys(record)); // the same fields in the same order: a snapshot lists like one of a live run
    expect(read).not.toBe(record);
    expect(packed.userIdOf(slot)).toBe(record.userId);
  });

  it('hands out copies: changing one read changes neither the slot nor the next read', () => {
    const packed = new PackedRuns();
    const slot = packed.pack(shapes['cancelled with a reason, a long phase history with some dropped'] as RunRecord);
    const first = packed.unpack(slot);
    first.states.push({ state: 'completed', at: 99 });
    first.phases.length = 0;
    first.eventCount = -1;
    expect(packed.unpack(slot)).toEqual(shapes['cancelled with a reason, a long phase history with some dropped']);
  });

  it('refuses what its columns cannot hold, so the caller keeps the object: more than five states, a state or phase it does not know', () => {
    const packed = new PackedRuns();
    const six = finishedRecord(6, { states: [...finishedRecord(6).states, { state: 'completed', at: 1 }] });
    expect(packed.pack(six)).toBe(-1);
    expect(packed.pack(finishedRecord(7, { state: 'exploded' as RunState }))).toBe(-1);
    expect(packed.pack(finishedRecord(8, { states: [{ state: 'paused' as RunState, at: 1 }] }))).toBe(-1);
    expect(packed.pack(finishedRecord(9, { phase: 'dreaming' as RunRecord['phase'] }))).toBe(-1);
    expect(packed.size).toBe(0);
  });

  it.each([
    ['a generated one (thread_ and a ULID)', generateThreadId(), true],
    ['47 characters', 't'.repeat(47), true],
    ['Latin-1 characters', 'fil-ç-ñ', true],
    ['48 characters', 't'.repeat(48), false],
    ['characters beyond Latin-1', 'поток-1', false],
    ['empty', '', false],
  ])('keeps a thread id as bytes when it fits them and as its string otherwise, and reads it back the same: %s', (_name, threadId, asBytes) => {
    const packed = new PackedRuns();
    const slot = packed.pack(finishedRecord(1, { threadId: threadId as ThreadId }));
    expect(packed.unpack(slot).threadId).toBe(threadId);
    expect(packed.threadIdStrings).toBe(asBytes ? 0 : 1);
  });

  it('reads the thread id a reused slot was given last, whether bytes or a string', () => {
    const packed = new PackedRuns();
    const first = packed.pack(finishedRecord(1, { threadId: 'thread_short' as ThreadId }));
    packed.release(first);
    const long = 'x'.repeat(60) as ThreadId;
    const second = packed.pack(finishedRecord(2, { threadId: long }));
    expect(second).toBe(first);
    expect(packed.unpack(second).threadId).toBe(long);
    packed.release(second);
    const third = packed.pack(finishedRecord(3, { threadId: 'thread_other' as ThreadId }));
    expect(third).toBe(first);
    expect(packed.unpack(third).threadId).toBe('thread_other');
    expect(packed.threadIdStrings).toBe(0);
  });

  it('reuses released slots and keeps every record through growth, against a plain list of what it should hold', () => {
    const packed = new PackedRuns();
    const expected = new Map<number, RunRecord>();
    for (let n = 0; n < 3_000; n += 1) {
      const record = finishedRecord(n, n % 4 === 0 ? { phase: null, phases: [] } : {});
      expected.set(packed.pack(record), record);
      // release about a third, oldest and newest alike
      if (n % 3 === 2) {
        const slot = [...expected.keys()][(n * 7919) % expected.size] as number;
        packed.release(slot);
        expected.delete(slot);
      }
    }
    expect(packed.size).toBe(expected.size);
    expect(packed.capacity).toBeLessThan(4_096); // 2,000 held: released slots were taken again before new ones
    for (const [slot, record] of expected) expect(packed.unpack(slot)).toEqual(record);
  });
});
