import { type CpuProfile, selfTimes } from './profile';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

describe('selfTimes', () => {
  // root → work → helper, root → post (the profiler), root → (garbage collector)
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
      { id: 2, callFrame: frame('work', 'file:///repo/packages/x/dist/a.js'), children: [3] },
      { id: 3, callFrame: frame('helper', 'file:///repo/packages/x/dist/a.js') },
      { id: 4, callFrame: frame('post', 'node:inspector') },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    // each sample lasts until the next one
    samples: [2, 3, 3, 4, 5, 2],
    timeDeltas: [0, 100, 200, 300, 400, 500],
  };

  it('attributes each sample the time until the next and ranks frames by it', () => {
    expect(selfTimes([profile]).map((entry) => [entry.frame, entry.ms])).toEqual([
      ['helper packages/x/dist/a.js:1', 0.5],
      ['(garbage collector)', 0.5],
      ['post node:inspector:1', 0.4],
      ['work packages/x/dist/a.js:1', 0.1],
    ]);
  });

  it('leaves out samples inside excluded frames and shares the rest', () => {
    const times = selfTimes([profile], 10, (callFrame) => callFrame.url === 'node:inspector');
    expect(times.map((entry) => entry.frame)).not.toContain('post node:inspector:1');
    expect(times.reduce((sum, entry) => sum + entry.share, 0)).toBeCloseTo(1, 2);
  });
});
