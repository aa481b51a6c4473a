import type { AddressInfo } from 'node:net';
import { eventually } from '@agentwirejs/protocols/testing';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A scripted stand-in for the gateway on a real ws server on 127.0.0.1, with only what these
 * specs need: it greets every connection (agentwire.v2, one user's stream from seq 1), answers
 * pings (the client fences each request with one), records client messages, and lets a test
 * play a run's events on the thread a start_agent named. The real gateway is exercised in
 * apps/gateway/src/e2e/react.spec.ts.
 */

export interface ClientFrame {
  readonly type: string;
  readonly [field: string]: unknown;
}

export class ScriptedGateway {
  /** Client messages of every connection, in arrival order (pings left out). */
  readonly received: ClientFrame[] = [];
  private readonly sockets = new Set<WebSocket>();
  private seq = 0;

  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as ClientFrame;
        if (frame.type === 'ping') socket.send(JSON.stringify(envelope('pong', null, {})));
        else this.received.push(frame);
      });
      socket.send(JSON.stringify(envelope('connection_established', null, { connection_id: `conn_${this.sockets.size}`, protocol: 'agentwire.v2', last_seq: this.seq, epoch: 'e1' })));
    });
  }

  static async start(): Promise<ScriptedGateway> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (offered) => (offered.has('agentwire.v2') ? 'agentwire.v2' : false) });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new ScriptedGateway(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws`;
  }

  /** Open connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** The thread of the `index`-th start_agent received, once it has arrived. */
  async startedThread(index = 0, timeoutMs = 5000): Promise<string> {
    return eventually(() => this.received.filter((frame) => frame.type === 'start_agent')[index]?.['thread_id'] as string | undefined, `start_agent ${index}`, timeoutMs);
  }

  /** Sends the next envelope of the user's stream (run event `type` with AG-UI payload fields) to every connection. */
  publish(type: string, runId: string, threadId: string, fields: Record<string, unknown> = {}): void {
    this.seq += 1;
    const frame = JSON.stringify({ ...envelope(type, this.seq, { type, ...fields }), run_id: runId, thread_id: threadId });
    for (const socket of this.sockets) socket.send(frame);
  }

  /** Skips `count` positions of the stream and announces them with a replay gap; returns the range. */
  publishGap(count: number): { from_seq: number; to_seq: number } {
    const range = { from_seq: this.seq + 1, to_seq: this.seq + count };
    this.seq += count + 1;
    const frame = JSON.stringify(envelope('CUSTOM', this.seq, { type: 'CUSTOM', name: 'agentwire.replay_gap', value: range }));
    for (const socket of this.sockets) socket.send(frame);
    return range;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The AG-UI events of one run, for publish. */
export function runScript(gateway: ScriptedGateway, runId: string, threadId: string) {
  const send = (type: string, fields: Record<string, unknown> = {}) => gateway.publish(type, runId, threadId, fields);
  return {
    started: () => send('RUN_STARTED', { threadId, runId }),
    text: (delta: string) => send('TEXT_MESSAGE_CONTENT', { messageId: 'm1', delta }),
    ask: (id: string) => send('CUSTOM', { name: 'agentwire.interrupt', value: { id, reason: 'input_required', message: 'Which time zone?' } }),
    resolved: (id: string) => send('CUSTOM', { name: 'agentwire.interrupt_resolved', value: { interruptId: id, status: 'resolved' } }),
    finished: (outcome: Record<string, unknown> = { type: 'success' }) => send('RUN_FINISHED', { threadId, runId, outcome }),
  };
}

function envelope(type: string, seq: number | null, payload: Record<string, unknown>) {
  return { type, seq, ts: new Date().toISOString(), user_id: 'alice', payload };
}


/** Something with listeners: `on(name, listener)` returns the function that removes it. */
interface Observable {
  on(name: never, listener: never): () => void;
}

/**
 * `target` with its `on` counted: `live()` is how many listeners it holds that were not removed
 * (each removal counted once, as the real unsubscribe is idempotent).
 */
export function countListeners<T extends Observable>(target: T): { counted: T; live: () => number } {
  let live = 0;
  const on = (name: never, listener: never) => {
    const stop = target.on(name, listener);
    live += 1;
    let stopped = false;
    return () => {
      if (!stopped) live -= 1;
      stopped = true;
      stop();
    };
  };
  const counted = new Proxy(target, {
    get: (object, key) => {
      if (key === 'on') return on;
      const value: unknown = Reflect.get(object, key, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
  return { counted, live: () => live };
}
