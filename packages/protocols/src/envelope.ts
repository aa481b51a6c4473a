import type { UserId } from '@agentwire/types';
import type { OutboundMessage } from './wire/server-messages';

/** Writes the envelope of one message for one recipient: `{type, seq, ts, user_id, thread_id?, run_id?, payload}`. */
export type EnvelopeWriter = (seq: number | null, userId: UserId, ts: string) => string;

/**
 * Serializes a message once and returns a writer that only splices in the per-recipient
 * header (seq, ts, user_id). A room or broadcast of one message to many users stringifies the
 * payload once, however many users receive it.
 */
export function envelopeWriter(message: OutboundMessage): EnvelopeWriter {
  const head = `{"type":${JSON.stringify(message.type)},"seq":`;
  let tail = '';
  if (message.thread_id !== undefined) tail += `,"thread_id":${JSON.stringify(message.thread_id)}`;
  if (message.run_id !== undefined) tail += `,"run_id":${JSON.stringify(message.run_id)}`;
  tail += `,"payload":${JSON.stringify(message.payload)}}`;
  return (seq, userId, ts) => `${head}${seq === null ? 'null' : String(seq)},"ts":"${ts}","user_id":${JSON.stringify(userId)}${tail}`;
}

/** Serializes one envelope for one recipient. */
export function serializeEnvelope(message: OutboundMessage, seq: number | null, userId: UserId, ts: string): string {
  return envelopeWriter(message)(seq, userId, ts);
}
