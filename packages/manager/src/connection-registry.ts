import { EventEmitter } from 'node:events';
import {
  type Backplane,
  CloseCode,
  type ConnectionRegistration,
  type ConnectionTransport,
  DEFAULT_WIRE_PROTOCOL,
  type OutboundMessage,
  type ResumeResult,
  type StreamEntry,
} from '@agentwirejs/protocols';
import { type ConnectionId, ConnectionInfo, type UserId, generateConnectionId } from '@agentwirejs/types';
import { type FrameSource, WriteOutcome } from './backpressure';
import { type ConnectionHost, type ConnectionOwner, ConnectionPhase, FAILED, ManagedConnection, SKIPPED, UserSlot, type Written, subscribeSlot } from './connection';
import { DuplicateConnectionError, LimitExceededError, type ManagerLimit, ManagerShutdownError, ReplayLimitedError, TransportNotOpenError } from './errors';
import { Ticker, heartbeatRound } from './heartbeat';
import type { ResolvedManagerOptions } from './options';
import { type ReplaySink, openStream, replayTo } from './replay';
import { type ReplayBudgetPolicy, UserReplayMeters, chargeReplay, replayWaitMs } from './replay-budget';
import { RoomMemberships } from './rooms';
import { DeliveryCounters } from './stats';
import { rendererFor } from './v1-translation';
import { WriteBatch } from './write-batch';

/** WebSocket.OPEN */
const OPEN = 1;
/** WebSocket.CLOSED */
const CLOSED = 3;
/** The longest delay setTimeout accepts. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Where an EventEmitter socket (a `ws` WebSocket) points back to its record, so its listeners can be shared. */
const kConnection = Symbol('agentwire.managedConnection');
type TaggedTransport = ConnectionTransport & { [kConnection]?: ManagedConnection | undefined };

/**
 * The process-wide index behind every manager of one factory: connections by id and by user,
 * one backplane subscription per user with connections here, room counts, the connections
 * with a backed-up socket, and the routing of stream entries to connections. Each connection
 * (ManagedConnection) owns its own state; managers are views on the registry.
 */
export class ConnectionRegistry {
  readonly connections: Map<ConnectionId, ManagedConnection> = new Map();
  readonly users: Map<UserId, UserSlot> = new Map();
  readonly counters = new DeliveryCounters();
  readonly rooms: RoomMemberships;
  backgroundErrors = 0;
  private readonly backpressured = new Set<ManagedConnection>();
  private readonly waiters = new Map<UserId, Set<(connected: boolean) => void>>();
  private readonly unsubscribing = new Set<Promise<void>>();
  private readonly host: ConnectionHost;
  private readonly drainTicker: Ticker;
  private readonly replaySink: ReplaySink;
  private readonly replayBudget: ReplayBudgetPolicy;
  private readonly userReplay: UserReplayMeters<UserId>;
  // Shared by every EventEmitter socket (they are called with the socket as `this`), so a connection costs no closures.
  private readonly onSocketClose: (this: TaggedTransport) => void;
  private readonly onSocketPong: (this: TaggedTransport) => void;
  private readonly onSocketMessage: (this: TaggedTransport) => void;
  private readonly onSocketError: (this: TaggedTransport) => void;
  private closed = false;

  constructor(
    private readonly options: ResolvedManagerOptions,
    readonly backplane: Backplane,
    private readonly limitHit: (limit: ManagerLimit) => void,
  ) {
    this.rooms = new RoomMemberships(backplane, (error, context) => this.report(error, context), {
      holdMax: options.sendQueueMax,
      write: (connection, json) => this.writeOrFail(connection, json, null, null),
      notice: (connection, message) => this.sendToConnection(connection, message),
      failed: (connection, outcome) => this.fail(connection, outcome),
      replayed: (connection, bytes) => this.replaySink.replayed(connection, bytes),
      now: () => options.clock.now(),
    });
    this.replayBudget = { burstBytes: options.replayBurstBytes, bytesPerSecond: options.replayBytesPerSecond };
    this.userReplay = new UserReplayMeters({ burstBytes: options.userReplayBurstBytes, bytesPerSecond: options.userReplayBytesPerSecond }, () => options.clock.now());
    this.drainTicker = new Ticker(options.drainIntervalMs, () => this.drainBackpressured());
    this.host = {
      policy: { highWaterBytes: options.sendHighWaterBytes, queueMax: options.sendQueueMax, queueMaxBytes: options.sendQueueMaxBytes },
      counters: this.counters,
      holdMax: options.sendQueueMax,
      closeTimeoutMs: options.closeTimeoutMs,
      writes: new WriteBatch(options.coalesceWrites, (error, context) => this.report(error, context)),
      now: () => options.clock.now(),
      backedUp: (connection) => {
        this.backpressured.add(connection);
        this.drainTicker.start();
      },
      drained: (connection) => this.backpressured.delete(connection),
      report: (error, context) => this.report(error, context),
    };
    this.replaySink = {
      readStream: (userId, afterSeq) => this.backplane.readStream(userId, afterSeq),
      position: (userId) => this.backplane.position(userId),
      greet: (connection, greeting) => this.settle(connection, connection.greet(greeting)),
      writeNotice: (connection, message) => this.sendToConnection(connection, message),
      writeFrame: (connection, json, seq, item) => this.writeOrFail(connection, json, seq, item),
      replayed: (connection, bytes) => {
        chargeReplay(connection, this.replayBudget, bytes, this.options.clock.now());
        this.userReplay.charge(connection.userId, bytes);
      },
    };
    const closed = (connection: ManagedConnection | undefined): void => {
      if (connection !== undefined) this.detach(connection, null, 'closed');
    };
    const touched = (connection: ManagedConnection | undefined): void => {
      if (connection !== undefined) this.touch(connection);
    };
    this.onSocketClose = function () {
      closed(this[kConnection]);
    };
    this.onSocketPong = function () {
      const connection = this[kConnection];
      if (connection !== undefined) connection.alive = true;
    };
    this.onSocketMessage = function () {
      touched(this[kConnection]);
    };
    this.onSocketError = function () {
      this[kConnection]?.info.recordError();
    };
  }

  /**
   * Registers a connection, then opens its stream in one step: connection_established, the
   * replay after registration.afterSeq if given, then live entries (held until then, so none
   * slips in before the greeting; see ConnectionPhase). The caller keeps the transport when this rejects.
   */
  async add(owner: ConnectionOwner, transport: ConnectionTransport, registration: ConnectionRegistration): Promise<ConnectionInfo> {
    if (this.closed) throw new ManagerShutdownError('shutdown');
    if (transport.readyState !== OPEN) throw new TransportNotOpenError(transport.readyState);
    const now = this.options.clock.now();
    const info = new ConnectionInfo(registration.connectionId ?? generateConnectionId(), registration.userId, registration.metadata, now);
    const userId = registration.userId;
    if (this.connections.has(info.connectionId)) throw new DuplicateConnectionError(info.connectionId);
    if (this.connections.size >= this.options.maxConnections) this.refuse('maxConnections', this.options.maxConnections, null);
    const existing = this.users.get(userId);
    if (existing !== undefined && existing.connections.length >= this.options.maxConnectionsPerUser) {
      this.refuse('maxConnectionsPerUser', this.options.maxConnectionsPerUser, userId);
    }
    if (registration.threadId !== undefined) info.setThread(registration.threadId);
    const slot = existing ?? this.openSlot(userId);
    const connection = new ManagedConnection(info, userId, transport, owner, slot, rendererFor(registration.protocol ?? DEFAULT_WIRE_PROTOCOL), this.host);
    connection.onManagerClose = registration.onManagerClose ?? null;
    this.connections.set(info.connectionId, connection);
    slot.connections = [...slot.connections, connection];
    this.hook(connection);
    owner.adopt(connection);
    owner.lastActivity = now;
    this.counters.connectionsAdded += 1;
    owner.counters.connectionsAdded += 1;
    const waiting = this.waiters.get(userId);
    if (waiting !== undefined) for (const wake of waiting) wake(true);
    try {
      await slot.subscribed;
      const replay = await openStream(connection, registration.afterSeq, this.replaySink, registration.afterEpoch);
      if (replay !== null && registration.afterSeq !== undefined) this.countReplay(connection, replay.replayed);
    } catch (error) {
      this.detach(connection, null, 'registration failed');
      throw error;
    }
    return info;
  }

  /**
   * Unregisters a connection: leaves its user's stream and its rooms, frees its queue, and
   * closes the transport with `closeCode` (null: it is already closed, or is terminated by the
   * caller). `failed`: the socket failed (a send threw, a missed heartbeat). Idempotent.
   */
  detach(connection: ManagedConnection, closeCode: number | null, reason: string, failed = false): void {
    const closing = closeCode !== null && connection.transport.readyState !== CLOSED;
    if (!connection.detach(closing, failed)) {
      // Already closing: closed only once the transport says so.
      if (connection.transport.readyState === CLOSED) connection.transportClosed();
      return;
    }
    this.connections.delete(connection.info.connectionId);
    const slot = connection.slot;
    slot.connections = slot.connections.filter((other) => other !== connection);
    if (slot.connections.length === 0) this.retire(slot);
    this.rooms.leaveAll(connection);
    this.backpressured.delete(connection);
    this.unhook(connection);
    this.counters.connectionsRemoved += 1;
    connection.owner.counters.connectionsRemoved += 1;
    // Told even when the socket is already closed: onManagerClose learns the code the manager chose.
    if (closeCode !== null) connection.closeTransport(closeCode, reason);
    connection.owner.release(connection);
  }

  /** The user's connections in this process (0 if none). */
  connectionCount(userId: UserId): number {
    return this.users.get(userId)?.connections.length ?? 0;
  }

  /**
   * Sends a connection-scoped message (seq null, not kept); false when the connection is closed.
   * Before its connection_established is out (registration still in progress) the message
   * waits, so the greeting stays the first message.
   */
  sendToConnection(connection: ManagedConnection, message: OutboundMessage): boolean {
    return this.settle(connection, connection.notice(message));
  }

  /** Milliseconds until the user's connections may receive another replay (their budget across connections); 0 when they may now. */
  replayWaitMs(userId: UserId): number {
    return this.userReplay.waitMs(userId);
  }

  /** Replays what the connection missed after `afterSeq`, then makes it live (see replayTo). */
  async resume(connection: ManagedConnection, afterSeq: number): Promise<ResumeResult> {
    // Bounded per connection: one replay at a time, and replayed bytes within the budget (replay-budget.ts).
    const connectionId = connection.info.connectionId;
    // The opening (greeting and first replay) counts as a replay in progress.
    if (connection.resuming !== null || connection.phase === ConnectionPhase.Greeting) throw new ReplayLimitedError(connectionId, 'in_progress', 0, this.replayBudget);
    const waitMs = replayWaitMs(connection, this.replayBudget, this.options.clock.now());
    if (waitMs > 0) throw new ReplayLimitedError(connectionId, 'budget', waitMs, this.replayBudget);
    const userWaitMs = this.userReplay.waitMs(connection.userId);
    if (userWaitMs > 0) throw new ReplayLimitedError(connectionId, 'user_budget', userWaitMs, this.userReplay.policy);
    const result = await replayTo(connection, afterSeq, this.replaySink);
    this.countReplay(connection, result.replayed);
    return result;
  }

  private countReplay(connection: ManagedConnection, replayed: number): void {
    this.counters.replays += 1;
    connection.owner.counters.replays += 1;
    this.counters.replayedMessages += replayed;
    connection.owner.counters.replayedMessages += replayed;
  }

  /** Real traffic from the client: it is alive and active. */
  touch(connection: ManagedConnection): void {
    connection.touch(this.options.clock.now());
  }

  /** Resolves true when the user has a connection here, false after timeoutMs (or at shutdown). */
  waitFor(userId: UserId, timeoutMs: number): Promise<boolean> {
    if (this.users.has(userId)) return Promise.resolve(true);
    if (this.closed || !(timeoutMs > 0)) return Promise.resolve(false);
    let waiting = this.waiters.get(userId);
    if (waiting === undefined) this.waiters.set(userId, (waiting = new Set()));
    const set = waiting;
    return new Promise<boolean>((resolve) => {
      const settle = (connected: boolean): void => {
        clearTimeout(timer);
        set.delete(settle);
        if (set.size === 0 && this.waiters.get(userId) === set) this.waiters.delete(userId);
        resolve(connected);
      };
      const timer = setTimeout(() => settle(false), Math.min(timeoutMs, MAX_TIMEOUT_MS));
      set.add(settle);
    });
  }

  /** One heartbeat round over every connection; returns how many were terminated for a missed pong. */
  heartbeat(): number {
    const missed = heartbeatRound(this.connections.values());
    for (const connection of missed) {
      this.counters.heartbeatTerminations += 1;
      connection.owner.counters.heartbeatTerminations += 1;
      this.detach(connection, null, 'heartbeat', true);
      try {
        if (connection.transport.terminate !== undefined) connection.transport.terminate();
        else connection.transport.close(CloseCode.GoingAway, 'heartbeat timeout');
      } catch (error) {
        this.report(error, 'terminate');
      }
    }
    return missed.length;
  }

  /** Frames and bytes waiting in the queues of these connections. */
  queued(connections: Iterable<ManagedConnection> = this.backpressured): { frames: number; bytes: number } {
    let frames = 0;
    let bytes = 0;
    for (const connection of connections) {
      frames += connection.queue?.frames ?? 0;
      bytes += connection.queue?.bytes ?? 0;
    }
    return { frames, bytes };
  }

  /** Closes every connection with `closeCode`, drops every subscription and resolves waiters with false. */
  async shutdown(closeCode: number): Promise<void> {
    this.closed = true;
    this.drainTicker.stop();
    const slots = [...this.users.values()];
    for (const connection of [...this.connections.values()]) this.detach(connection, closeCode, 'server shutting down');
    // The frames of this turn (close frames among them) leave now rather than at its end.
    this.host.writes.flush();
    for (const waiting of [...this.waiters.values()]) for (const settle of [...waiting]) settle(false);
    const roomsCleared = this.rooms.clear();
    // A subscription still being set up is dropped as soon as it is in place.
    await Promise.allSettled([...slots.map((slot) => slot.subscribed), roomsCleared]);
    await Promise.allSettled([...this.unsubscribing]);
  }

  /** Reports a background failure (counted; passed to options.onError when set). */
  report(error: unknown, context: string): void {
    this.backgroundErrors += 1;
    this.options.onError?.(error, context);
  }

  private refuse(limit: ManagerLimit, max: number, userId: UserId | null): never {
    this.limitHit(limit);
    throw new LimitExceededError(limit, max, userId);
  }

  private openSlot(userId: UserId): UserSlot {
    const slot = new UserSlot(userId);
    this.users.set(userId, slot);
    // One listener per user, shared by all of the user's connections.
    const listener = (entry: StreamEntry): void => this.deliver(slot, entry);
    subscribeSlot(
      slot,
      () => this.backplane.subscribeUser(userId, listener),
      (unsubscribe) => this.unsubscribe(unsubscribe, userId),
    );
    return slot;
  }

  private retire(slot: UserSlot): void {
    slot.retired = true;
    if (this.users.get(slot.userId) === slot) this.users.delete(slot.userId);
    if (slot.unsubscribe !== null) this.unsubscribe(slot.unsubscribe, slot.userId);
    slot.unsubscribe = null;
  }

  private unsubscribe(unsubscribe: () => Promise<void>, userId: UserId): void {
    const done = unsubscribe()
      .catch((error: unknown) => this.report(error, `unsubscribe ${userId}`))
      .finally(() => this.unsubscribing.delete(done));
    this.unsubscribing.add(done);
  }

  /**
   * The backplane listener of one user: writes the entry to each of the user's connections, in
   * its protocol (a v2 connection gets the string the backplane serialized, as it is).
   */
  private deliver(slot: UserSlot, entry: StreamEntry): void {
    const connections = slot.connections;
    const count = connections.length;
    if (count === 0) return;
    const now = entry.appendedAt; // stamped by the backplane: no clock read per message
    let broken: [ManagedConnection, Written][] | null = null;
    for (let i = 0; i < count; i += 1) {
      const connection = connections[i] as ManagedConnection;
      const outcome = connection.deliver(entry, now);
      if (outcome === WriteOutcome.Overflow || outcome === FAILED) (broken ??= []).push([connection, outcome]);
    }
    if (broken !== null) for (const [connection, outcome] of broken) this.fail(connection, outcome);
  }

  /** One frame for one connection outside the fan-out loop: closes it on overflow or failure; false when nothing was written. */
  private writeOrFail(connection: ManagedConnection, json: string, seq: number | null, source: FrameSource | null): boolean {
    return this.settle(connection, connection.send(json, seq, source, this.options.clock.now()));
  }

  /** What a write outside the fan-out loop did: closes the connection on overflow or failure; false when nothing was written. */
  private settle(connection: ManagedConnection, outcome: Written): boolean {
    if (outcome === WriteOutcome.Overflow || outcome === FAILED) {
      this.fail(connection, outcome);
      return false;
    }
    return outcome !== SKIPPED;
  }

  /** Closes a connection that cannot be written to: 1013 for a slow consumer beyond the policy (a frame that neither folds nor fits), 1011 for a send that threw. */
  private fail(connection: ManagedConnection, outcome: Written): void {
    if (outcome === WriteOutcome.Overflow) {
      this.counters.slowConsumerCloses += 1;
      connection.owner.counters.slowConsumerCloses += 1;
      this.detach(connection, CloseCode.TryAgainLater, 'slow consumer');
    } else {
      this.counters.sendErrors += 1;
      connection.owner.counters.sendErrors += 1;
      connection.info.recordError();
      this.detach(connection, CloseCode.InternalError, 'send failed', true);
    }
  }

  private drainBackpressured(): void {
    for (const connection of this.backpressured) {
      if (connection.closed || connection.transport.readyState !== OPEN) {
        this.backpressured.delete(connection);
        continue;
      }
      try {
        connection.drain();
      } catch (error) {
        this.report(error, 'send');
        this.fail(connection, FAILED);
      }
    }
    if (this.backpressured.size === 0) this.drainTicker.stop();
  }

  private hook(connection: ManagedConnection): void {
    const transport = connection.transport as TaggedTransport;
    if (transport instanceof EventEmitter) {
      transport[kConnection] = connection;
      transport.on('close', this.onSocketClose);
      transport.on('pong', this.onSocketPong);
      transport.on('message', this.onSocketMessage);
      transport.on('error', this.onSocketError);
    } else if (transport.on !== undefined) {
      // A plain transport may call listeners without `this`; it costs a few closures.
      transport.on('close', () => this.detach(connection, null, 'closed'));
      transport.on('pong', () => {
        connection.alive = true;
      });
      transport.on('error', () => connection.info.recordError());
    }
  }

  private unhook(connection: ManagedConnection): void {
    const transport = connection.transport as TaggedTransport;
    if (!(transport instanceof EventEmitter)) return;
    transport.removeListener('close', this.onSocketClose);
    transport.removeListener('pong', this.onSocketPong);
    transport.removeListener('message', this.onSocketMessage);
    // The error listener stays: a socket that errors after we let go must not crash the process.
    transport[kConnection] = undefined;
  }
}
