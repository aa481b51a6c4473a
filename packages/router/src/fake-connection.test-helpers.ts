import { ErrorMessageSchema, type OutboundMessage } from '@agentwirejs/protocols';
import { parseConnectionId, parseUserId } from '@agentwirejs/types';
import type { RouteContext, RouterLogger } from './route-context';

/** A connection as the gateway would describe it, recording what the router replies to it. */
export interface FakeConnection {
  readonly context: RouteContext;
  readonly replies: OutboundMessage[];
}

export function fakeConnection(userId = 'alice', connectionId = `conn-${userId}`): FakeConnection {
  const replies: OutboundMessage[] = [];
  const context: RouteContext = {
    userId: parseUserId(userId),
    connectionId: parseConnectionId(connectionId),
    reply: (message) => {
      replies.push(message);
    },
  };
  return { context, replies };
}

export interface RecordingLogger extends RouterLogger {
  readonly entries: { level: 'error' | 'warn'; details: Record<string, unknown>; message: string }[];
}

export function recordingLogger(): RecordingLogger {
  const entries: RecordingLogger['entries'] = [];
  return {
    entries,
    error: (details, message) => entries.push({ level: 'error', details: details as Record<string, unknown>, message }),
    warn: (details, message) => entries.push({ level: 'warn', details: details as Record<string, unknown>, message }),
  };
}

/** True when a reply is a well-formed wire `error` message once the manager adds its envelope fields. */
export function isWellFormedError(reply: OutboundMessage | undefined, userId = 'alice'): boolean {
  if (reply === undefined) return false;
  const enveloped = { ...reply, seq: null, ts: '2026-11-21T10:00:00.000Z', user_id: userId };
  const payloadKeys = Object.keys(reply.payload);
  return (
    ErrorMessageSchema.safeParse(enveloped).success &&
    Object.keys(reply).join() === 'type,payload' &&
    payloadKeys.every((key) => key === 'code' || key === 'message' || key === 'ref')
  );
}
