import { AgentwireError } from './errors';
import { AllocationSampler, allocatedBytesEach, errorCodeTableProblems } from './testing';

class FirstError extends AgentwireError {
  constructor() {
    super('FIRST', 'first');
  }
}
class SecondError extends AgentwireError {
  constructor() {
    super('SECOND', 'second');
  }
}

describe('errorCodeTableProblems', () => {
  it('finds nothing wrong with a table whose codes each belong to one exported, sampled class', () => {
    expect(errorCodeTableProblems({ FirstError, SecondError }, { First: 'FIRST', Second: 'SECOND' }, [new FirstError(), new SecondError()])).toEqual([]);
  });

  it('names a code listed twice, a class without a sample, a code outside the table and a code no class uses', () => {
    expect(errorCodeTableProblems({ FirstError, SecondError }, { First: 'FIRST', Again: 'FIRST', Unused: 'UNUSED' }, [new SecondError()])).toEqual([
      'code FIRST is listed twice',
      'exported class FirstError has no sample',
      'SecondError: code SECOND is not in the table',
      'code FIRST belongs to no class',
      'code UNUSED belongs to no class',
    ]);
    expect(errorCodeTableProblems({}, { First: 'FIRST' }, [new FirstError()])).toEqual(['sampled class FirstError is not exported']);
  });
});

describe('AllocationSampler', () => {
  // keeps nothing: every array is garbage by the next one, so only counting collected objects sees them
  function allocateArrays(count: number, length: number): number {
    let sum = 0;
    for (let i = 0; i < count; i += 1) sum += new Array<number>(length).fill(i).length;
    return sum;
  }

  it('counts what was allocated and collected since, and names the frame that allocated it', async () => {
    const sampler = new AllocationSampler();
    await sampler.start();
    allocateArrays(2000, 1000); // about 8 bytes × 1000 × 2000 = 16 MB, none of it kept
    const report = await sampler.stop();
    sampler.close();
    expect(report.bytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(report.bytes).toBeLessThan(64 * 1024 * 1024);
    expect(report.top[0]?.frame).toMatch(/^allocateArrays /);
    expect(report.top[0]?.share).toBeGreaterThan(0.5);
  });

  it('counts a window only: a second window after no work reports little', async () => {
    const sampler = new AllocationSampler();
    await sampler.start();
    allocateArrays(2000, 1000);
    await sampler.stop();
    await sampler.start();
    const quiet = await sampler.stop();
    sampler.close();
    expect(quiet.bytes).toBeLessThan(1024 * 1024);
  });

  it('names frames the caller\'s way when given a namer', async () => {
    const sampler = new AllocationSampler((frame) => `fn:${frame.functionName}`);
    await sampler.start();
    allocateArrays(500, 1000);
    const report = await sampler.stop(3);
    sampler.close();
    expect(report.top[0]?.frame).toBe('fn:allocateArrays');
    expect(report.top.length).toBeLessThanOrEqual(3);
  });
});

describe('allocatedBytesEach', () => {
  it('measures per call what a call allocates, a synchronous one and one that returns a promise', async () => {
    const perCall = await allocatedBytesEach(5_000, () => new Array<number>(1000).fill(1).length);
    expect(perCall).toBeGreaterThan(7_000); // a 1,000-slot array of small integers: about 8 KB
    expect(perCall).toBeLessThan(12_000);
    expect(await allocatedBytesEach(20_000, () => 1)).toBeLessThan(64);
    const awaited = await allocatedBytesEach(2_000, async () => new Array<number>(1000).fill(1).length);
    expect(awaited).toBeGreaterThan(7_000);
  });
});

