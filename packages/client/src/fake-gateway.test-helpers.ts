import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@agentwirejs/protocols/testing';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A small scripted stand-in for the gateway, on a real ws server on 127.0.0.1: it keeps one
 * user's stream (seq 1, 2, … in one epoch), greets every connection, replays after `after_seq`
 * (from the start when the client's epoch is not the current one), answers pings, and lets a
 * test refuse upgrades, refuse messages, drop connections and fold replayed deltas. Only what
 * the client's specs need; the real gateway is tested against in apps/gateway/src/e2e/client.spec.ts.
 */

export interface Envelope {
  readonly type: string;
  readonly seq: number | null;
  readonly first_seq?: number;
  readonly ts: string;
  readonly user_id: string;
  readonly thread_id?: string;
  readonly run_id?: string;
  readonly payload: Record<string, unknown>;
}

export interface ClientFrame {
  readonly type: string;
  readonly [field: string]: unknown;
}

export class FakeConnection {
  /** Client messages in arrival order (pings included). */
  readonly received: ClientFrame[] = [];
  closeCode: number | null = null;
  readonly closed: Promise<void>;

  constructor(
    readonly socket: WebSocket,
    readonly url: URL,
    readonly protocols: string[],
    readonly id: string,
  ) {
    this.closed = new Promise((resolve) =>
      socket.once('close', (code) => {
        this.closeCode = code;
        resolve();
      }),
    );
  }

  /** The token the client offered (subprotocol `bearer.<token>`). */
  get token(): string {
    return this.protocols.find((protocol) => protocol.startsWith('bearer.'))?.slice('bearer.'.length) ?? '';
  }

  /** Messages received of `type`. */
  ofType(type: string): ClientFrame[] {
    return this.received.filter((frame) => frame.type === type);
  }

  send(envelope: Envelope | string): void {
    this.socket.send(typeof envelope === 'string' ? envelope : JSON.stringify(envelope));
  }

  close(code: number, reason = ''): void {
    this.socket.close(code, reason);
  }

  /** Cuts the TCP connection without a closing handshake (what a dropped network looks like: 1006). */
  terminate(): void {
    this.socket.terminate();
  }
}

export interface FakeGatewayOptions {
  /** The epoch the stream counts in (default e1). */
  readonly epoch?: string;
}

export class FakeGateway {
  readonly connections: FakeConnection[] = [];
  /** The user's stream, every envelope with its seq. */
  readonly stream: Envelope[] = [];
  epoch: string;
  /** How many of the next upgrades to refuse with 401. */
  refuseUpgrades = 0;
  /** Upgrades refused so far. */
  refusedUpgrades = 0;
  /** When false, pings get no pong (a connection that went silent). */
  answerPings = true;
  /** Positions below after_seq the replay sends again (repeats the client must drop). */
  replayRepeats = 0;
  /** Folds adjacent TEXT_MESSAGE_CONTENT deltas of one message on a replay (first_seq..seq), as the gateway does. */
  compactReplay = false;
  /** Returns an error payload to refuse a client message with (its request_id is echoed, as the gateway does). */
  refuse: (frame: ClientFrame, connection: FakeConnection) => { code: string; message: string } | null = () => null;
  /** What the ack of a taken message carries besides its request_id (the gateway: the run a start_agent started). */
  acknowledge: (frame: ClientFrame, connection: FakeConnection) => Record<string, unknown> = () => ({});
  /** When true, answers (ack, error) to requests are kept in `heldAnswers` instead of sent (a test sends them, in any order). */
  holdAnswers = false;
  readonly heldAnswers: { readonly connection: FakeConnection; readonly answer: Envelope }[] = [];
  /** Called for every client message after the built-in handling. */
  onFrame: (frame: ClientFrame, connection: FakeConnection) => void = () => undefined;
  private readonly server: WebSocketServer;

  private constructor(server: WebSocketServer, options: FakeGatewayOptions) {
    this.server = server;
    this.epoch = options.epoch ?? 'e1';
    server.on('connection', (socket, request) => this.accept(socket, request));
  }

  static async start(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
    let gateway: FakeGateway | null = null;
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (offered) => (offered.has('agentwire.v2') ? 'agentwire.v2' : false),
      verifyClient: (_info, done) => {
        if (gateway !== null && gateway.refuseUpgrades > 0) {
          gateway.refuseUpgrades -= 1;
          gateway.refusedUpgrades += 1;
          done(false, 401, 'Unauthorized');
        } else done(true);
      },
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    gateway = new FakeGateway(server, options);
    return gateway;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws`;
  }

  get lastConnection(): FakeConnection | undefined {
    return this.connections[this.connections.length - 1];
  }

  /** Resolves with connection number `index` (0 = the first) once it has been greeted; fails after `timeoutMs`. */
  async connection(index: number, timeoutMs = 5000): Promise<FakeConnection> {
    return eventually(() => this.connections[index], `connection ${index}`, timeoutMs);
  }

  /** Appends an envelope to the user's stream and sends it to every open connection; returns it. */
  publish(event: { type: string; payload: Record<string, unknown>; run_id?: string; thread_id?: string }): Envelope {
    const envelope: Envelope = { ...event, seq: this.stream.length + 1, ts: new Date().toISOString(), user_id: 'alice' };
    this.stream.push(envelope);
    for (const connection of this.connections) if (connection.closeCode === null) connection.send(envelope);
    return envelope;
  }

  /** Appends an envelope to the stream without sending it (it happened while the client was away). */
  record(event: { type: string; payload: Record<string, unknown>; run_id?: string; thread_id?: string }): Envelope {
    const envelope: Envelope = { ...event, seq: this.stream.length + 1, ts: new Date().toISOString(), user_id: 'alice' };
    this.stream.push(envelope);
    return envelope;
  }

  /** A connection-scoped message (seq null) of the given type. */
  static message(type: string, payload: Record<string, unknown>): Envelope {
    return { type, seq: null, ts: new Date().toISOString(), user_id: 'alice', payload };
  }

  async stop(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const url = new URL(request.url ?? '/', 'ws://127.0.0.1');
    const protocols = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((protocol) => protocol.trim());
    const connection = new FakeConnection(socket, url, protocols, `conn_${this.connections.length + 1}`);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ClientFrame;
      connection.received.push(frame);
      const requestId = typeof frame['request_id'] === 'string' ? frame['request_id'] : undefined;
      if (frame.type === 'ping' && requestId === undefined) {
        if (this.answerPings) connection.send(FakeGateway.message('pong', {}));
        return;
      }
      const refusal = frame.type === 'ping' ? null : this.refuse(frame, connection);
      if (requestId !== undefined) {
        const answer =
          refusal === null
            ? FakeGateway.message('ack', { request_id: requestId, ...this.acknowledge(frame, connection) })
            : FakeGateway.message('error', { ...refusal, request_id: requestId });
        if (this.holdAnswers) this.heldAnswers.push({ connection, answer });
        else connection.send(answer);
      } else if (refusal !== null) connection.send(FakeGateway.message('error', refusal));
      if (refusal === null) this.onFrame(frame, connection);
    });
    connection.send(FakeGateway.message('connection_established', { connection_id: connection.id, protocol: 'agentwire.v2', last_seq: this.stream.length, epoch: this.epoch }));
    const afterSeq = url.searchParams.get('after_seq');
    if (afterSeq !== null) {
      const from = url.searchParams.get('epoch') === this.epoch ? Math.max(0, Number(afterSeq) - this.replayRepeats) : 0;
      for (const envelope of this.replayAfter(from)) connection.send(envelope);
    }
    this.connections.push(connection);
  }

  private replayAfter(afterSeq: number): Envelope[] {
    const replay = this.stream.slice(afterSeq);
    if (!this.compactReplay) return replay;
    const folded: Envelope[] = [];
    for (const envelope of replay) {
      const previous = folded[folded.length - 1];
      const foldable =
        previous !== undefined &&
        envelope.type === 'TEXT_MESSAGE_CONTENT' &&
        previous.type === 'TEXT_MESSAGE_CONTENT' &&
        previous.payload['messageId'] === envelope.payload['messageId'] &&
        previous.run_id === envelope.run_id;
      if (foldable) {
        folded[folded.length - 1] = {
          ...envelope,
          first_seq: previous.first_seq ?? previous.seq ?? undefined,
          payload: { ...previous.payload, delta: `${String(previous.payload['delta'])}${String(envelope.payload['delta'])}` },
        } as Envelope;
      } else folded.push(envelope);
    }
    return folded;
  }
}


/** An unsigned JWT-shaped token whose payload is `claims` (the client reads exp without verifying). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** Run events for a run on a thread, as the gateway's demo agent streams them (AG-UI payloads). */
export function runEvents(runId: string, threadId: string) {
  const event = (type: string, payload: Record<string, unknown>) => ({ type, run_id: runId, thread_id: threadId, payload: { type, ...payload } });
  return {
    started: (agent = 'demo') => event('RUN_STARTED', { threadId, runId, input: { threadId, runId, messages: [], tools: [], context: [], state: {}, forwardedProps: { agent, input: 'hi' } } }),
    textStart: (messageId = 'm1') => event('TEXT_MESSAGE_START', { messageId, role: 'assistant' }),
    text: (delta: string, messageId = 'm1') => event('TEXT_MESSAGE_CONTENT', { messageId, delta }),
    textEnd: (messageId = 'm1') => event('TEXT_MESSAGE_END', { messageId }),
    interrupt: (id: string) => event('CUSTOM', { name: 'agentwire.interrupt', value: { id, reason: 'confirmation', message: 'Go ahead?', responseSchema: { type: 'boolean' } } }),
    interruptResolved: (id: string, status = 'resolved') => event('CUSTOM', { name: 'agentwire.interrupt_resolved', value: { interruptId: id, status } }),
    finished: (outcome: Record<string, unknown> = { type: 'success' }, extra: Record<string, unknown> = {}) => event('RUN_FINISHED', { threadId, runId, outcome, ...extra }),
    error: (code: string, message: string) => event('RUN_ERROR', { code, message }),
  };
}
