/** A refusal: the `error` message's code and text. */
export interface Refusal {
  readonly code: string;
  readonly message: string;
}

/** A message to send, and how its sender learns the gateway's verdict. */
export interface Outgoing {
  readonly message: { readonly type: string };
  /** `refusal`: the gateway's error for it; `lost`: the connection closed before the verdict came. */
  readonly settle: (refusal: Refusal | null, lost: boolean) => void;
  /** Called just before it is sent. */
  readonly onSent?: () => void;
}

/** The part of a socket the lane writes to. */
export interface FrameSink {
  send(data: string): void;
}

const PING = '{"type":"ping"}';

/**
 * Sends the client's requests one at a time and tells each its verdict. The wire has no request
 * ids: an `error` names no request. So each request is followed by a ping (the fence); the
 * gateway routes a connection's frames in order, so an error before the fence's pong is the
 * request's. A handler that awaits before refusing (answer_interrupt, cancel_run, app handlers)
 * sends its error just after the pong, in the same turn of the gateway's event loop: the lane
 * therefore waits `graceMs` after the pong before it calls the request taken and sends the next
 * one. With one request in flight, any error in that window is the request's.
 */
export class RequestLane {
  private readonly queue: Outgoing[] = [];
  private current: { readonly entry: Outgoing; fenced: boolean } | null = null;
  /** Who each ping sent and not yet answered belongs to, in order: the current request's fence, or a heartbeat. */
  private readonly pongOwners: ('fence' | 'heartbeat')[] = [];
  private sink: FrameSink | null = null;
  private graceTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly graceMs: number,
    /** An error that answers no request in flight. */
    private readonly onStrayError: (refusal: Refusal) => void,
  ) {}

  /** A connection is open: requests go out on it. */
  attach(sink: FrameSink): void {
    this.sink = sink;
    this.pump();
  }

  /** The connection closed: the request in flight is lost (it may or may not have been handled); queued ones wait for the next. */
  detach(): void {
    this.sink = null;
    this.pongOwners.length = 0;
    this.clearGrace();
    const current = this.current;
    this.current = null;
    current?.entry.settle(null, true);
  }

  enqueue(entry: Outgoing): void {
    this.queue.push(entry);
    this.pump();
  }

  /** Settles everything queued or in flight with `refusal` (the client closed). */
  abandon(refusal: Refusal): void {
    const current = this.current;
    this.current = null;
    this.clearGrace();
    this.sink = null;
    this.pongOwners.length = 0;
    current?.entry.settle(refusal, false);
    for (const entry of this.queue.splice(0)) entry.settle(refusal, false);
  }

  /** A heartbeat ping, outside the requests. */
  heartbeat(): void {
    if (this.sink === null) return;
    this.write(PING);
    this.pongOwners.push('heartbeat');
  }

  pong(): void {
    const owner = this.pongOwners.shift();
    const current = this.current;
    if (owner !== 'fence' || current === null) return;
    current.fenced = true;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null;
      this.finish(null);
    }, this.graceMs);
  }

  error(refusal: Refusal): void {
    if (this.current === null) {
      this.onStrayError(refusal);
      return;
    }
    this.clearGrace();
    this.finish(refusal);
  }

  private finish(refusal: Refusal | null): void {
    const current = this.current;
    if (current === null) return;
    this.current = null;
    // A refusal before the fence's pong: that pong is still to come and must not count for the next request.
    if (!current.fenced) {
      const index = this.pongOwners.indexOf('fence');
      if (index !== -1) this.pongOwners[index] = 'heartbeat';
    }
    current.entry.settle(refusal, false);
    this.pump();
  }

  private pump(): void {
    if (this.sink === null || this.current !== null) return;
    const entry = this.queue.shift();
    if (entry === undefined) return;
    this.current = { entry, fenced: false };
    entry.onSent?.();
    this.write(JSON.stringify(entry.message));
    // A ping is its own fence.
    if (entry.message.type !== 'ping') this.write(PING);
    this.pongOwners.push('fence');
  }

  private write(frame: string): void {
    try {
      this.sink?.send(frame);
    } catch {
      // The socket is closing; its close event detaches the lane.
    }
  }

  private clearGrace(): void {
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.graceTimer = null;
  }
}
