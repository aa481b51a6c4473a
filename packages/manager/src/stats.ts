import type { ManagerStats } from '@agentwire/protocols';
import type { UserId } from '@agentwire/types';
import type { ManagerLimit } from './errors';

/**
 * Delivery counters. The registry keeps one set for the whole process; each manager keeps one
 * for the connections it owns.
 */
export class DeliveryCounters {
  /** Frames written to sockets (stream envelopes, connection messages, replayed envelopes, replay_gap notices). */
  messagesSent = 0;
  /** Frames that waited in a connection's send queue because its socket was backed up. */
  messagesQueued = 0;
  /** Droppable frames (agent_thinking) dropped for a slow consumer. */
  messagesDropped = 0;
  /** Connections closed with 1013 because even dropping was not enough. */
  slowConsumerCloses = 0;
  /** Connections terminated for a missed pong. */
  heartbeatTerminations = 0;
  /** resume() calls served. */
  replays = 0;
  /** Envelopes delivered by resume(). */
  replayedMessages = 0;
  connectionsAdded = 0;
  connectionsRemoved = 0;
  /** Sends that threw (the connection is then closed with 1011). */
  sendErrors = 0;
  isolationViolations = 0;
}

/** What getStats() reports: the protocol's counters plus delivery and back-pressure figures. */
export interface UnifiedManagerStats extends ManagerStats {
  readonly managerId: string;
  /** The user a user-bound manager serves; null in unified mode. */
  readonly boundUserId: UserId | null;
  /** False once shut down or disposed. */
  readonly active: boolean;
  readonly messagesQueued: number;
  /** Frames waiting in send queues now. */
  readonly queuedFrames: number;
  /** Bytes waiting in send queues now. */
  readonly queuedBytes: number;
  readonly slowConsumerCloses: number;
  readonly heartbeatTerminations: number;
  readonly replays: number;
  readonly replayedMessages: number;
  readonly connectionsAdded: number;
  readonly connectionsRemoved: number;
  readonly sendErrors: number;
  /** Background failures (unsubscribe, room leave); see the onError option. */
  readonly backgroundErrors: number;
}

/** Factory-wide figures for /metrics. User-bound managers only; the unified manager is not counted. */
export interface FactoryMetrics {
  readonly managersCreated: number;
  readonly managersActive: number;
  readonly managersDisposed: number;
  /** Disposals by reason (explicit, idle, last connection closed, shutdown). */
  readonly managersDisposedBy: Readonly<Record<'disposed' | 'idle' | 'empty' | 'shutdown', number>>;
  readonly usersWithManagers: number;
  /** Refusals by limit. */
  readonly limitHits: Readonly<Record<ManagerLimit, number>>;
  readonly limitHitsTotal: number;
  readonly isolationViolations: number;
  readonly connections: number;
  readonly connectedUsers: number;
}

/** Back-pressure state of one connection (getSendQueue). */
export interface SendQueueStats {
  /** Frames waiting (gap notices not included). */
  readonly frames: number;
  readonly bytes: number;
  /** Droppable frames dropped on this connection so far. */
  readonly dropped: number;
  /** The socket's own bufferedAmount now. */
  readonly bufferedAmount: number;
}
