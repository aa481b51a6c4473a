import WebSocket from 'ws';
import { monotonicUs } from '../machine';
import type { BenchUser } from '../tokens';
import { type EnvelopeHeader, HeldStrings, readEnvelope } from './envelope-reader';

/**
 * How a client speaks to a server: `agentwire` (one JSON envelope per text frame, token in the
 * subprotocols `agentwire.v1, bearer.<jwt>`, or `agentwire.v2` in its place; the gateway, the manager and the raw ws baseline) or
 * `socketio` (engine.io 4 / socket.io 5 packets over a plain WebSocket, token in the connect
 * packet's auth). Both clients do the same work per message: one JSON.parse of one frame.
 */
export type Dialect = 'agentwire' | 'socketio';

/** Receives every envelope after the greeting, with the CLOCK_MONOTONIC time (µs) its frame arrived. */
export type Collector = (envelope: EnvelopeHeader, atUs: number) => void;

/** Receives the JSON text of every envelope after the greeting (socket.io's packet framing removed), with its arrival time. */
export type TextCollector = (json: string, atUs: number) => void;

/** The subprotocols an agentwire client can ask for (the token rides next to it as bearer.<jwt>). */
export type AgentwireProtocol = 'agentwire.v1' | 'agentwire.v2';

/** No compression; no UTF-8 validation of text frames (the servers are trusted here, and it is work a load generator can skip). */
const CLIENT_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true } as const;

/** The connect URL for a server's base ws:// URL. */
export function dialectUrl(base: string, dialect: Dialect): string {
  const root = base.replace(/\/+$/, '');
  return dialect === 'socketio' ? `${root}/socket.io/?EIO=4&transport=websocket` : `${root}/ws`;
}

const SOCKET_IO_MESSAGE = '42["message",';

/** last_seq of a connection_established envelope, or null for any other message. */
function lastSeqOfGreeting(text: string): number | null {
  if (!text.startsWith('{"type":"connection_established"')) return null;
  const payload = (JSON.parse(text) as { payload?: { last_seq?: unknown } }).payload;
  return typeof payload?.last_seq === 'number' ? payload.last_seq : 0;
}

/** One authenticated client connection of the load generator. */
export class BenchConnection {
  /** The newest stream position received (0 before any). */
  lastSeq = 0;
  /** Where envelopes go; null drops them (between runs). */
  collector: Collector | null = null;
  /** When set, takes every envelope's text instead of `collector` (runs that read more than the header). */
  textCollector: TextCollector | null = null;
  /** Messages that were not JSON envelopes (protocol errors). */
  malformed = 0;
  /** The headers' strings, copied out of their frames (the collectors hold headers until they verify a run). */
  private readonly strings = new HeldStrings();

  private constructor(
    readonly userId: string,
    private readonly socket: WebSocket,
    private readonly dialect: Dialect,
  ) {}

  /** Opens a connection and resolves once the server greeted it (connection_established, or socket.io's connect ack). */
  static open(base: string, dialect: Dialect, user: BenchUser, timeoutMs = 30_000, protocol: AgentwireProtocol = 'agentwire.v1'): Promise<BenchConnection> {
    const url = dialectUrl(base, dialect);
    const socket =
      dialect === 'agentwire'
        ? new WebSocket(url, [protocol, `bearer.${user.token}`], CLIENT_OPTIONS)
        : new WebSocket(url, CLIENT_OPTIONS);
    const connection = new BenchConnection(user.userId, socket, dialect);
    return new Promise<BenchConnection>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${user.userId}: no greeting within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.terminate();
        reject(error);
      };
      socket.once('error', fail);
      socket.once('unexpected-response', (_request, response) => fail(new Error(`${user.userId}: HTTP ${String(response.statusCode)} at the upgrade`)));
      socket.once('close', (code) => fail(new Error(`${user.userId}: closed with ${code} before the greeting`)));
      const greeted = (): void => {
        clearTimeout(timer);
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        resolve(connection);
      };
      if (dialect === 'agentwire') connection.listenAgentwire(greeted);
      else connection.listenSocketIo(user.token, greeted, fail);
    });
  }

  /** Sends a command: `{type, ...body}` as JSON, or the socket.io event `type` with `body`. */
  request(type: string, body: Readonly<Record<string, unknown>>): void {
    this.socket.send(this.dialect === 'agentwire' ? JSON.stringify({ type, ...body }) : `42${JSON.stringify([type, body])}`);
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Closes the connection (1000) and resolves once it is closed, or terminates it after timeoutMs. */
  close(timeoutMs = 5000): Promise<void> {
    this.collector = null;
    this.textCollector = null;
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close(1000);
    });
  }

  private deliver(envelope: EnvelopeHeader, atUs: number): void {
    if (envelope.seq !== null) this.lastSeq = envelope.seq;
    this.collector?.(envelope, atUs);
  }

  private listenAgentwire(greeted: () => void): void {
    let waiting = true;
    this.socket.on('message', (data: Buffer) => {
      const atUs = monotonicUs();
      const text = data.toString();
      if (waiting) {
        const greeting = lastSeqOfGreeting(text);
        if (greeting === null) return;
        waiting = false;
        this.lastSeq = greeting;
        greeted();
        return;
      }
      if (this.textCollector !== null) return this.textCollector(text, atUs);
      const envelope = readEnvelope(text, 0, '', this.strings);
      if (envelope === null) this.malformed += 1;
      else this.deliver(envelope, atUs);
    });
  }

  /** engine.io: 0 open, 2 ping (answered 3), 4x socket.io packets: 40 connect ack, 42 event, 44 connect error. */
  private listenSocketIo(token: string, greeted: () => void, fail: (error: Error) => void): void {
    this.socket.on('message', (data: Buffer) => {
      const atUs = monotonicUs();
      const text = data.toString();
      switch (text.charCodeAt(0)) {
        case 0x30: // 0: engine.io open
          this.socket.send(`40${JSON.stringify({ token })}`);
          return;
        case 0x32: // 2: ping
          this.socket.send('3');
          return;
        case 0x34: // 4: a socket.io packet
          break;
        default:
          return;
      }
      const kind = text.charCodeAt(1);
      if (kind === 0x30) return greeted(); // 40: connected
      if (kind === 0x34) return fail(new Error(`${this.userId}: socket.io refused the connection: ${text.slice(2)}`));
      if (kind !== 0x32) return;
      // 42["message",{envelope}]
      if (this.textCollector !== null) {
        if (text.startsWith(SOCKET_IO_MESSAGE)) this.textCollector(text.slice(SOCKET_IO_MESSAGE.length, text.length - 1), atUs);
        else this.malformed += 1;
        return;
      }
      const envelope = text.startsWith(SOCKET_IO_MESSAGE) ? readEnvelope(text, SOCKET_IO_MESSAGE.length, ']', this.strings) : null;
      if (envelope === null) this.malformed += 1;
      else this.deliver(envelope, atUs);
    });
  }
}

/** Opens a connection for each user, at most `concurrency` handshakes at a time; rejects on the first failure. */
export async function openConnections(
  base: string,
  dialect: Dialect,
  users: readonly BenchUser[],
  concurrency = 200,
  protocol: AgentwireProtocol = 'agentwire.v1',
): Promise<BenchConnection[]> {
  const connections: BenchConnection[] = new Array<BenchConnection>(users.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < users.length) {
      const index = next++;
      connections[index] = await BenchConnection.open(base, dialect, users[index] as BenchUser, 30_000, protocol);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, worker));
  } catch (error) {
    await Promise.all(connections.filter((connection) => connection !== undefined).map((connection) => connection.close(1000)));
    throw error;
  }
  return connections;
}
