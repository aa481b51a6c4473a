import type { ConnectionTransport, StreamEntry, Unsubscribe, WireProtocol } from '@agentwirejs/protocols';
import type { ConnectionInfo, UserId } from '@agentwirejs/types';
import type { SendQueue } from './backpressure';
import type { ReplayMeter } from './replay-budget';
import type { FrameRenderer } from './render';
import type { DeliveryCounters } from './stats';

/** The manager a connection was added through: it is counted there and closes with it. */
export interface ConnectionOwner {
  readonly counters: DeliveryCounters;
  /** Epoch ms of the last traffic or call; idle disposal reads it. */
  lastActivity: number;
  adopt(connection: ManagedConnection): void;
  release(connection: ManagedConnection): void;
}

/**
 * What the manager keeps per socket, beyond the socket itself: the ConnectionInfo record, its
 * wire protocol's renderer and a few fields. Queues, pending buffers and room sets exist only while needed, so an idle
 * connection costs a few hundred bytes.
 */
export class ManagedConnection implements ReplayMeter {
  /** Answered the last ping (or sent something since). */
  alive = true;
  /** Detached from the registry; nothing more is written. */
  closed = false;
  /** Live stream entries held back while the connection registers or replays; null when live. */
  pending: StreamEntry[] | null = [];
  /** `pending` overflowed and was emptied: the resume must read the stream again. */
  pendingOverflow = false;
  /** The replay in progress, if any (replays of one connection run one after the other). */
  resuming: Promise<void> | null = null;
  /** The newest stream position written to (or dropped for) this connection; live entries at or below it are skipped. */
  lastSeq = 0;
  /** Replayed bytes not yet drained from the connection's replay budget (see replay-budget.ts). */
  replayOwedBytes = 0;
  replayOwedAt = 0;
  /** connection_established has been written; connection messages sent before it wait in `early`. */
  greeted = false;
  early: string[] | null = null;
  /** Frames waiting for a backed-up socket; null while the socket keeps up. */
  queue: SendQueue | null = null;
  rooms: Set<string> | null = null;
  /** Told the code and reason when the manager closes the connection (ConnectionRegistration.onManagerClose). */
  onManagerClose: ((this: ConnectionTransport, code: number, reason: string) => void) | null = null;

  constructor(
    readonly info: ConnectionInfo,
    readonly userId: UserId,
    readonly transport: ConnectionTransport,
    readonly owner: ConnectionOwner,
    readonly slot: UserSlot,
    /** Writes the user's stream in this connection's wire protocol (shared for v2; a bounded v1 translator per v1 connection). */
    readonly renderer: FrameRenderer,
  ) {}

  /** The wire protocol the connection speaks (its connection_established names it). */
  get protocol(): WireProtocol {
    return this.renderer.protocol;
  }
}

/** What a slot's `subscribed` becomes once its subscription is in place: one promise for all of them. */
export const SUBSCRIBED: Promise<void> = Promise.resolve();

/** One user's connections in this process and the stream subscription they share. */
export class UserSlot {
  /** Replaced, never changed in place (sized exactly, and safe to iterate while a connection leaves). */
  connections: readonly ManagedConnection[] = [];
  /** Settles once the backplane subscription is in place (rejects if it failed). */
  subscribed: Promise<void> = SUBSCRIBED;
  unsubscribe: Unsubscribe | null = null;
  /** The user's last connection left; the subscription is (being) dropped. */
  retired = false;

  constructor(readonly userId: UserId) {}
}
