import type { ManagerStats } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
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
  /**
   * Stream frames folded into an earlier queued frame for a slow consumer: deltas merged into
   * the previous delta of their message, tool call or reasoning, snapshots superseded by a newer
   * one. No stream position is lost: the folded frame carries first_seq..seq.
   */
  messagesDropped = 0;
  /** Connections closed with 1013 because a frame neither folded nor fit in the send queue. */
  slowConsumerCloses = 0;
  /** Connections terminated for a missed pong. */
  heartbeatTerminations = 0;
  /** Replays served (resume() calls and connections added with afterSeq). */
  replays = 0;
  /** Envelopes delivered by replays (a compacted envelope counts once). */
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
  /** Frames waiting (a folded frame counts once). */
  readonly frames: number;
  readonly bytes: number;
  /** Frames folded into an earlier queued frame on this connection so far (merged deltas, superseded snapshots; nothing lost). */
  readonly dropped: number;
  /** The socket's own bufferedAmount now. */
  readonly bufferedAmount: number;
}
