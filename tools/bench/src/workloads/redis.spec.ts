import { backplaneChanges, backplaneCountersOf } from './redis';

const metrics = (reconnects: number, recoveries: number, gaps: number): string =>
  [
    '# HELP agentwire_backplane_reconnects_total Times a Redis connection of the backplane started reconnecting',
    '# TYPE agentwire_backplane_reconnects_total counter',
    `agentwire_backplane_reconnects_total ${reconnects}`,
    `agentwire_backplane_recoveries_total ${recoveries}`,
    `agentwire_backplane_gap_notices_total ${gaps}`,
    'agentwire_backplane_buffered_appends 12',
  ].join('\n');

describe("workload 7's reading of the gateways' backplane counters", () => {
  it('reads reconnects, recoveries and gap notices from /metrics, and nothing from a gateway without them', () => {
    expect(backplaneCountersOf(metrics(1, 200, 3))).toEqual({ reconnects: 1, recoveries: 200, gapNotices: 3 });
    expect(backplaneCountersOf('agentwire_connections 4\n')).toBeNull();
  });

  it('says what changed between two reads, per gateway, and nothing when nothing did', () => {
    const before = [backplaneCountersOf(metrics(0, 0, 0)), backplaneCountersOf(metrics(0, 2, 0))];
    expect(backplaneChanges(['gateway A', 'gateway B'], before, before)).toBe('');
    const after = [backplaneCountersOf(metrics(1, 200, 0)), backplaneCountersOf(metrics(0, 3, 64))];
    expect(backplaneChanges(['gateway A', 'gateway B'], before, after)).toBe(
      'gateway A: 1 reconnect, 200 recoveries from history, 0 gap notices; gateway B: 0 reconnects, 1 recovery from history, 64 gap notices',
    );
    expect(backplaneChanges(['gateway A', 'gateway B'], [null, before[1] ?? null], after)).toBe('gateway B: 0 reconnects, 1 recovery from history, 64 gap notices');
  });
});
