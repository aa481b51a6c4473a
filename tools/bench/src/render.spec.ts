import type { LoadAverage, MachineInfo } from './machine';
import { formatNumber, formatSummary, renderHeadline, renderResults } from './render';
import { type BenchResults, type WorkloadResult, check, figure } from './results';

const load: LoadAverage = [1, 1, 1];
const machine: MachineInfo = { cpuModel: 'CPU', cpus: 2, memoryGiB: 24, os: 'linux', node: 'v20', openFilesLimit: { soft: 20000, hard: 20000 } };

function workload(overrides: Partial<WorkloadResult>): WorkloadResult {
  return {
    id: 'unicast',
    title: 'unicast: 2 users × 3 events',
    status: 'measured',
    reason: null,
    parameters: {},
    loadAverage: { start: load, end: load },
    durationMs: 1500,
    figures: [figure('raw ws', 'events/s at the clients', 'events/s', [150_000, 140_000, 160_000], { 'server CPU per event': { unit: 'µs', values: [6, 6.5, 5.5] } })],
    checks: [check('manager / raw ws', '×', [0.93, 0.91, 0.95], { op: '>=', bound: 0.9 }), check('socket.io / raw ws', '×', [0.7, 0.7, 0.7], null)],
    verification: { ok: true, problems: [], claim: 'every client got exactly its own messages, in order' },
    method: 'how it was measured',
    notes: ['a note'],
    ...overrides,
  };
}

function results(workloads: WorkloadResult[]): BenchResults {
  return { schemaVersion: 1, mode: 'full', command: 'npm run bench', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:10:00.000Z', durationMs: 600_000, machine, passed: true, workloads };
}

describe('formatting', () => {
  it('writes thousands with separators and small numbers with few decimals', () => {
    expect(formatNumber(150_123.4)).toBe('150,123');
    expect(formatNumber(0.925)).toBe('0.93');
    expect(formatNumber(2)).toBe('2');
    expect(formatSummary({ median: 0.93, min: 0.91, max: 0.95, runs: 3 }, '×')).toBe('0.93× (0.91–0.95)');
    expect(formatSummary({ median: 1, min: 1, max: 1, runs: 3 }, 'ms')).toBe('1 ms');
  });
});

describe('renderHeadline', () => {
  it('lists every check with its target and verdict, and pending or failed workloads with their reason', () => {
    const table = renderHeadline(
      results([
        workload({}),
        workload({ id: 'redis', title: 'Redis', status: 'pending', reason: 'Redis backplane not wired into the gateway yet', figures: [], checks: [] }),
        workload({ id: 'memory', title: 'memory', status: 'failed', reason: 'server exited', figures: [], checks: [] }),
      ]),
    );
    expect(table).toContain('| 1 | unicast: 2 users × 3 events | manager / raw ws | 0.93× (0.91–0.95) | ≥ 0.9× | **yes** |');
    expect(table).toContain('| socket.io / raw ws | 0.7× |  | reference |');
    expect(table).toContain('| 2 | Redis | pending: Redis backplane not wired into the gateway yet |');
    expect(table).toContain('| 3 | memory | **failed**: server exited |');
  });

  it('says inconclusive when the repetitions straddle the target', () => {
    const table = renderHeadline(results([workload({ checks: [check('gateway p99', 'ms', [48, 52, 49], { op: '<=', bound: 50 })] })]));
    expect(table).toContain('| gateway p99 | 49 ms (48–52) | ≤ 50 ms | inconclusive |');
  });
});

describe('renderResults', () => {
  it('states the machine, the run and each workload with its figures, load and method', () => {
    const text = renderResults(results([workload({})]));
    expect(text).toContain('Machine: CPU, 2 cores, 24 GiB, linux, Node v20, open files limit 20000');
    expect(text).toContain('`npm run bench` (full), 10 min 0 s, passed');
    expect(text).toContain('| raw ws | 150,000 events/s (140,000–160,000) | 6 µs (5.5–6.5) |');
    expect(text).toContain('load average 1 → 1 · 2 s · every client got exactly its own messages, in order');
    expect(text).toContain('Method: how it was measured');
  });

  it('shows a failed verification', () => {
    const text = renderResults(results([workload({ verification: { ok: false, problems: ['raw ws rep 1: bob: seq 3, expected 2'], claim: 'x' } })]));
    expect(text).toContain('**verification failed**: raw ws rep 1: bob: seq 3, expected 2');
  });
});
