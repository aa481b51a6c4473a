import { REPLAY_WINDOW_DEFAULTS } from '@agentwirejs/protocols';
/** Sizes of every workload; BENCH_PROFILES holds the full and the quick set. */
export interface BenchSizes {
  readonly unicast: { readonly users: number; readonly events: number; readonly payloadBytes: number; readonly warmupEvents: number; readonly reps: number };
  readonly broadcast: { readonly clients: number; readonly messages: number; readonly payloadBytes: number; readonly warmupMessages: number; readonly reps: number };
  readonly latency: {
    readonly rate: number;
    readonly users: number;
    readonly durationMs: number;
    readonly warmupMs: number;
    /**
     * An uncounted run of the same variant right before each timed one: a server that sat idle
     * while the other variants ran has had its young generation shrunk by V8 (about twice the
     * collections in the next 8 s), which would be charged to whichever variant comes first.
     */
    readonly leadInMs: number;
    readonly payloadBytes: number;
    readonly reps: number;
    /**
     * Whether each variant whose server keeps a replay history (the manager, the gateway) is
     * warmed up until every user's history is full, as workloads 1 and 7 do, so the repetitions
     * measure a running server; the p99 of that warm-up is reported apart.
     */
    readonly fillHistories: boolean;
    /**
     * How long each busy loop of the scheduling probe spins (one loop alone, then one per core at
     * once, each repetition): what the machine's scheduler takes from a process that wants its core.
     */
    readonly schedulingProbeMs: number;
  };
  /** Idle connections measured, at each of these counts (issue 19 asks for 5,000 and 10,000). */
  readonly memory: { readonly connections: readonly number[]; readonly warmupConnections: number; readonly reps: number };
  readonly tracker: { readonly runs: number; readonly users: number; readonly expire: number; readonly rounds: number; readonly reps: number };
  readonly checker: { readonly files: number; readonly reps: number };
  readonly redis: { readonly users: number; readonly events: number; readonly payloadBytes: number; readonly warmupEvents: number; readonly reps: number };
  readonly tokens: {
    /** Concurrent streamed answers (one user and connection each). */
    readonly streams: number;
    /** Tokens of each answer. */
    readonly tokens: number;
    /** Tokens a second of each answer. */
    readonly tokensPerSecond: number;
    /** The answers' starts are spread evenly over this long, so their tokens are not all due at the same instant. */
    readonly startSpreadMs: number;
    /** The gateway's AGENTWIRE_STREAM_COALESCE_MS in this workload (its latency aim is this + 10 ms). */
    readonly coalesceMs: number;
    readonly warmupTokens: number;
    readonly reps: number;
  };
}

/** The workloads, in the order they run. */
export const WORKLOAD_IDS = ['unicast', 'broadcast', 'latency', 'memory', 'tracker', 'checker', 'redis', 'tokens'] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/**
 * `full` is the workloads (what the README reports); `quick` shrinks them to finish in
 * under two minutes for local use, still with three repetitions of every figure.
 */
export const BENCH_PROFILES: Readonly<Record<'full' | 'quick', BenchSizes>> = {
  full: {
    // The warm-up fills every user's replay window (REPLAY_WINDOW_DEFAULTS.maxEvents), then goes
    // on for one repetition's events, so the repetitions measure a running server's steady state:
    // the events right after the fill still take new memory (they push out a history's first, small
    // chunks, replaced by full-size ones: measured, 2 chunks of 64 KiB per user in the first 500
    // events after the fill, none after). What filling it costs is reported apart.
    unicast: { users: 200, events: 500, payloadBytes: 300, warmupEvents: REPLAY_WINDOW_DEFAULTS.maxEvents + 500, reps: 5 },
    broadcast: { clients: 1000, messages: 200, payloadBytes: 300, warmupMessages: 50, reps: 5 },
    latency: { rate: 5000, users: 100, durationMs: 8000, warmupMs: 1000, leadInMs: 3000, payloadBytes: 300, reps: 3, fillHistories: true, schedulingProbeMs: 3000 },
    memory: { connections: [5_000, 10_000], warmupConnections: 500, reps: 3 },
    tracker: { runs: 100_000, users: 20_000, expire: 1000, rounds: 11, reps: 3 },
    checker: { files: 5000, reps: 3 },
    // As unicast's: both sides' histories full (the in-memory gateway's replay rings, the Redis
    // streams trimmed at the same bound) before anything is timed.
    redis: { users: 200, events: 500, payloadBytes: 300, warmupEvents: REPLAY_WINDOW_DEFAULTS.maxEvents + 500, reps: 5 },
    tokens: { streams: 1000, tokens: 300, tokensPerSecond: 50, startSpreadMs: 1000, coalesceMs: 40, warmupTokens: 50, reps: 3 },
  },
  quick: {
    unicast: { users: 100, events: 300, payloadBytes: 300, warmupEvents: 100, reps: 3 },
    broadcast: { clients: 300, messages: 100, payloadBytes: 300, warmupMessages: 20, reps: 3 },
    latency: { rate: 5000, users: 50, durationMs: 1000, warmupMs: 300, leadInMs: 500, payloadBytes: 300, reps: 3, fillHistories: false, schedulingProbeMs: 500 },
    memory: { connections: [1500], warmupConnections: 200, reps: 3 },
    tracker: { runs: 20_000, users: 4000, expire: 200, rounds: 4, reps: 3 },
    checker: { files: 300, reps: 3 },
    redis: { users: 50, events: 200, payloadBytes: 300, warmupEvents: 100, reps: 3 },
    tokens: { streams: 100, tokens: 100, tokensPerSecond: 50, startSpreadMs: 500, coalesceMs: 40, warmupTokens: 20, reps: 3 },
  },
};

/** Where every server listens: loopback only. */
export const BENCH_HOST = '127.0.0.1';

/** The HS256 secret of every server in a run (test mode; never a real secret). */
export const BENCH_SECRET = 'agentwire-bench-secret-of-at-least-32-characters';

/**
 * Gateway settings the workloads need raised above the defaults, and why: latency runs start
 * about 17 runs a second per connection (rate limit 20/s) and several may overlap (5 per user);
 * shutdown without a grace period so a server stops at once between runs.
 */
export const GATEWAY_BENCH_SETTINGS: Readonly<Record<string, string>> = {
  AGENTWIRE_ENV: 'test',
  AGENTWIRE_LOG_LEVEL: 'warn',
  AGENTWIRE_RATE_LIMIT_PER_SECOND: '10000',
  AGENTWIRE_RATE_LIMIT_BURST: '10000',
  AGENTWIRE_MAX_RUNS_PER_USER: '100',
  AGENTWIRE_SHUTDOWN_GRACE_MS: '0',
};
