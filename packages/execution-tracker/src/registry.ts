import 'reflect-metadata';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { DirectConstructionError, InvalidTrackerOptionError, TrackerAlreadyRegisteredError, TrackerNotRegisteredError } from './errors';
import type { TrackerMetrics } from './metrics';
import { type ExecutionTrackerOptions, type TrackerLimits, type TrackerLogger, resolveTrackerOptions } from './options';
import { RunEngine, type ShutdownReport, type SweepReport } from './run-engine';
import type { RunSnapshot } from './run-record';

/** Where the engine hangs off a registry: reachable by this package's views, not by callers. */
export const kEngine = Symbol('engine');
const kConstruct = Symbol('ExecutionTrackerRegistry.construct');

/** The container token of the registry (one per container). */
export const EXECUTION_TRACKER_REGISTRY: InjectionToken<ExecutionTrackerRegistry> = Symbol.for(
  '@agentwirejs/execution-tracker:registry',
);

/**
 * All runs of one container, for every user. The gateway uses it for sweeps, metrics and
 * shutdown; acting for a user goes through that user's view from getExecutionTracker().
 */
export class ExecutionTrackerRegistry {
  /** The limits in force, defaults filled in. */
  readonly limits: TrackerLimits;
  /** @internal */
  readonly [kEngine]: RunEngine;
  private readonly timer: NodeJS.Timeout | null;
  private stopping: Promise<ShutdownReport> | null = null;

  /** Not for direct use (its token is private to this package): use registerExecutionTracker(container, options). */
  constructor(token: typeof kConstruct, options: ExecutionTrackerOptions) {
    if (token !== kConstruct) throw new DirectConstructionError('ExecutionTrackerRegistry', 'registerExecutionTracker(container, options)');
    const resolved = resolveTrackerOptions(options);
    this.limits = resolved.limits;
    this[kEngine] = new RunEngine(resolved);
    const every = resolved.limits.sweepIntervalMs;
    this.timer = every > 0 ? setInterval(() => this.timedSweep(resolved.logger), every) : null;
    this.timer?.unref();
  }

  /** Ends runs whose deadlines passed and evicts expired finished runs (the timer calls it too). */
  sweep(): SweepReport {
    return this[kEngine].sweep();
  }

  private timedSweep(logger: TrackerLogger): void {
    try {
      this.sweep();
    } catch (error) {
      logger.error({ error: error instanceof Error ? error.message : String(error) }, 'The deadline sweep failed');
    }
  }

  /** Counts by state, active runs and more, for /metrics. */
  metrics(): TrackerMetrics {
    return this[kEngine].metrics();
  }

  /**
   * The runs of every user that have not ended, oldest first, at most `limit` (default 1000):
   * for an operator's view. `total` counts them all, so a caller knows when it saw only some.
   */
  liveRuns(limit = 1000): { readonly runs: RunSnapshot[]; readonly total: number } {
    if (!Number.isInteger(limit) || limit < 0) throw new InvalidTrackerOptionError('limit', 'must be an integer ≥ 0');
    return this[kEngine].liveRuns(limit);
  }

  /** True once shutdown() was called: startRun throws TrackerShutDownError. */
  get shuttingDown(): boolean {
    return this.stopping !== null;
  }

  /**
   * Starts no new runs, lets live runs finish for up to `graceMs` (default 0), then ends the
   * rest with agent_error code shutdown and stops the sweep timer. Resolves once every terminal
   * event is out. Calling it again returns the same promise.
   */
  shutdown(options: { readonly graceMs?: number } = {}): Promise<ShutdownReport> {
    const graceMs = options.graceMs ?? 0;
    if (!Number.isFinite(graceMs) || graceMs < 0) return Promise.reject(new InvalidTrackerOptionError('graceMs', 'must be a number ≥ 0'));
    this.stopping ??= this[kEngine].shutdown(graceMs).finally(() => {
      if (this.timer !== null) clearInterval(this.timer);
    });
    return this.stopping;
  }
}

/**
 * Creates the container's registry and registers it under EXECUTION_TRACKER_REGISTRY.
 * Throws TrackerAlreadyRegisteredError when this container already has one (use a child container).
 */
export function registerExecutionTracker(container: DependencyContainer, options: ExecutionTrackerOptions): ExecutionTrackerRegistry {
  if (container.isRegistered(EXECUTION_TRACKER_REGISTRY, false)) throw new TrackerAlreadyRegisteredError();
  const registry = new ExecutionTrackerRegistry(kConstruct, options);
  container.register(EXECUTION_TRACKER_REGISTRY, { useValue: registry });
  return registry;
}

/**
 * The registry of `container` (or of a parent). The container is required: a default of
 * tsyringe's root container would be the module-level singleton this project forbids.
 */
export function resolveExecutionTrackerRegistry(container: DependencyContainer): ExecutionTrackerRegistry {
  if (typeof (container as Partial<DependencyContainer> | undefined)?.isRegistered !== 'function') {
    throw new InvalidTrackerOptionError('container', 'must be the DependencyContainer the registry was registered in (there is no global default)');
  }
  if (!container.isRegistered(EXECUTION_TRACKER_REGISTRY, true)) throw new TrackerNotRegisteredError();
  return container.resolve(EXECUTION_TRACKER_REGISTRY);
}
