import { EventEmitter } from 'node:events';
import type { ConnectionTransport, OutboundMessage, StreamEntry, Unsubscribe, WireProtocol } from '@agentwirejs/protocols';
import { type ConnectionInfo, ConnectionState, IllegalStateTransitionError, type UserId, canTransition } from '@agentwirejs/types';
import { type BackpressurePolicy, type FrameSource, type SendQueue, WriteOutcome, drainQueue, writeFrame } from './backpressure';
import type { ReplayMeter } from './replay-budget';
import type { SharedTextFrame } from './shared-frame';
import type { ConnectionRooms } from './rooms';
import type { FrameRenderer } from './render';
import type { DeliveryCounters } from './stats';
import type { WriteBatch } from './write-batch';

/** WebSocket.OPEN */
const OPEN = 1;
/** WebSocket.CLOSED */
const CLOSED = 3;

/**
 * The life cycle of a managed connection. Only the connection moves it (ManagedConnection.moveTo,
 * through the methods below); its ConnectionInfo record follows it (connecting while greeting,
 * connected while replaying or live, then closing and closed; failed when the socket failed).
 */
export const ConnectionPhase = {
  /** Registered; connection_established is not written yet. Stream entries are held, connection messages wait. */
  Greeting: 'greeting',
  /** Greeted; a replay writes what the client missed while live entries are held. */
  Replaying: 'replaying',
  /** Receiving its user's stream as it is appended. */
  Live: 'live',
  /** Detached from the registry: nothing more is written; the transport's closing handshake runs. */
  Closing: 'closing',
  /** The transport is closed. */
  Closed: 'closed',
} as const;
export type ConnectionPhase = (typeof ConnectionPhase)[keyof typeof ConnectionPhase];

const NEXT_PHASES: Readonly<Record<ConnectionPhase, readonly ConnectionPhase[]>> = {
  greeting: ['replaying', 'closing', 'closed'],
  replaying: ['live', 'closing', 'closed'],
  live: ['replaying', 'closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

/** True when `from → to` is a move of the connection life cycle. */
export function canMove(from: ConnectionPhase, to: ConnectionPhase): boolean {
  return NEXT_PHASES[from].includes(to);
}

/** What a write did: a WriteOutcome, or the socket was not open (skipped), or send threw (failed). */
export const SKIPPED = -1;
export const FAILED = -2;
export type Written = WriteOutcome | typeof SKIPPED | typeof FAILED;

/** What every connection of one registry writes through: one shared object, so a connection costs one pointer for it. */
export interface ConnectionHost {
  readonly policy: BackpressurePolicy;
  /** Process-wide counters (the owner's are counted too). */
  readonly counters: DeliveryCounters;
  /** Bound of the entries held while not live and of the messages waiting for the greeting. */
  readonly holdMax: number;
  /** How long a closing transport may take before it is terminated. */
  readonly closeTimeoutMs: number;
  /** Corks a connection's socket until the end of the turn, so its frames leave in one write. */
  readonly writes: WriteBatch;
  now(): number;
  /** The connection's socket backed up: it has a queue to drain. */
  backedUp(connection: ManagedConnection): void;
  /** The connection's queue is empty (or gone). */
  drained(connection: ManagedConnection): void;
  /** A background failure (counted; passed to the options' onError). */
  report(error: unknown, context: string): void;
}

/** The manager a connection was added through: it is counted there and closes with it. */
export interface ConnectionOwner {
  readonly counters: DeliveryCounters;
  /** Epoch ms of the last traffic or call; idle disposal reads it. */
  lastActivity: number;
  adopt(connection: ManagedConnection): void;
  release(connection: ManagedConnection): void;
}

/**
 * One client connection and everything about it: its phase (ConnectionPhase), the live entries
 * it holds while greeting or replaying, the connection messages waiting for its greeting, its
 * send queue behind a slow socket, its rooms and its replay budget. The registry only indexes
 * connections (by id, by user, the backed-up ones) and routes entries to them. Held entries,
 * queues and room sets exist only while needed, so an idle connection costs a few hundred bytes.
 */
export class ManagedConnection implements ReplayMeter {
  /** Answered the last ping (or sent something since). */
  alive = true;
  /** Live stream entries held while greeting or replaying; null while live (and once closing). */
  pending: StreamEntry[] | null = [];
  /** `pending` overflowed and was emptied: the replay must read the stream again. */
  pendingOverflow = false;
  /** The opening or replay in progress, if any (they run one after the other). */
  resuming: Promise<void> | null = null;
  /** The newest stream position written to (or dropped for) this connection; live entries at or below it are skipped. */
  lastSeq = 0;
  /** Replayed bytes not yet drained from the connection's replay budget (see replay-budget.ts). */
  replayOwedBytes = 0;
  replayOwedAt = 0;
  /** Frames waiting for a backed-up socket; null while the socket keeps up. */
  queue: SendQueue | null = null;
  /** The rooms it joined (created by the first join). */
  rooms: ConnectionRooms | null = null;
  /** Told the code and reason when the manager closes the connection (ConnectionRegistration.onManagerClose). */
  onManagerClose: ((this: ConnectionTransport, code: number, reason: string) => void) | null = null;
  /** Connection messages sent while greeting, written right after connection_established. */
  private early: string[] | null = null;
  private current: ConnectionPhase = ConnectionPhase.Greeting;

  constructor(
    readonly info: ConnectionInfo,
    readonly userId: UserId,
    readonly transport: ConnectionTransport,
    readonly owner: ConnectionOwner,
    readonly slot: UserSlot,
    /** Writes the user's stream in this connection's wire protocol (shared for v2; a bounded v1 translator per v1 connection). */
    readonly renderer: FrameRenderer,
    private readonly host: ConnectionHost,
  ) {}

  get phase(): ConnectionPhase {
    return this.current;
  }

  /** Closing or closed: detached from the registry, nothing more is written. */
  get closed(): boolean {
    return this.current === ConnectionPhase.Closing || this.current === ConnectionPhase.Closed;
  }

  /** The wire protocol the connection speaks (its connection_established names it). */
  get protocol(): WireProtocol {
    return this.renderer.protocol;
  }

  /**
   * Writes connection_established (moving greeting → replaying), then the connection messages
   * that waited for it; returns the first outcome that was not a write (or the greeting's).
   */
  greet(greeting: OutboundMessage): Written {
    this.moveTo(ConnectionPhase.Replaying);
    const now = this.host.now();
    const outcome = this.send(this.renderer.notice(greeting, this.userId, new Date(now).toISOString()), null, null, now);
    const early = this.early;
    this.early = null;
    if (early === null || !isWritten(outcome)) return outcome;
    for (const json of early) {
      const next = this.send(json, null, null, now);
      if (!isWritten(next)) return next;
    }
    return outcome;
  }

  /**
   * A connection-scoped message (seq null, not kept). While greeting it waits (so the greeting
   * stays the first message; up to holdMax messages, else refused with SKIPPED).
   */
  notice(message: OutboundMessage): Written {
    if (this.closed) return SKIPPED;
    const now = this.host.now();
    const json = this.renderer.notice(message, this.userId, new Date(now).toISOString());
    if (this.current !== ConnectionPhase.Greeting) return this.send(json, null, null, now);
    const early = (this.early ??= []);
    if (early.length >= this.host.holdMax) return SKIPPED;
    early.push(json);
    return WriteOutcome.Queued;
  }

  /**
   * A live stream entry: held while greeting or replaying (bounded: past holdMax the held
   * entries are dropped and the replay reads the stream again), skipped when already written,
   * written otherwise.
   */
  deliver(entry: StreamEntry, now: number): Written {
    const pending = this.pending;
    if (pending !== null) {
      if (pending.length < this.host.holdMax) {
        // Its text read now, while the backplane still has its bytes: a held entry then keeps its
        // text, not bytes that may be a slice of a larger pool (the in-memory backplane's AppendedEntry).
        void entry.json;
        pending.push(entry);
      } else {
        pending.length = 0;
        this.pendingOverflow = true;
      }
      return WriteOutcome.Queued;
    }
    if (entry.seq <= this.lastSeq || this.closed) return SKIPPED;
    // The stored envelope as it is, with the backplane's bytes: written as those, its text not read.
    const utf8 = entry.jsonUtf8;
    if (utf8 !== undefined && this.renderer.writesStored(entry)) return this.send(null, entry.seq, entry, now, utf8);
    const json = this.renderer.entry(entry);
    // The backplane's bytes are the frame only when the renderer wrote the stored envelope as it is (agentwire.v2).
    return this.send(json, entry.seq, entry, now, json === entry.json ? (entry.jsonUtf8 ?? null) : null);
  }

  /** Starts (or restarts, after an overflow) holding live entries for a replay: greeting or live → replaying. */
  holdLive(): void {
    if (this.closed) return;
    if (this.current === ConnectionPhase.Live) this.moveTo(ConnectionPhase.Replaying);
    this.pending = [];
    this.pendingOverflow = false;
  }

  /** Ends a replay that read the stream up to `position`: replaying → live; returns the entries held meanwhile. */
  goLive(position: number): readonly StreamEntry[] {
    const held = this.pending ?? [];
    this.pending = null;
    this.lastSeq = position;
    if (this.current === ConnectionPhase.Replaying) this.moveTo(ConnectionPhase.Live);
    return held;
  }

  /**
   * Writes (or queues behind a backed-up socket) one frame and counts it; never throws. A stream
   * frame (seq set) moves lastSeq unless it overflowed. SKIPPED while greeting or once detached.
   * `utf8`, when given, is `json` as UTF-8 (StreamEntry.jsonUtf8), written as it is to a `ws` socket;
   * `json` null: the frame is the stream entry `source` as stored, its text read only if needed (writeFrame).
   * `shared`: `json` as one WebSocket frame made once for every connection it goes to (a room entry).
   */
  send(json: string | null, seq: number | null, source: FrameSource | null, now: number, utf8: Uint8Array | null = null, shared: SharedTextFrame | null = null): Written {
    // Nothing before connection_established (greet() moves on first); nothing once detached.
    if (this.current === ConnectionPhase.Greeting || this.closed || this.transport.readyState !== OPEN) return SKIPPED;
    const host = this.host;
    const owner = this.owner;
    try {
      if (this.queue !== null) this.drain();
      host.writes.join(this.transport, host.policy.highWaterBytes);
      const droppedBefore = this.queue === null ? 0 : this.queue.dropped;
      const outcome = writeFrame(this, json, seq, source, host.policy, utf8, shared);
      if (seq !== null && outcome !== WriteOutcome.Overflow) this.lastSeq = seq;
      if (outcome === WriteOutcome.Sent) {
        host.counters.messagesSent += 1;
        owner.counters.messagesSent += 1;
        this.info.recordMessage(now);
        owner.lastActivity = now;
        return outcome;
      }
      if (outcome === WriteOutcome.Queued) {
        host.counters.messagesQueued += 1;
        owner.counters.messagesQueued += 1;
      }
      const dropped = (this.queue?.dropped ?? droppedBefore) - droppedBefore;
      host.counters.messagesDropped += dropped;
      owner.counters.messagesDropped += dropped;
      if (this.queue !== null) host.backedUp(this);
      return outcome;
    } catch (error) {
      host.report(error, 'send');
      return FAILED;
    }
  }

  /** Writes queued frames while the socket keeps up; counts them. */
  drain(): void {
    const { writes, policy } = this.host;
    const written = drainQueue(this, policy, () => writes.join(this.transport, policy.highWaterBytes));
    if (written > 0) {
      const now = this.host.now();
      this.host.counters.messagesSent += written;
      this.owner.counters.messagesSent += written;
      this.info.messageCount += written - 1; // recordMessage adds the last one
      this.info.recordMessage(now);
      this.owner.lastActivity = now;
    }
    if (this.queue === null) this.host.drained(this);
  }

  /** Drops the stream frames still queued (a replay sends them again, in order); connection messages stay. */
  discardQueuedStream(): void {
    const queue = this.queue;
    if (queue === null) return;
    queue.discardStreamItems();
    if (queue.isEmpty) {
      this.queue = null;
      this.host.drained(this);
    }
  }

  /**
   * Detaches: nothing more is written, held entries, waiting messages and the queue are freed.
   * `failed` marks the record failed (a send that threw, a missed heartbeat). The connection is
   * closing until closed() (when the transport is still open) or closed now. False when it was
   * already closing or closed.
   */
  detach(transportOpen: boolean, failed: boolean): boolean {
    if (this.closed) return false;
    if (failed) this.recordState(ConnectionState.Failed);
    this.moveTo(transportOpen ? ConnectionPhase.Closing : ConnectionPhase.Closed);
    this.queue = null;
    this.pending = null;
    this.early = null;
    return true;
  }

  /**
   * Starts the closing handshake with `code` (telling onManagerClose first) and terminates the
   * transport (when it can be) if it has not closed within closeTimeoutMs, whatever the peer
   * does; closed() follows when it closes. Never throws.
   */
  closeTransport(code: number, reason: string): void {
    const { transport, onManagerClose, host } = this;
    this.onManagerClose = null;
    if (onManagerClose !== null) {
      try {
        onManagerClose.call(transport, code, reason);
      } catch (error) {
        host.report(error, 'close');
      }
    }
    try {
      transport.close(code, reason);
    } catch (error) {
      host.report(error, 'close');
    }
    if (transport.readyState === CLOSED) {
      this.transportClosed();
      return;
    }
    const timer = setTimeout(() => {
      if (transport.readyState !== CLOSED) {
        try {
          transport.terminate?.();
        } catch (error) {
          host.report(error, 'terminate');
        }
      }
      // Whatever the transport reports (a plain one may report nothing), the close is over.
      this.transportClosed();
    }, host.closeTimeoutMs);
    timer.unref();
    if (transport instanceof EventEmitter) {
      transport.once('close', () => {
        clearTimeout(timer);
        this.transportClosed();
      });
    }
  }

  /** Real traffic from the client: it is alive and active. */
  touch(now: number): void {
    this.alive = true;
    this.info.updateActivity(now);
    this.owner.lastActivity = now;
  }

  /** The transport closed: closing → closed (does nothing unless closing). */
  transportClosed(): void {
    if (this.current === ConnectionPhase.Closing) this.moveTo(ConnectionPhase.Closed);
  }

  private moveTo(next: ConnectionPhase): void {
    const from = this.current;
    if (!canMove(from, next)) throw new IllegalStateTransitionError('ConnectionPhase', from, next);
    this.current = next;
    if (from === ConnectionPhase.Greeting && next === ConnectionPhase.Replaying) this.recordState(ConnectionState.Connected);
    else if (next === ConnectionPhase.Closing) this.recordState(ConnectionState.Closing);
    else if (next === ConnectionPhase.Closed) this.recordState(ConnectionState.Closed);
  }

  /**
   * Keeps the public ConnectionInfo record in step where its life cycle allows the move (an app
   * holding the record may have moved it itself; that must never throw in a close path).
   */
  private recordState(state: ConnectionState): void {
    const info = this.info;
    if (!canTransition(info.state, state)) return;
    if (state === ConnectionState.Connected) info.markConnected(this.host.now());
    else info.transitionTo(state, this.host.now());
  }
}

/** True when a frame was handed to the socket or queued for it. */
export function isWritten(outcome: Written): boolean {
  return outcome === WriteOutcome.Sent || outcome === WriteOutcome.Queued || outcome === WriteOutcome.Folded;
}

/** What a slot's `subscribed` becomes once its subscription is in place: one promise for all of them. */
export const SUBSCRIBED: Promise<void> = Promise.resolve();

/** One backplane subscription shared by the connections of a slot (a user's, or a room's own stream's). */
export interface SubscriptionSlot {
  /** Settles once the backplane subscription is in place (rejects if it failed). */
  subscribed: Promise<void>;
  unsubscribe: Unsubscribe | null;
  /** The slot's last connection left; the subscription is (being) dropped. */
  retired: boolean;
}

/**
 * Puts a slot's subscription in place: `slot.subscribed` settles when it is (a backplane that
 * throws instead of rejecting fails the slot's connections, not the caller), and a slot retired
 * meanwhile hands the subscription to `drop` as soon as it is in place.
 */
export function subscribeSlot(slot: SubscriptionSlot, subscribe: () => Promise<Unsubscribe>, drop: (unsubscribe: Unsubscribe) => void): void {
  let subscribing: Promise<Unsubscribe>;
  try {
    subscribing = subscribe();
  } catch (error) {
    subscribing = Promise.reject(error);
  }
  slot.subscribed = subscribing.then((unsubscribe) => {
    if (slot.retired) drop(unsubscribe);
    else slot.unsubscribe = unsubscribe;
    slot.subscribed = SUBSCRIBED;
  });
  slot.subscribed.catch(() => undefined);
}

/** One user's connections in this process and the stream subscription they share. */
export class UserSlot implements SubscriptionSlot {
  /** Replaced, never changed in place (sized exactly, and safe to iterate while a connection leaves). */
  connections: readonly ManagedConnection[] = [];
  /** Settles once the backplane subscription is in place (rejects if it failed). */
  subscribed: Promise<void> = SUBSCRIBED;
  unsubscribe: Unsubscribe | null = null;
  /** The user's last connection left; the subscription is (being) dropped. */
  retired = false;

  constructor(readonly userId: UserId) {}
}
