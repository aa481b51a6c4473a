import type { AppConfig } from '@agentwirejs/config';
import { type Backplane, REPLAY_WINDOW_DEFAULTS } from '@agentwirejs/protocols';
import { InvalidManagerOptionsError } from './errors';

/** A source of epoch milliseconds; inject a fake one in tests. */
export interface ManagerClock {
  now(): number;
}

/** Called for failures that happen in the background (unsubscribe, room leave, a send that threw). */
export type ManagerErrorHandler = (error: unknown, context: string) => void;

/** Options of WebSocketManagerFactory. Every one is optional; MANAGER_DEFAULTS holds the defaults. */
export interface WebSocketManagerOptions {
  /** User-bound managers one user may hold at once (default 20). */
  readonly maxManagersPerUser?: number;
  /** Open connections one user may hold in this process (default 10). */
  readonly maxConnectionsPerUser?: number;
  /** Open connections this process may hold (default 100,000). */
  readonly maxConnections?: number;
  /** A user-bound manager without traffic or calls for this long is disposed (default 30 minutes). */
  readonly idleMs?: number;
  /** How often idle managers are looked for (default 60 s, at most idleMs; 0 = only when sweepIdle() is called). */
  readonly idleSweepIntervalMs?: number;
  /** Dispose a user-bound manager when its last connection closes (default true), so reconnects do not pile managers up. */
  readonly disposeWhenEmpty?: boolean;
  /** Ping interval; a connection that has not answered the previous ping is terminated (default 30 s; 0 = off). */
  readonly heartbeatIntervalMs?: number;
  /** Socket bufferedAmount above which frames are queued instead of written (default 1 MiB). */
  readonly sendHighWaterBytes?: number;
  /** Frames queued per connection before the slow-consumer policy applies (default 1,000). */
  readonly sendQueueMax?: number;
  /** Bytes queued per connection before the slow-consumer policy applies (default 8 MiB). */
  readonly sendQueueMaxBytes?: number;
  /** How often queued frames of slow connections are retried while any exist (default 10 ms). */
  readonly drainIntervalMs?: number;
  /**
   * How long a connection the manager closes (slow consumer, send failure, removal, dispose,
   * shutdown) gets to finish the closing handshake before its transport is terminated
   * (default 2 s); without it a peer that never reads keeps its socket for ws's 30 s.
   */
  readonly closeTimeoutMs?: number;
  /**
   * Frames written to one connection during one turn of the event loop leave in one socket
   * write (default true): its `ws` socket is corked at the first frame and uncorked in the
   * turn's check phase (setImmediate), or earlier when another connection joins a batch open
   * for more than 0.25 ms with its first frame of the turn. About one system call per
   * connection and turn instead of one per frame; a frame waits at most until the next check
   * phase. False writes every frame at once.
   */
  readonly coalesceWrites?: boolean;
  /** Envelopes kept per user for replay, when the factory creates its own in-memory backplane (default 1,000). */
  readonly replayMaxEvents?: number;
  /** How long envelopes are kept for replay, when the factory creates its own in-memory backplane (default 5 minutes). */
  readonly replayMaxAgeMs?: number;
  /**
   * Replay bytes one connection may receive before its next `resume` waits (default 1 MiB). A
   * replay starts only while the connection owes less than this; see replay-budget.ts.
   */
  readonly replayBurstBytes?: number;
  /** How fast a connection's replay debt drains, in bytes a second (default 256 KiB). */
  readonly replayBytesPerSecond?: number;
  /**
   * Replay bytes all connections of one user on this process may receive, reconnections
   * included, before the next replay waits (default 8 MiB: twice the largest default history).
   * The gateway refuses an upgrade with `?after_seq` while the user is over it (429).
   */
  readonly userReplayBurstBytes?: number;
  /** How fast a user's replay debt drains, in bytes a second (default 1 MiB). */
  readonly userReplayBytesPerSecond?: number;
  /** The backplane that sequences, keeps and fans out user streams (default: a new InMemoryBackplane, closed at shutdown). */
  readonly backplane?: Backplane;
  /** Clock for activity and idle times (default Date.now). */
  readonly clock?: ManagerClock;
  /** Receives background failures (default: they are only counted in stats.backgroundErrors). */
  readonly onError?: ManagerErrorHandler;
}

/** The defaults of WebSocketManagerOptions, in one place. */
export const MANAGER_DEFAULTS = Object.freeze({
  maxManagersPerUser: 20,
  maxConnectionsPerUser: 10,
  maxConnections: 100_000,
  idleMs: 30 * 60_000,
  idleSweepIntervalMs: 60_000,
  disposeWhenEmpty: true,
  heartbeatIntervalMs: 30_000,
  sendHighWaterBytes: 1024 * 1024,
  sendQueueMax: 1000,
  sendQueueMaxBytes: 8 * 1024 * 1024,
  drainIntervalMs: 10,
  closeTimeoutMs: 2000,
  coalesceWrites: true,
  replayMaxEvents: REPLAY_WINDOW_DEFAULTS.maxEvents,
  replayMaxAgeMs: REPLAY_WINDOW_DEFAULTS.maxAgeMs,
  replayBurstBytes: 1024 * 1024,
  replayBytesPerSecond: 256 * 1024,
  userReplayBurstBytes: 8 * 1024 * 1024,
  userReplayBytesPerSecond: 1024 * 1024,
});

/** Options with every default applied and every value checked. */
export interface ResolvedManagerOptions {
  readonly maxManagersPerUser: number;
  readonly maxConnectionsPerUser: number;
  readonly maxConnections: number;
  readonly idleMs: number;
  readonly idleSweepIntervalMs: number;
  readonly disposeWhenEmpty: boolean;
  readonly heartbeatIntervalMs: number;
  readonly sendHighWaterBytes: number;
  readonly sendQueueMax: number;
  readonly sendQueueMaxBytes: number;
  readonly drainIntervalMs: number;
  readonly closeTimeoutMs: number;
  readonly coalesceWrites: boolean;
  readonly replayMaxEvents: number;
  readonly replayMaxAgeMs: number;
  readonly replayBurstBytes: number;
  readonly replayBytesPerSecond: number;
  readonly userReplayBurstBytes: number;
  readonly userReplayBytesPerSecond: number;
  readonly backplane: Backplane | null;
  readonly clock: ManagerClock;
  readonly onError: ManagerErrorHandler | null;
}

const SYSTEM_CLOCK: ManagerClock = Object.freeze({ now: Date.now });

type NumericOption = { [K in keyof typeof MANAGER_DEFAULTS]: (typeof MANAGER_DEFAULTS)[K] extends number ? K : never }[keyof typeof MANAGER_DEFAULTS];

/** Smallest accepted value of each numeric option. */
const MINIMUM: Record<NumericOption, number> = {
  maxManagersPerUser: 1,
  maxConnectionsPerUser: 1,
  maxConnections: 1,
  idleMs: 1,
  idleSweepIntervalMs: 0,
  heartbeatIntervalMs: 0,
  sendHighWaterBytes: 0,
  sendQueueMax: 1,
  sendQueueMaxBytes: 1,
  drainIntervalMs: 1,
  closeTimeoutMs: 1,
  replayMaxEvents: 0,
  replayMaxAgeMs: 0,
  replayBurstBytes: 1,
  replayBytesPerSecond: 1,
  userReplayBurstBytes: 1,
  userReplayBytesPerSecond: 1,
};

/** Applies the defaults and checks every value; throws InvalidManagerOptionsError naming the first bad option. */
export function resolveManagerOptions(options: WebSocketManagerOptions = {}): ResolvedManagerOptions {
  const number = (name: NumericOption): number => {
    const value = options[name] ?? MANAGER_DEFAULTS[name];
    if (!Number.isSafeInteger(value) || value < MINIMUM[name]) {
      throw new InvalidManagerOptionsError(name, `expected a whole number ≥ ${MINIMUM[name]}, got ${String(value)}`);
    }
    return value;
  };
  const idleMs = number('idleMs');
  const disposeWhenEmpty = options.disposeWhenEmpty ?? MANAGER_DEFAULTS.disposeWhenEmpty;
  if (typeof disposeWhenEmpty !== 'boolean') throw new InvalidManagerOptionsError('disposeWhenEmpty', 'expected a boolean');
  const coalesceWrites = options.coalesceWrites ?? MANAGER_DEFAULTS.coalesceWrites;
  if (typeof coalesceWrites !== 'boolean') throw new InvalidManagerOptionsError('coalesceWrites', 'expected a boolean');
  return Object.freeze({
    maxManagersPerUser: number('maxManagersPerUser'),
    maxConnectionsPerUser: number('maxConnectionsPerUser'),
    maxConnections: number('maxConnections'),
    idleMs,
    idleSweepIntervalMs: Math.min(number('idleSweepIntervalMs'), idleMs),
    disposeWhenEmpty,
    heartbeatIntervalMs: number('heartbeatIntervalMs'),
    sendHighWaterBytes: number('sendHighWaterBytes'),
    sendQueueMax: number('sendQueueMax'),
    sendQueueMaxBytes: number('sendQueueMaxBytes'),
    drainIntervalMs: number('drainIntervalMs'),
    closeTimeoutMs: number('closeTimeoutMs'),
    coalesceWrites,
    replayMaxEvents: number('replayMaxEvents'),
    replayMaxAgeMs: number('replayMaxAgeMs'),
    replayBurstBytes: number('replayBurstBytes'),
    replayBytesPerSecond: number('replayBytesPerSecond'),
    userReplayBurstBytes: number('userReplayBurstBytes'),
    userReplayBytesPerSecond: number('userReplayBytesPerSecond'),
    backplane: options.backplane ?? null,
    clock: options.clock ?? SYSTEM_CLOCK,
    onError: options.onError ?? null,
  });
}

/** The settings of AppConfig the manager uses. */
export type ManagerConfig = Pick<AppConfig, 'limits' | 'manager' | 'replay'>;

/** Builds factory options from the application config, so the gateway passes its config once. */
export function managerOptionsFromConfig(config: ManagerConfig): WebSocketManagerOptions {
  return {
    maxManagersPerUser: config.limits.maxManagersPerUser,
    maxConnectionsPerUser: config.limits.maxConnectionsPerUser,
    maxConnections: config.limits.maxConnections,
    idleMs: config.manager.idleMs,
    heartbeatIntervalMs: config.manager.heartbeatIntervalMs,
    sendHighWaterBytes: config.manager.sendHighWaterBytes,
    sendQueueMax: config.manager.sendQueueMax,
    replayMaxEvents: config.replay.maxEvents,
    replayMaxAgeMs: config.replay.maxAgeMs,
  };
}
