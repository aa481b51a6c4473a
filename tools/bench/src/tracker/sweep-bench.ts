import 'reflect-metadata';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { getExecutionTracker, registerExecutionTracker } from '@agentwirejs/execution-tracker';
import type { AgentEventSink, AgentRunReporter, AgentRunner } from '@agentwirejs/protocols';
import { UserExecutionContext, generateRunId, generateThreadId } from '@agentwirejs/types';
import { container as rootContainer } from 'tsyringe';
import { benchUserId } from '../tokens';

/** What one tracker measurement is asked to do. */
export interface SweepBenchParams {
  /** Live runs, spread evenly over `users`. */
  readonly runs: number;
  readonly users: number;
  /** Runs that stop heartbeating before each timed sweep. */
  readonly expire: number;
  /** Timed sweeps; the first one is reported apart (cold code). */
  readonly rounds: number;
  /**
   * Whether each agent takes its signal when it starts, as one that hands it to fetch or polls
   * it does: the tracker then aborts a live AbortController for every run it ends. Otherwise the
   * agent never reads it and the tracker makes none.
   */
  readonly agentsHoldSignal?: boolean;
}

/** One timed sweep. */
export interface SweepSample {
  /** The synchronous sweep() call, wall time. */
  readonly sweepMs: number;
  /** CPU time of the process during sweep() (user + system, every thread: parallel GC included). */
  readonly sweepCpuMs: number;
  /** From the sweep until every run it ended has emitted its terminal event and settled. */
  readonly settledMs: number;
  /** Garbage-collection pauses of the main thread within the sweep() call (PerformanceObserver 'gc' entries), ms. */
  readonly gcMs: number;
  readonly popped: number;
  readonly dead: number;
  readonly timedOut: number;
  /** Live runs when it started. */
  readonly live: number;
}

export interface SweepBenchReport {
  readonly setupMs: number;
  readonly heartbeatRoundMs: readonly number[];
  readonly sweeps: readonly SweepSample[];
}

/** Hooks around each timed sweep (a profiler, a garbage collection). */
export interface SweepHooks {
  before?(): Promise<void> | void;
  /** Right after sweep() returns, before its runs settle. */
  swept?(): Promise<void> | void;
}

const DEAD_AFTER_MS = 10_000;
/** Live runs heartbeat at the start of each round, 9 s apart (under DEAD_AFTER_MS). */
const ROUND_MS = 9_000;
/** The sweep comes this long after a round's heartbeats: a run silent for the whole round is then past its dead deadline, the others are not. */
const SWEEP_AFTER_MS = DEAD_AFTER_MS - ROUND_MS + 1;

const silentLogger = { warn: () => undefined, error: () => undefined };

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Starts `runs` runs of an agent that only waits (holding its signal or not), under a fake clock. Each round
 * (9 s): `expire` runs stop heartbeating, every other live run heartbeats, the clock moves 1,001 ms
 * on, just past the silent runs' dead deadline (10 s after their last heartbeat, a round earlier),
 * and sweep() is timed. Events go to a sink that only resolves (the
 * manager's cost is measured by the unicast workload).
 */
export async function runSweepBench(params: SweepBenchParams, hooks: SweepHooks = {}): Promise<SweepBenchReport> {
  if (params.expire * params.rounds > params.runs) throw new RangeError('expire × rounds must not exceed runs');
  let clock = 1_700_000_000_000;
  const sink: AgentEventSink = { emitAgentEvent: async () => ({ seq: 0, connections: 0 }) };
  const container = rootContainer.createChildContainer();
  const registry = registerExecutionTracker(container, {
    sink,
    now: () => clock,
    logger: silentLogger,
    sweepIntervalMs: 0,
    timeoutMs: 86_400_000,
    hangAfterMs: DEAD_AFTER_MS, // every run's hang rule: silent runs end as dead
    maxRunsPerUser: Math.ceil(params.runs / params.users),
    maxRetainedRuns: params.runs,
  });
  const reporters: AgentRunReporter[] = [];
  const signals: AbortSignal[] = [];
  // No abort listener (the gateway's agents poll signal.throwIfAborted()); its run never settles.
  const agent: AgentRunner = {
    name: 'idle',
    run: (request) => {
      reporters.push(request.reporter);
      if (params.agentsHoldSignal === true) signals.push(request.signal);
      return new Promise(() => undefined);
    },
  };
  const startedAt = clock;
  const setupStart = performance.now();
  const perUser = Math.ceil(params.runs / params.users);
  let started = 0;
  for (let user = 1; user <= params.users && started < params.runs; user += 1) {
    const tracker = getExecutionTracker(new UserExecutionContext({ userId: benchUserId(user), threadId: generateThreadId(), runId: generateRunId() }), container);
    for (let run = 0; run < perUser && started < params.runs; run += 1, started += 1) tracker.startRun({ agent, input: 'wait' });
  }
  while (reporters.length < params.runs) await flush();
  const setupMs = performance.now() - setupStart;

  const stride = Math.floor(params.runs / params.expire);
  const dead = new Uint8Array(params.runs);
  const heartbeatRoundMs: number[] = [];
  const sweeps: SweepSample[] = [];
  // GC pauses, attributed to the sweep windows they overlap once every entry has been delivered
  const pauses: { start: number; end: number }[] = [];
  const windows: { start: number; end: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  let endedSoFar = 0;
  for (let round = 0; round < params.rounds; round += 1) {
    const silent = new Uint8Array(params.runs);
    let chosen = 0;
    for (let i = round; i < params.runs && chosen < params.expire; i += stride) {
      silent[i] = 1;
      chosen += 1;
    }
    const roundStart = startedAt + ROUND_MS * (round + 1);
    clock = roundStart;
    const beatStart = performance.now();
    for (let i = 0; i < params.runs; i += 1) if (dead[i] === 0 && silent[i] === 0) (reporters[i] as AgentRunReporter).heartbeat();
    heartbeatRoundMs.push(performance.now() - beatStart);
    clock = roundStart + SWEEP_AFTER_MS;
    const live = registry.metrics().active;
    await hooks.before?.();
    const cpuStart = process.cpuUsage();
    const sweepStart = performance.now();
    const report = registry.sweep();
    const sweepEnd = performance.now();
    const sweepMs = sweepEnd - sweepStart;
    const cpu = process.cpuUsage(cpuStart);
    windows.push({ start: sweepStart, end: sweepEnd });
    endedSoFar += report.dead + report.timedOut;
    await hooks.swept?.();
    while (registry.metrics().retained < endedSoFar) await flush();
    const settledMs = performance.now() - sweepStart;
    for (let i = 0; i < params.runs; i += 1) if (silent[i] === 1) dead[i] = 1;
    sweeps.push({ sweepMs, sweepCpuMs: (cpu.user + cpu.system) / 1000, settledMs, gcMs: 0, popped: report.popped, dead: report.dead, timedOut: report.timedOut, live });
  }
  await flush(); // the observer's last entries
  gcObserver.disconnect();
  const withGc = sweeps.map((sweep, index) => {
    const window = windows[index] as { start: number; end: number };
    let gcMs = 0;
    for (const pause of pauses) gcMs += Math.max(0, Math.min(pause.end, window.end) - Math.max(pause.start, window.start));
    return { ...sweep, gcMs };
  });
  // No shutdown: ending the remaining runs would take longer than the measurement, and nothing
  // holds the event loop (no sweep timer), so the process can simply exit.
  return { setupMs, heartbeatRoundMs, sweeps: withGc };
}
