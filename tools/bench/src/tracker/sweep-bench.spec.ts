import { runSweepBench } from './sweep-bench';

describe('runSweepBench', () => {
  it('expires exactly `expire` silent runs per timed sweep while the others keep heartbeating', async () => {
    const report = await runSweepBench({ runs: 400, users: 80, expire: 10, rounds: 4 });
    expect(report.sweeps.map((sweep) => [sweep.popped, sweep.dead, sweep.timedOut, sweep.live])).toEqual([
      [10, 10, 0, 400],
      [10, 10, 0, 390],
      [10, 10, 0, 380],
      [10, 10, 0, 370],
    ]);
  });

  it('refuses more expiries than runs', async () => {
    await expect(runSweepBench({ runs: 10, users: 2, expire: 5, rounds: 3 })).rejects.toThrow(RangeError);
  });
});
