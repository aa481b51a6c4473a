/** A refusal: the `error` message's code and text. */
export interface Refusal {
  readonly code: string;
  readonly message: string;
}

/** What the gateway's `ack` of a request says: the run a start_agent or user_message started. */
export interface Acknowledgement {
  readonly run_id?: string;
  readonly thread_id?: string;
}

/** A message to send, and how its sender learns the gateway's verdict. */
export interface Outgoing {
  readonly message: { readonly type: string };
  /**
   * `refusal`: the gateway's error for it; `lost`: the connection closed before the verdict came;
   * otherwise it was taken, and `ack` says what the gateway answered.
   */
  readonly settle: (refusal: Refusal | null, lost: boolean, ack: Acknowledgement) => void;
}

/** The part of a socket the lane writes to. */
export interface FrameSink {
  send(data: string): void;
}

const PING = '{"type":"ping"}';

/**
 * Sends the client's requests, each with a request_id of its own, and tells each the gateway's
 * verdict: its `ack`, or the `error` that names its request_id (README, "Request ids"). Requests
 * go out as soon as a connection is open, several at a time; a request in flight when the
 * connection closes is lost (it may or may not have been handled), and queued ones wait for the
 * next connection.
 */
export class RequestLane {
  private readonly queue: Outgoing[] = [];
  private readonly inFlight = new Map<string, Outgoing>();
  private sink: FrameSink | null = null;
  private counter = 0;

  constructor(
    /** An error that answers no request in flight. */
    private readonly onStrayError: (refusal: Refusal) => void,
  ) {}

  /** A connection is open: requests go out on it. */
  attach(sink: FrameSink): void {
    this.sink = sink;
    for (const entry of this.queue.splice(0)) this.transmit(entry);
  }

  /** The connection closed: requests in flight are lost; queued ones wait for the next. */
  detach(): void {
    this.sink = null;
    const lost = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const entry of lost) entry.settle(null, true, {});
  }

  enqueue(entry: Outgoing): void {
    if (this.sink === null) this.queue.push(entry);
    else this.transmit(entry);
  }

  /** Settles everything queued or in flight with `refusal` (the client closed). */
  abandon(refusal: Refusal): void {
    this.sink = null;
    const waiting = [...this.inFlight.values(), ...this.queue.splice(0)];
    this.inFlight.clear();
    for (const entry of waiting) entry.settle(refusal, false, {});
  }

  /** A heartbeat ping, outside the requests (its pong answers nothing of theirs). */
  heartbeat(): void {
    this.write(PING);
  }

  /** The gateway's `ack` of a request. */
  ack(requestId: string, acknowledgement: Acknowledgement): void {
    const entry = this.take(requestId);
    entry?.settle(null, false, acknowledgement);
  }

  /** An `error` from the gateway: the refusal of the request it names, or a stray one. */
  error(refusal: Refusal, requestId: string | undefined): void {
    const entry = requestId === undefined ? undefined : this.take(requestId);
    if (entry === undefined) this.onStrayError(refusal);
    else entry.settle(refusal, false, {});
  }

  private take(requestId: string): Outgoing | undefined {
    const entry = this.inFlight.get(requestId);
    this.inFlight.delete(requestId);
    return entry;
  }

  private transmit(entry: Outgoing): void {
    this.counter += 1;
    const requestId = `c${this.counter}`;
    this.inFlight.set(requestId, entry);
    this.write(JSON.stringify({ ...entry.message, request_id: requestId }));
  }

  private write(frame: string): void {
    try {
      this.sink?.send(frame);
    } catch {
      // The socket is closing; its close event detaches the lane.
    }
  }
}
