import 'reflect-metadata';
import { loadConfig } from '@agentwirejs/config';
import { type UnifiedWebSocketManager, WebSocketManagerFactory, managerOptionsFromConfig, registerWebSocketManagerFactory } from '@agentwirejs/manager';
import { AGENT_EVENT_TYPES, type AgentEvent, DEFAULT_WIRE_PROTOCOL, RUN_EVENT_TYPES, chooseWireProtocol } from '@agentwirejs/protocols';
import { UserExecutionContext, type UserId, generateConnectionId } from '@agentwirejs/types';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import type { WebSocket } from 'ws';
import { type CommandTarget, type SinkChoice, parseCommand, runCommand } from './commands';
import { type WsEndpoint, openWsEndpoint } from './endpoint';
import { BENCH_ROOM, type BenchSink, asRunEvent } from './workloads';

const agentEventTypes: ReadonlySet<string> = new Set(AGENT_EVENT_TYPES);
const runEventTypes: ReadonlySet<string> = new Set(RUN_EVENT_TYPES);

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

  constructor(private readonly options: { host: string; secret: string; room: boolean; roomStream: boolean }) {
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
      toUser: (userId, message) => {
        if (!emit) return unified.sendToUser(userId as UserId, message);
        // a burst in AG-UI's vocabulary is emitted as it is; a v1-shaped one becomes the run events the tracker would emit
        if (runEventTypes.has(message.type)) return unified.emitAgentEvent(userId as UserId, message as AgentEvent);
        if (agentEventTypes.has(message.type)) return unified.emitAgentEvent(userId as UserId, asRunEvent(message) as AgentEvent);
        return unified.sendToUser(userId as UserId, message);
      },
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
    // as the server does: the subprotocol ws confirmed, v1 without one
    await manager.addConnection(socket, { userId: context.userId, connectionId, protocol: chooseWireProtocol([socket.protocol]) ?? DEFAULT_WIRE_PROTOCOL });
    if (this.options.room) await manager.joinRoom(connectionId, BENCH_ROOM, { stream: this.options.roomStream ? 'room' : 'user' });
  }
}
