import type { AddressInfo } from 'node:net';
import { type AgentEvent, type ConnectionRegistration, EventType, type RunEventPayload, type ServerEnvelope, WireProtocol } from '@agentwirejs/protocols';
import { waitForCount } from '@agentwirejs/protocols/testing';
import type { ConnectionId, RunId, ThreadId, UserId } from '@agentwirejs/types';
import { UserExecutionContext } from '@agentwirejs/types';
import WebSocket, { WebSocketServer } from 'ws';
import { WebSocketManagerFactory } from './factory';
import type { WebSocketManagerOptions } from './options';
import type { UnifiedWebSocketManager } from './unified-manager';

/** A real ws client that records what it receives. */
export class TestClient {
  readonly messages: ServerEnvelope[] = [];
  /** Frames that arrived as binary (every agentwire frame is a text frame). */
  binaryFrames = 0;
  closeCode: number | null = null;
  closeReason = '';

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.binaryFrames += 1;
      this.messages.push(JSON.parse(data.toString('utf8')) as ServerEnvelope);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString('utf8');
    });
    ws.on('error', () => undefined);
  }

  /** The stream messages received (seq not null), in order. */
  stream(): ServerEnvelope[] {
    return this.messages.filter((message) => message.seq !== null);
  }

  waitForMessages(count: number, timeoutMs = 5000): Promise<ServerEnvelope[]> {
    return waitForCount(() => this.messages, count, timeoutMs);
  }

  waitForStream(count: number, timeoutMs = 5000): Promise<ServerEnvelope[]> {
    return waitForCount(() => this.stream(), count, timeoutMs, 'stream messages');
  }

  async waitForClose(timeoutMs = 5000): Promise<number> {
    await waitForCount(() => (this.closeCode === null ? [] : [this.closeCode]), 1, timeoutMs, 'close');
    return this.closeCode as number;
  }

  /** Stops reading from the socket (the server's sends back up), or starts again. */
  pauseReading(paused: boolean): void {
    const socket = (this.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    if (paused) socket.pause();
    else socket.resume();
  }
}

/** A ws server on 127.0.0.1 (port 0) that hands each accepted socket to the client that opened it. */
export class TestServer {
  private readonly pending = new Map<string, (socket: WebSocket) => void>();
  private readonly clients = new Set<WebSocket>();
  private next = 0;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {
    wss.on('connection', (socket, request) => {
      const id = new URL(request.url ?? '/', 'ws://test').searchParams.get('id') ?? '';
      this.pending.get(id)?.(socket);
      this.pending.delete(id);
    });
  }

  static async start(): Promise<TestServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const { port } = wss.address() as AddressInfo;
    return new TestServer(wss, `ws://127.0.0.1:${port}/ws`);
  }

  /** Opens a client; resolves with it and the server side of the same connection. */
  async open(options: WebSocket.ClientOptions = {}): Promise<{ client: TestClient; socket: WebSocket }> {
    const id = String((this.next += 1));
    const accepted = new Promise<WebSocket>((resolve) => this.pending.set(id, resolve));
    const ws = new WebSocket(`${this.url}?id=${id}`, options);
    this.clients.add(ws);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return { client, socket: await accepted };
  }

  async close(): Promise<void> {
    for (const ws of this.clients) ws.terminate();
    for (const socket of this.wss.clients) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** One connection opened by a rig: the client, the server socket and its registration. */
export interface RigConnection {
  readonly client: TestClient;
  readonly socket: WebSocket;
  readonly connectionId: ConnectionId;
  readonly userId: UserId;
}

/** A factory and a ws server: connect() opens a real client, registers its server socket with a manager and waits for the greeting. */
export interface Rig {
  readonly factory: WebSocketManagerFactory;
  readonly unified: UnifiedWebSocketManager;
  readonly server: TestServer;
  connect(manager: UnifiedWebSocketManager, userId: string, registration?: Partial<ConnectionRegistration>, clientOptions?: WebSocket.ClientOptions): Promise<RigConnection>;
  dispose(): Promise<void>;
}

/** Starts a rig; timers are off unless `options` turns them on (tests drive them). */
export async function startRig(options: WebSocketManagerOptions = {}): Promise<Rig> {
  const server = await TestServer.start();
  const factory = new WebSocketManagerFactory({ heartbeatIntervalMs: 0, idleSweepIntervalMs: 0, ...options });
  return {
    factory,
    unified: factory.getUnifiedManager(),
    server,
    async connect(manager, userId, registration = {}, clientOptions = {}) {
      const { client, socket } = await server.open(clientOptions);
      const info = await manager.addConnection(socket, { ...registration, userId: userId as UserId });
      await client.waitForMessages(1); // connection_established
      return { client, socket, connectionId: info.connectionId, userId: userId as UserId };
    },
    async dispose() {
      await factory.shutdown();
      await server.close();
    },
  };
}

/** A context for `userId`, as the gateway builds one per connection. */
export function contextFor(userId: string): UserExecutionContext {
  return UserExecutionContext.create({ userId, threadId: `thread-${userId}`, runId: `run-${userId}` });
}

/** A note message for tests. */
export function note(payload: Record<string, unknown>): { type: string; payload: Record<string, unknown> } {
  return { type: 'note', payload };
}

/** Registration options of an agentwire.v2 connection. */
export const V2: { readonly protocol: WireProtocol } = { protocol: WireProtocol.V2 };

/** The ids of one run, as the execution tracker puts them on each event. */
export interface RunIds {
  readonly run_id: RunId;
  readonly thread_id: ThreadId;
}

export function runIds(runId: string, threadId = `thread-${runId}`): RunIds {
  return { run_id: runId as RunId, thread_id: threadId as ThreadId };
}

/** One AG-UI run event of `ids` (the envelope type is the payload's). */
export function runEvent(ids: RunIds, payload: RunEventPayload): AgentEvent {
  return { type: payload.type, ...ids, payload };
}

/** RUN_STARTED as the tracker emits it, for agent `agent` asked `input`. */
export function runStarted(ids: RunIds, input: string | Record<string, unknown> = 'hi', agent = 'demo'): AgentEvent {
  const { run_id: runId, thread_id: threadId } = ids;
  return runEvent(ids, {
    type: EventType.RUN_STARTED,
    threadId,
    runId,
    input: { threadId, runId, messages: [], tools: [], context: [], state: {}, forwardedProps: { agent, input } },
  });
}

/** A successful RUN_FINISHED with `result` as the final response. */
export function runFinished(ids: RunIds, result?: string, eventCount = 0): AgentEvent {
  return runEvent(ids, {
    type: EventType.RUN_FINISHED,
    threadId: ids.thread_id,
    runId: ids.run_id,
    outcome: { type: 'success' },
    ...(result === undefined ? {} : { result }),
    metadata: { agentwire: { duration_ms: 9, event_count: eventCount } },
  } as RunEventPayload);
}

/** A streamed text message: START, one CONTENT per delta, END. */
export function textMessage(ids: RunIds, messageId: string, deltas: readonly string[]): AgentEvent[] {
  return [
    runEvent(ids, { type: EventType.TEXT_MESSAGE_START, messageId, role: 'assistant' }),
    ...deltas.map((delta) => runEvent(ids, { type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta })),
    runEvent(ids, { type: EventType.TEXT_MESSAGE_END, messageId }),
  ];
}

/** A tool call: START, ARGS, END, RESULT (with agentwire's metadata). */
export function toolCall(ids: RunIds, toolCallId: string, name: string, args: Record<string, unknown>, result: unknown): AgentEvent[] {
  return [
    runEvent(ids, { type: EventType.TOOL_CALL_START, toolCallId, toolCallName: name }),
    runEvent(ids, { type: EventType.TOOL_CALL_ARGS, toolCallId, delta: JSON.stringify(args) }),
    runEvent(ids, { type: EventType.TOOL_CALL_END, toolCallId }),
    runEvent(ids, {
      type: EventType.TOOL_CALL_RESULT,
      messageId: `result-${toolCallId}`,
      toolCallId,
      role: 'tool',
      content: JSON.stringify(result),
      metadata: { agentwire: { tool_name: name, duration_ms: 2, success: true } },
    } as RunEventPayload),
  ];
}

/** A whole run of 6 events: RUN_STARTED, a tool call (START, ARGS, END, RESULT), RUN_FINISHED. */
export function smallRun(runId: string, threadId?: string): AgentEvent[] {
  const ids = runIds(runId, threadId);
  return [runStarted(ids, `question for ${runId}`), ...toolCall(ids, `call-${runId}`, 'search', { q: runId }, [runId]), runFinished(ids, `answer for ${runId}`, 6)];
}

/** The text of every delta a client received of message `messageId`, concatenated in arrival order. */
export function receivedText(messages: readonly ServerEnvelope[], messageId: string): string {
  return messages
    .filter((message) => message.type === EventType.TEXT_MESSAGE_CONTENT && message.payload['messageId'] === messageId)
    .map((message) => message.payload['delta'] as string)
    .join('');
}
