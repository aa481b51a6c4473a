import 'reflect-metadata';
import { loadConfig } from '@agentwirejs/config';
import { type UnifiedWebSocketManager, WebSocketManagerFactory, managerOptionsFromConfig, registerWebSocketManagerFactory } from '@agentwirejs/manager';
import { AGENT_EVENT_TYPES, type AgentEvent, type OutboundMessage } from '@agentwirejs/protocols';
import { UserExecutionContext, type UserId, generateConnectionId } from '@agentwirejs/types';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import type { WebSocket } from 'ws';
import { type CommandTarget, type SinkChoice, parseCommand, runCommand } from './commands';
import { type WsEndpoint, openWsEndpoint } from './endpoint';
import { BENCH_ROOM, type BenchSink } from './workloads';

const agentEventTypes: ReadonlySet<string> = new Set(AGENT_EVENT_TYPES);

/**
 * The run event the gateway's execution tracker emits for one of the burst's v1-shaped messages
 * (emitAgentEvent takes AG-UI run events since agentwire.v2; a v1 connection gets them translated
 * back at the edge, so the clients see agent_started, agent_thinking, agent_completed as before).
 * Other messages are returned unchanged.
 */
export function asRunEvent(message: OutboundMessage): OutboundMessage {
  const threadId = message.thread_id ?? '';
  const runId = message.run_id ?? '';
  const payload = message.payload;
  const event = (type: string, body: Readonly<Record<string, unknown>>): OutboundMessage => ({ ...message, type, payload: { type, ...body } });
  switch (message.type) {
    case 'agent_started':
      return event('RUN_STARTED', {
        threadId,
        runId,
        input: { threadId, runId, messages: [], tools: [], context: [], state: {}, forwardedProps: { agent: payload['agent_name'], input: payload['input'] } },
      });
    case 'agent_thinking':
      return event('REASONING_MESSAGE_CHUNK', { messageId: `${runId}-reasoning`, delta: payload['reasoning'] });
    case 'agent_completed':
      return event('RUN_FINISHED', {
        threadId,
        runId,
        outcome: { type: 'success' },
        result: payload['final_response'],
        metadata: { agentwire: { duration_ms: payload['duration_ms'], event_count: payload['event_count'] } },
      });
    default:
      return message;
  }
}

/**
 * The manager under test, wired as the gateway wires it (a factory in a child container, options
 * from loadConfig's defaults): each authenticated socket gets a manager bound to its user and is
 * added with addConnection; messages go out through the unified manager's public API, the one the
 * gateway's execution tracker uses (emitAgentEvent, sendToUser, broadcastToRoom).
 */
export class ManagerServer implements CommandTarget {
  private readonly container: DependencyContainer;
  private readonly factory: WebSocketManagerFactory;
  private readonly unified: UnifiedWebSocketManager;
  private endpoint: WsEndpoint | null = null;

  constructor(private readonly options: { host: string; secret: string; room: boolean }) {
    const config = loadConfig({ AGENTWIRE_ENV: 'test', AGENTWIRE_JWT_SECRET: options.secret });
    this.container = rootContainer.createChildContainer();
    registerWebSocketManagerFactory(this.container, { ...managerOptionsFromConfig(config), onError: (error) => this.report(error) });
    this.factory = this.container.resolve(WebSocketManagerFactory);
    this.unified = this.factory.getUnifiedManager();
  }

  async start(): Promise<number> {
    this.endpoint = await openWsEndpoint({
      host: this.options.host,
      secret: this.options.secret,
      onSocket: (socket, userId) => void this.add(socket, userId).catch((error: unknown) => this.report(error)),
    });
    return this.endpoint.port;
  }

  async stop(): Promise<void> {
    await this.factory.shutdown();
    await this.endpoint?.close();
  }

  sink(choice: SinkChoice): BenchSink {
    const unified = this.unified;
    const emit = choice.via !== 'send';
    return {
      toUser: (userId, message) =>
        emit && agentEventTypes.has(message.type) ? unified.emitAgentEvent(userId as UserId, asRunEvent(message) as AgentEvent) : unified.sendToUser(userId as UserId, message),
      toRoom: (room, message) => unified.broadcastToRoom(room, message),
    };
  }

  report(error: unknown): void {
    process.stderr.write(`manager server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }

  private async add(socket: WebSocket, userId: string): Promise<void> {
    const connectionId = generateConnectionId();
    const context = new UserExecutionContext({ userId, connectionId });
    socket.on('message', (data) => {
      const command = parseCommand(data);
      if (command !== null) runCommand(this, userId, command);
    });
    const manager = this.factory.createManager(context);
    await manager.addConnection(socket, { userId: context.userId, connectionId });
    if (this.options.room) await manager.joinRoom(connectionId, BENCH_ROOM);
  }
}
