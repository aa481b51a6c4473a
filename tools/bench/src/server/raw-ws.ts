import type { OutboundMessage } from '@agentwirejs/protocols';
import { generateConnectionId } from '@agentwirejs/types';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { type CommandTarget, type SinkChoice, parseCommand, runCommand } from './commands';
import { type WsEndpoint, openWsEndpoint } from './endpoint';
import type { BenchSink } from './workloads';

interface UserSockets {
  seq: number;
  readonly sockets: WebSocket[];
}

/** The envelope fields in the order agentwire writes them, so every server sends the same JSON. */
function envelope(message: OutboundMessage, seq: number | null, userId: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { type: message.type, seq, ts: new Date().toISOString() };
  if (userId !== undefined) out['user_id'] = userId;
  if (message.thread_id !== undefined) out['thread_id'] = message.thread_id;
  if (message.run_id !== undefined) out['run_id'] = message.run_id;
  out['payload'] = message.payload;
  return out;
}

/** The net.Socket under a server-side `ws` socket (ws has no public cork). */
function netSocketOf(socket: WebSocket): Socket {
  return (socket as unknown as { _socket: Socket })._socket;
}

/**
 * The raw `ws` baseline: what a hand-written server does with no framework. Sockets by user in a
 * Map, a seq counter per user, JSON.stringify per socket; a room message is stringified once per
 * socket, or once in all (serialize-once). With `cork`, a user's frames of one turn of the event
 * loop leave in one socket write (the socket corked at the first, uncorked at setImmediate), as
 * the manager writes them (coalesceWrites): the reference for what that batching is worth by hand.
 */
export class RawWsServer implements CommandTarget {
  private readonly users = new Map<string, UserSockets>();
  private readonly room = new Set<WebSocket>();
  private readonly corked = new Set<Socket>();
  private endpoint: WsEndpoint | null = null;

  constructor(private readonly options: { host: string; secret: string; room: boolean; cork?: boolean }) {}

  async start(): Promise<number> {
    this.endpoint = await openWsEndpoint({ host: this.options.host, secret: this.options.secret, onSocket: (socket, userId) => this.add(socket, userId) });
    return this.endpoint.port;
  }

  async stop(): Promise<void> {
    await this.endpoint?.close();
  }

  sink(choice: SinkChoice): BenchSink {
    const once = choice.serialize !== 'per-socket';
    return {
      toUser: (userId, message) => {
        const slot = this.users.get(userId);
        if (slot === undefined) return;
        slot.seq += 1;
        const body = envelope(message, slot.seq, userId);
        for (const socket of slot.sockets) {
          if (this.options.cork === true) this.corkUntilTurnEnds(socket);
          socket.send(JSON.stringify(body));
        }
      },
      toRoom: (_room, message) => {
        const body = envelope(message, null, undefined);
        if (once) {
          const json = JSON.stringify(body);
          for (const socket of this.room) socket.send(json);
        } else {
          for (const socket of this.room) socket.send(JSON.stringify(body));
        }
      },
    };
  }

  private corkUntilTurnEnds(socket: WebSocket): void {
    const net = netSocketOf(socket);
    if (this.corked.has(net)) return;
    net.cork();
    this.corked.add(net);
    if (this.corked.size === 1) {
      setImmediate(() => {
        for (const corked of this.corked) corked.uncork();
        this.corked.clear();
      });
    }
  }

  report(error: unknown): void {
    process.stderr.write(`raw ws server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }

  private add(socket: WebSocket, userId: string): void {
    let slot = this.users.get(userId);
    if (slot === undefined) this.users.set(userId, (slot = { seq: 0, sockets: [] }));
    const mine = slot;
    mine.sockets.push(socket);
    if (this.options.room) this.room.add(socket);
    socket.on('message', (data) => {
      const command = parseCommand(data);
      if (command !== null) runCommand(this, userId, command);
    });
    socket.on('close', () => {
      mine.sockets.splice(mine.sockets.indexOf(socket), 1);
      this.room.delete(socket);
      if (mine.sockets.length === 0 && this.users.get(userId) === mine) this.users.delete(userId);
    });
    const greeting = { type: 'connection_established', seq: null, payload: { connection_id: generateConnectionId(), protocol: 'agentwire.v1', last_seq: mine.seq } };
    socket.send(JSON.stringify(envelope(greeting, null, userId)));
  }
}
