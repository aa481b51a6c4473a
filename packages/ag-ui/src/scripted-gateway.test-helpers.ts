import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A scripted stand-in for an agentwire gateway on a real ws server on 127.0.0.1, with just what
 * the adapter's specs need: one user's stream (seq 1, 2, …), a greeting per connection, replay
 * after `after_seq`, pongs, refusals, and runs whose events the test publishes. The real gateway
 * is tested against in apps/gateway/src/e2e/ag-ui-adapter.spec.ts.
 */

export interface ClientFrame {
  readonly type: string;
  readonly [field: string]: unknown;
}

interface Envelope {
  readonly type: string;
  readonly seq: number | null;
  readonly ts: string;
  readonly user_id: string;
  readonly run_id?: string;
  readonly thread_id?: string;
  readonly payload: Record<string, unknown>;
}

const EPOCH = 'e1';

export class ScriptedGateway {
  /** Client messages in arrival order, pings left out (their request_id left out too: the gateway answers it). */
  readonly received: ClientFrame[] = [];
  /** Connections accepted so far. */
  connections = 0;
  /** Returns `{code, message}` to refuse a client message with, or null to take it. */
  refuse: (frame: ClientFrame) => { code: string; message: string } | null = () => null;
  /** Called for every client message the gateway took (e.g. to start a scripted run); what it returns goes into the ack (the run a start started). */
  onFrame: (frame: ClientFrame) => void | Record<string, unknown> = () => undefined;
  private readonly stream: Envelope[] = [];
  private readonly sockets = new Set<WebSocket>();
  /** While true, published envelopes are kept for the replay but not sent (the client is away). */
  private away = false;

  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (socket, request) => this.accept(socket, new URL(request.url ?? '/', 'ws://127.0.0.1')));
  }

  static async start(): Promise<ScriptedGateway> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (offered) => (offered.has('agentwire.v2') ? 'agentwire.v2' : false) });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new ScriptedGateway(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws`;
  }

  /** Client messages of `type` received so far. */
  ofType(type: string): ClientFrame[] {
    return this.received.filter((frame) => frame.type === type);
  }

  /** Appends a run event (an AG-UI payload) to the stream and sends it, unless the client is away. */
  publish(runId: string, threadId: string, payload: { readonly type: string; readonly [field: string]: unknown }): void {
    const envelope: Envelope = { type: payload.type, seq: this.stream.length + 1, ts: new Date().toISOString(), user_id: 'alice', run_id: runId, thread_id: threadId, payload: { ...payload } };
    this.stream.push(envelope);
    if (!this.away) for (const socket of this.sockets) socket.send(JSON.stringify(envelope));
  }

  /** Cuts every connection without a closing handshake (a dropped network) and keeps what is published next for the replay. */
  dropConnections(): void {
    this.away = true;
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    for (const socket of this.server.clients) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket, url: URL): void {
    this.connections += 1;
    this.away = false;
    socket.on('message', (data) => {
      const { request_id: requestId, ...frame } = JSON.parse(String(data)) as ClientFrame & { request_id?: string };
      if (frame.type === 'ping') {
        socket.send(JSON.stringify(requestId === undefined ? message('pong', {}) : message('ack', { request_id: requestId })));
        return;
      }
      this.received.push(frame);
      // every request gets one answer naming its request_id: the error that refused it, or an ack
      const refusal = this.refuse(frame);
      const answer = (payload: Record<string, unknown>): Record<string, unknown> => (requestId === undefined ? payload : { ...payload, request_id: requestId });
      if (refusal !== null) {
        socket.send(JSON.stringify(message('error', answer(refusal))));
        return;
      }
      const details = this.onFrame(frame) ?? {};
      if (requestId !== undefined) socket.send(JSON.stringify(message('ack', answer(details))));
    });
    socket.on('close', () => this.sockets.delete(socket));
    socket.send(JSON.stringify(message('connection_established', { connection_id: `conn_${this.connections}`, protocol: 'agentwire.v2', last_seq: this.stream.length, epoch: EPOCH })));
    const afterSeq = url.searchParams.get('after_seq');
    if (afterSeq !== null) for (const envelope of this.stream.slice(Number(afterSeq))) socket.send(JSON.stringify(envelope));
    this.sockets.add(socket);
  }
}

/** A connection-scoped message (seq null). */
function message(type: string, payload: Record<string, unknown>): Envelope {
  return { type, seq: null, ts: new Date().toISOString(), user_id: 'alice', payload };
}

/** The AG-UI events of run `runId` of `agent` on `threadId`, as an agentwire gateway sends them. */
export function agUiEvents(runId: string, threadId: string, agent = 'demo') {
  return {
    started: (input: unknown = 'hi') => ({
      type: 'RUN_STARTED',
      threadId,
      runId,
      // the gateway echoes the start, with the user message under an id of its own
      input: { threadId, runId, messages: [{ id: `${runId}-input`, role: 'user', content: String(input) }], tools: [], context: [], state: {}, forwardedProps: { agent, input } },
    }),
    textStart: (messageId = `${runId}-msg`) => ({ type: 'TEXT_MESSAGE_START', messageId, role: 'assistant' }),
    text: (delta: string, messageId = `${runId}-msg`) => ({ type: 'TEXT_MESSAGE_CONTENT', messageId, delta }),
    textEnd: (messageId = `${runId}-msg`) => ({ type: 'TEXT_MESSAGE_END', messageId }),
    interrupt: (id: string) => ({ type: 'CUSTOM', name: 'agentwire.interrupt', value: { id, reason: 'confirmation', message: 'Go ahead?', responseSchema: { type: 'boolean' } } }),
    interruptResolved: (id: string) => ({ type: 'CUSTOM', name: 'agentwire.interrupt_resolved', value: { interruptId: id, status: 'resolved' } }),
    finished: (outcome: 'success' | 'cancelled' = 'success', result?: unknown) => ({ type: 'RUN_FINISHED', threadId, runId, outcome: { type: outcome }, ...(result === undefined ? {} : { result }) }),
  };
}

