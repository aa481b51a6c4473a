import type { ConnectionTransport } from '@agentwirejs/protocols';

/** A connection as the heartbeat sees it. */
export interface HeartbeatTarget {
  readonly transport: ConnectionTransport;
  alive: boolean;
}

/**
 * One heartbeat round: every connection that answered since the last round (pong or real
 * traffic) is marked unanswered and pinged; those that did not answer are returned, to be
 * terminated. Transports without ping() are not checked.
 */
export function heartbeatRound<T extends HeartbeatTarget>(connections: Iterable<T>): T[] {
  const missed: T[] = [];
  for (const connection of connections) {
    const transport = connection.transport;
    if (transport.ping === undefined) continue;
    if (!connection.alive) {
      missed.push(connection);
      continue;
    }
    connection.alive = false;
    try {
      transport.ping();
    } catch {
      missed.push(connection);
    }
  }
  return missed;
}

/** A repeating timer that does not keep the process alive; start() while running does nothing. */
export class Ticker {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly tick: () => void,
  ) {}

  get running(): boolean {
    return this.timer !== null;
  }

  /** Starts ticking; an interval of 0 means never. */
  start(): void {
    if (this.timer !== null || this.intervalMs <= 0) return;
    this.timer = setInterval(this.tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }
}
