import { type Server as HttpServer, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { type CommandTarget, type SinkChoice, runCommand } from './commands';
import { TokenVerifier } from './endpoint';
import { BENCH_ROOM, type BenchSink } from './workloads';

/** The client→server events the socket.io baseline answers (the same commands as the other servers). */
const COMMAND_EVENTS = ['start_agent', 'bench_broadcast', 'bench_pace'] as const;

/**
 * The socket.io 4 baseline, websocket transport only: the token is checked by a middleware on the
 * connect packet's auth, each socket joins a room named after its user, and every message goes
 * out with io.to(room).emit('message', envelope).
 */
export class SocketIoServer implements CommandTarget {
  private readonly seqs = new Map<string, number>();
  private io: Server | null = null;
  private http: HttpServer | null = null;

  constructor(private readonly options: { host: string; secret: string; room: boolean }) {}

  async start(): Promise<number> {
    const verifier = new TokenVerifier(this.options.secret);
    const http = (this.http = createServer());
    const io = (this.io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false }));
    io.use((socket, next) => {
      const token: unknown = socket.handshake.auth['token'];
      if (typeof token !== 'string') return next(new Error('unauthorized'));
      verifier.userOf(token).then(
        (userId) => {
          socket.data = { userId };
          next();
        },
        () => next(new Error('unauthorized')),
      );
    });
    io.on('connection', (socket) => {
      const userId = (socket.data as { userId: string }).userId;
      void socket.join(userId);
      if (this.options.room) void socket.join(BENCH_ROOM);
      for (const event of COMMAND_EVENTS) {
        socket.on(event, (body: unknown) => {
          const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
          runCommand(this, userId, { ...fields, type: event });
        });
      }
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, this.options.host, () => resolve());
    });
    return (http.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.io?.disconnectSockets(true);
    await new Promise<void>((resolve) => (this.io === null ? resolve() : this.io.close(() => resolve())));
    this.http?.closeAllConnections();
  }

  sink(_choice: SinkChoice): BenchSink {
    const io = this.io as Server;
    return {
      toUser: (userId, message) => {
        const seq = (this.seqs.get(userId) ?? 0) + 1;
        this.seqs.set(userId, seq);
        const body: Record<string, unknown> = { type: message.type, seq, ts: new Date().toISOString(), user_id: userId };
        if (message.thread_id !== undefined) body['thread_id'] = message.thread_id;
        if (message.run_id !== undefined) body['run_id'] = message.run_id;
        body['payload'] = message.payload;
        io.to(userId).emit('message', body);
      },
      toRoom: (room, message) => {
        io.to(room).emit('message', { type: message.type, seq: null, ts: new Date().toISOString(), payload: message.payload });
      },
    };
  }

  report(error: unknown): void {
    process.stderr.write(`socket.io server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}
