import { type Backplane, CloseCode } from '@agentwirejs/protocols';
import { InMemoryBackplane } from './in-memory-backplane';
import { InvalidContextError, UserExecutionContext, type UserId } from '@agentwirejs/types';
import { ConnectionRegistry } from './connection-registry';
import { type DisposeReason, LimitExceededError, type ManagerLimit, ManagerShutdownError } from './errors';
import { Ticker } from './heartbeat';
import { type OneOrMany, countOf, listOf, withItem, withoutItem } from './one-or-many';
import { type ResolvedManagerOptions, type WebSocketManagerOptions, resolveManagerOptions } from './options';
import type { FactoryMetrics } from './stats';
import { FACTORY_ACCESS, type ManagerHost, UnifiedWebSocketManager, kCloseManager } from './unified-manager';

/**
 * Creates every WebSocket manager of a process and holds what they share: the connection
 * registry, the backplane, the heartbeat and idle timers, limits and metrics. Register one per
 * container (registerWebSocketManagerFactory); nothing lives at module level, so each test or
 * gateway gets its own.
 */
export class WebSocketManagerFactory {
  readonly options: ResolvedManagerOptions;
  /** The backplane every manager of this factory sends through. */
  readonly backplane: Backplane;
  private readonly ownsBackplane: boolean;
  private readonly registry: ConnectionRegistry;
  private readonly host: ManagerHost;
  private readonly managers = new Set<UnifiedWebSocketManager>();
  private readonly managersByUser = new Map<UserId, OneOrMany<UnifiedWebSocketManager>>();
  private readonly heartbeatTicker: Ticker;
  private readonly idleTicker: Ticker;
  private unified: UnifiedWebSocketManager | null = null;
  private nextManagerNumber = 1;
  private shuttingDown: Promise<void> | null = null;
  private readonly metrics = {
    created: 0,
    disposedBy: { disposed: 0, idle: 0, empty: 0, shutdown: 0 },
    limitHits: { maxManagersPerUser: 0, maxConnectionsPerUser: 0, maxConnections: 0 },
    isolationViolations: 0,
  };

  constructor(options: WebSocketManagerOptions = {}) {
    this.options = resolveManagerOptions(options);
    this.ownsBackplane = this.options.backplane === null;
    this.backplane =
      this.options.backplane ??
      new InMemoryBackplane({ maxEvents: this.options.replayMaxEvents, maxAgeMs: this.options.replayMaxAgeMs, now: () => this.options.clock.now() });
    this.registry = new ConnectionRegistry(this.options, this.backplane, (limit) => this.countLimitHit(limit));
    this.host = {
      registry: this.registry,
      options: this.options,
      violation: () => {
        this.metrics.isolationViolations += 1;
        this.registry.counters.isolationViolations += 1;
      },
      managerClosed: (manager, reason) => this.forget(manager, reason),
      shutdown: () => this.shutdown(),
    };
    this.heartbeatTicker = new Ticker(this.options.heartbeatIntervalMs, () => this.runHeartbeat());
    this.idleTicker = new Ticker(this.options.idleSweepIntervalMs, () => this.sweepIdle());
    this.heartbeatTicker.start();
    this.idleTicker.start();
  }

  /**
   * A manager bound to `userContext.userId` (isolated mode): it accepts only that user's
   * connections and sends only to that user. Throws InvalidContextError for anything but a
   * UserExecutionContext, LimitExceededError (maxManagersPerUser) at the limit, and
   * ManagerShutdownError after shutdown.
   */
  createManager(userContext: UserExecutionContext): UnifiedWebSocketManager {
    this.assertOpen();
    if (!UserExecutionContext.isContext(userContext)) {
      throw new InvalidContextError('(argument)', 'createManager needs a UserExecutionContext instance');
    }
    const userId = userContext.userId;
    const mine = this.managersByUser.get(userId) ?? null;
    if (countOf(mine) >= this.options.maxManagersPerUser) {
      this.countLimitHit('maxManagersPerUser');
      throw new LimitExceededError('maxManagersPerUser', this.options.maxManagersPerUser, userId);
    }
    const manager = new UnifiedWebSocketManager(FACTORY_ACCESS, this.host, this.nextManagerId(), userContext);
    this.managersByUser.set(userId, withItem(mine, manager));
    this.managers.add(manager);
    this.metrics.created += 1;
    return manager;
  }

  /** The process-wide manager (unified mode), for broadcast, shutdown, metrics and the execution tracker's events. One per factory. */
  getUnifiedManager(): UnifiedWebSocketManager {
    if (this.unified === null) {
      this.assertOpen();
      this.unified = new UnifiedWebSocketManager(FACTORY_ACCESS, this.host, this.nextManagerId(), null);
    }
    return this.unified;
  }

  /** The active user-bound managers of a user. */
  getManagers(userId: UserId): UnifiedWebSocketManager[] {
    return listOf(this.managersByUser.get(userId) ?? null);
  }

  /** Disposes a user-bound manager of this factory, closing its connections with `closeCode` (default 1000). */
  async disposeManager(manager: UnifiedWebSocketManager, closeCode: number = CloseCode.Normal): Promise<void> {
    if (this.managers.has(manager)) manager[kCloseManager]('disposed', closeCode);
  }

  /** Disposes every user-bound manager idle for options.idleMs or more (closing its connections with 1000); returns how many. */
  sweepIdle(): number {
    const cutoff = this.options.clock.now() - this.options.idleMs;
    let disposed = 0;
    for (const manager of [...this.managers]) {
      if (manager.lastActivity > cutoff) continue;
      manager[kCloseManager]('idle', CloseCode.Normal);
      disposed += 1;
    }
    return disposed;
  }

  /** One heartbeat round now: pings every connection, terminates those that missed the previous ping; returns how many. */
  runHeartbeat(): number {
    return this.registry.heartbeat();
  }

  /** Figures for /metrics. */
  getMetrics(): FactoryMetrics {
    const { created, disposedBy, limitHits, isolationViolations } = this.metrics;
    return {
      managersCreated: created,
      managersActive: this.managers.size,
      managersDisposed: disposedBy.disposed + disposedBy.idle + disposedBy.empty + disposedBy.shutdown,
      managersDisposedBy: { ...disposedBy },
      usersWithManagers: this.managersByUser.size,
      limitHits: { ...limitHits },
      limitHitsTotal: limitHits.maxManagersPerUser + limitHits.maxConnectionsPerUser + limitHits.maxConnections,
      isolationViolations,
      connections: this.registry.connections.size,
      connectedUsers: this.registry.users.size,
    };
  }

  /** True until shutdown() is called. */
  get isOpen(): boolean {
    return this.shuttingDown === null;
  }

  /**
   * Closes every socket with 1001, disposes every manager, stops the timers, drops every
   * subscription, and closes the backplane if the factory created it. Every manager then
   * refuses calls with ManagerShutdownError. Calling it again returns the same promise.
   */
  shutdown(): Promise<void> {
    this.shuttingDown ??= this.stop();
    return this.shuttingDown;
  }

  private async stop(): Promise<void> {
    this.heartbeatTicker.stop();
    this.idleTicker.stop();
    for (const manager of [...this.managers]) manager[kCloseManager]('shutdown', CloseCode.GoingAway);
    this.unified?.[kCloseManager]('shutdown', CloseCode.GoingAway);
    await this.registry.shutdown(CloseCode.GoingAway);
    if (this.ownsBackplane) await this.backplane.close();
  }

  private forget(manager: UnifiedWebSocketManager, reason: DisposeReason): void {
    if (!this.managers.delete(manager)) return;
    const userId = manager.boundUserId as UserId;
    const mine = withoutItem(this.managersByUser.get(userId) ?? null, manager);
    if (mine === null) this.managersByUser.delete(userId);
    else this.managersByUser.set(userId, mine);
    this.metrics.disposedBy[reason] += 1;
  }

  private countLimitHit(limit: ManagerLimit): void {
    this.metrics.limitHits[limit] += 1;
  }

  private nextManagerId(): string {
    const id = `manager-${this.nextManagerNumber}`;
    this.nextManagerNumber += 1;
    return id;
  }

  private assertOpen(): void {
    if (this.shuttingDown !== null) throw new ManagerShutdownError('shutdown');
  }
}
