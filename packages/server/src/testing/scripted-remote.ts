// A real AG-UI-over-SSE server on 127.0.0.1 whose behaviour each test scripts: the remote agent
// of a test of remote agents (AGENTWIRE_REMOTE_AGENTS), whatever it must do wrong.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the remote received: its parsed body and headers, and whether the client went away before the answer ended. */
export interface ReceivedRequest {
  readonly body: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
  /** Resolves true when the client aborted (closed the connection before the response ended), false when the response ended. */
  readonly aborted: Promise<boolean>;
  readonly response: ServerResponse;
}

/** How the remote answers one request. */
export type RemoteBehaviour = (request: ReceivedRequest) => void | Promise<void>;

/** Starts an SSE answer (200, text/event-stream). */
export function openSse(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.flushHeaders();
}

/** Writes AG-UI events as SSE `data:` frames. */
export function writeEvents(response: ServerResponse, ...events: readonly Record<string, unknown>[]): void {
  for (const event of events) response.write(`data: ${JSON.stringify(event)}\n\n`);
}

/** A remote AG-UI agent server; `behave` decides each answer. Every request it receives is kept in `requests`. */
export class ScriptedRemote {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | null = null;
  private readonly open = new Set<ServerResponse>();

  constructor(public behave: RemoteBehaviour) {}

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (address === null || address === undefined) throw new Error('the remote is not listening');
    return `http://127.0.0.1:${address.port}/agent`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.open.add(res);
        const aborted = new Promise<boolean>((resolve) => res.on('close', () => resolve(!res.writableFinished)));
        res.on('close', () => this.open.delete(res));
        const received: ReceivedRequest = { body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, headers: req.headers, aborted, response: res };
        this.requests.push(received);
        void Promise.resolve(this.behave(received)).catch(() => res.destroy());
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    const server = this.server;
    this.server = null;
    if (server === null) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // idle keep-alive connections too
    await closed;
  }
}

