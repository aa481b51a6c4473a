import type { ConnectionTransport } from '@agentwirejs/protocols';
import { WebSocket } from 'ws';

/** What a batch needs of a connection's socket (a net.Socket). */
interface Corkable {
  cork(): void;
  uncork(): void;
  /** Bytes written to the socket and not yet handed to the kernel (corked ones included). */
  readonly writableLength: number;
}

/** A socket's batch is written early once it holds more than this: larger writes save no more system calls. */
const MAX_BATCH_BYTES = 64 * 1024;
/**
 * The batch is written once it has been open this long (performance.now, ms) and another socket
 * joins it with its first frame of the turn: a socket's first frame then waits for at most this
 * much of the turn's work for other sockets, not for all of it. A turn that sends to many sockets (a timer catching up after the process lost its
 * core, a large room, a Redis reply for many users) otherwise held its first frame until the last
 * one was written, and every frame of it in memory that long: in the Redis benchmark's workload
 * the in-memory gateway then spent 6 to 8 µs of CPU per event received, and 4.1 to 4.4 with this age.
 * Only a socket's first frame of a turn looks at the age (see writtenEarly): a room's burst of
 * four messages a turn to 1,000 members otherwise cost each member a write per message, as many
 * as raw ws writing each frame at once; this way about two (its first message's batch, then the
 * end of the turn), and raw ws's server CPU per delivery is 2.1 to 2.2 times the manager's
 * there, against 1.05 times when every join looked at the age (bench README, 2026-12-07).
 */
const MAX_BATCH_AGE_MS = 0.25;

/**
 * The socket under a `ws` WebSocket, or null. `ws` has no public cork and keeps the socket it
 * was handed at the upgrade in `_socket`; read defensively, so a `ws` without it only loses the batching.
 */
function socketOf(transport: WebSocket): Corkable | null {
  const socket = (transport as unknown as { _socket?: unknown })._socket;
  if (typeof socket !== 'object' || socket === null) return null;
  const candidate = socket as Partial<Corkable>;
  return typeof candidate.cork === 'function' && typeof candidate.uncork === 'function' && typeof candidate.writableLength === 'number' ? (socket as Corkable) : null;
}

/**
 * Frames written to one connection during one turn of the event loop leave in one socket
 * write: the first frame corks the connection's socket and the turn's check phase
 * (setImmediate) uncorks every socket corked in that turn. A run's events, a burst between two
 * yields, a replay: each is one system call per connection instead of one per frame, and the
 * client reads them in one go. Frames are never reordered and wait at most until the next check
 * phase (a frame written in a check phase after the flush ran waits for the next one), or until
 * another socket joins, with its first frame of the turn, once the batch is older than
 * MAX_BATCH_AGE_MS: then every socket in it is uncorked at once and a new batch starts, so in a
 * turn that writes to many sockets no socket's first frame waits for the rest of the turn. A
 * socket's own frames still go together (the age is looked at only when a socket joins), and a
 * socket written early that gets more frames in the same turn joins the current batch whatever
 * its age: those frames may wait for the end of the turn, and a room's burst costs each member
 * about two writes, not one per message. A socket that joins while the batch is being written
 * (sent from the error report) starts the next batch. A socket's batch is written early once it
 * holds more than `min(highWaterBytes, 64 KiB)`, checked before each frame of a send or of a
 * drain, so the frames of a turn never make a socket that keeps up look backed up
 * (bufferedAmount above the high-water mark): the slow-consumer policy sees what the kernel did
 * not take, as without the batch. A socket destroyed (terminate) before the flush loses its
 * batch, as it loses whatever else it had not written. Only `ws` sockets are batched; any other
 * transport is written as it is.
 */
export class WriteBatch {
  /**
   * Sockets corked in this turn. Each batch gets a new Set rather than clearing one: the write
   * batch lives as long as the manager, so its sets' tables reach the old generation, and V8
   * allocates the table that clear() (or a delete that empties a set) leaves in the generation of
   * the one it replaces. Clearing two long-lived sets per flush put about 230 bytes of garbage into
   * the old generation per flush, a third of what the gateway's old generation grew under the
   * latency benchmark's load, whose marking then ran V8's worker threads on every core
   * (bench README, 2026-12-07); a new set is young and dies young.
   */
  private corked = new Set<Corkable>();
  private scheduled = false;
  /** True while uncorkAll runs: a socket that joins meanwhile (the app's onError sending) starts the next batch, never a nested write of this one. */
  private uncorking = false;
  /**
   * Sockets whose batch was written early in this turn (a socket joined it once it was old):
   * when one of them is written to again in the turn it joins the current batch without looking
   * at its age, so only a socket's first frame of a turn can set off an early write. Emptied at
   * the end of the turn.
   */
  private writtenEarly = new Set<Corkable>();
  /** When the first socket of the current batch joined (performance.now, ms). */
  private openedAt = 0;
  private readonly flushNow = (): void => this.flush();

  /**
   * @param enabled WebSocketManagerOptions.coalesceWrites
   * @param report told of a socket that threw when uncorked
   */
  constructor(
    private readonly enabled: boolean,
    private readonly report: (error: unknown, context: string) => void,
  ) {}

  /**
   * Call before handing a frame to `transport`: its socket stays corked until the end of this
   * turn, or is written now and corked again when its batch holds more than
   * min(highWaterBytes, 64 KiB) (WebSocketManagerOptions.sendHighWaterBytes). A socket joining a
   * batch older than MAX_BATCH_AGE_MS first has every socket in it written.
   */
  join(transport: ConnectionTransport, highWaterBytes: number): void {
    if (!this.enabled || !(transport instanceof WebSocket)) return;
    const socket = socketOf(transport);
    if (socket === null) return;
    if (this.corked.has(socket)) {
      if (socket.writableLength > Math.min(highWaterBytes, MAX_BATCH_BYTES)) {
        socket.uncork();
        socket.cork();
      }
      return;
    }
    if (this.corked.size === 0) this.openedAt = performance.now();
    else if (!this.writtenEarly.has(socket)) {
      const now = performance.now();
      if (now - this.openedAt > MAX_BATCH_AGE_MS) {
        this.uncorkAll(this.writtenEarly);
        this.openedAt = now;
      }
    }
    socket.cork();
    this.corked.add(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /**
   * Uncorks every socket corked since the last flush: their frames are written now. It runs in
   * setImmediate, so nothing may escape it: a socket that throws is reported, and a report that
   * throws (the app's onError) is dropped, and every other socket is still uncorked.
   */
  flush(): void {
    this.scheduled = false;
    this.uncorkAll(null);
    if (this.writtenEarly.size > 0) this.writtenEarly = new Set();
  }

  /**
   * Uncorks every socket of the batch (flush, or a batch that grew old within a turn: then each
   * is noted in `early`); the next socket to join starts a new one.
   */
  private uncorkAll(early: Set<Corkable> | null): void {
    if (this.uncorking) return;
    this.uncorking = true;
    const sockets = this.corked;
    this.corked = new Set();
    try {
      for (const socket of sockets) {
        early?.add(socket);
        try {
          socket.uncork();
        } catch (error) {
          try {
            this.report(error, 'send');
          } catch {
            // the app's error handler threw: there is no one left to tell
          }
        }
      }
    } finally {
      this.uncorking = false;
    }
  }
}
