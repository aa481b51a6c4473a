import { AgentwireCustomEvent, EventType, type OutboundMessage, type StreamEntry, WireProtocol, serializeEnvelope } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import { CompactedDelta, type ReplayItem, isGapEntry } from './compaction';

/**
 * How stream entries become frames on one connection, by its wire protocol: agentwire.v2
 * writes the stored envelope as it is (the hot path: no parse, no copy); agentwire.v1
 * translates AG-UI run events to v1 events (v1-translation.ts). Called in seq order for each
 * connection, so a renderer may keep (bounded) state.
 */
export interface FrameRenderer {
  readonly protocol: WireProtocol;
  /** The frame of one stream entry (the same seq). */
  entry(entry: StreamEntry): string;
  /**
   * True when entry(entry) is the entry's stored envelope as it is (entry.json), known without
   * reading it and changing nothing: the frame can then go out as the backplane's bytes.
   */
  writesStored(entry: StreamEntry): boolean;
  /** The frame of deltas folded on a replay (compactBatch); the renderer has not seen them one by one. */
  compacted(delta: CompactedDelta): string;
  /** The frame of deltas folded in a slow consumer's queue; each was already passed to entry(). */
  merged(delta: CompactedDelta): string;
  /** A connection-scoped message (seq null): greeting, pong, error, a replay's gap notice. */
  notice(message: OutboundMessage, userId: UserId, ts: string): string;
}

/** The frame of one replay item. */
export function renderItem(renderer: FrameRenderer, item: ReplayItem): string {
  return item instanceof CompactedDelta ? renderer.compacted(item) : renderer.entry(item);
}

/**
 * Writes a folded delta's envelope: `{"type","seq","first_seq","ts","user_id","thread_id"?,"run_id"?,"payload"}`
 * (first_seq right after seq), payload = the first delta's with `delta` = the concatenation.
 */
export function compactedEnvelope(delta: CompactedDelta, type: string = delta.type, payload: Readonly<Record<string, unknown>> = { ...delta.message.payload, delta: delta.delta }): string {
  const { message } = delta;
  let json = `{"type":${JSON.stringify(type)},"seq":${delta.seq},"first_seq":${delta.firstSeq},"ts":${JSON.stringify(delta.ts)},"user_id":${JSON.stringify(delta.userId)}`;
  if (message.thread_id !== undefined) json += `,"thread_id":${JSON.stringify(message.thread_id)}`;
  if (message.run_id !== undefined) json += `,"run_id":${JSON.stringify(message.run_id)}`;
  return `${json},"payload":${JSON.stringify(payload)}}`;
}

/**
 * The envelope `json` (as envelopeWriter wrote it: type, then seq) with `"first_seq":firstSeq`
 * inserted right after its seq; null when it does not start that way.
 */
export function withFirstSeq(json: string, type: string, seq: number, firstSeq: number): string | null {
  const head = `{"type":${JSON.stringify(type)},"seq":${seq}`;
  if (!json.startsWith(head) || json.charCodeAt(head.length) !== 0x2c /* , */) return null;
  return `${head},"first_seq":${firstSeq}${json.slice(head.length)}`;
}

/** A v2 client's replay gap: CUSTOM `agentwire.replay_gap` {from_seq, to_seq}, seq as given (null for a notice). */
function replayGapCustom(seq: number | null, userId: UserId, ts: string, fromSeq: unknown, toSeq: unknown): string {
  const value = { from_seq: fromSeq, to_seq: toSeq };
  return serializeEnvelope({ type: EventType.CUSTOM, payload: { type: EventType.CUSTOM, name: AgentwireCustomEvent.ReplayGap, value } }, seq, userId, ts);
}

function v2Entry(entry: StreamEntry): string {
  if (!isGapEntry(entry)) return entry.json;
  // A gap notice (entry.gap) was written with seq null; a replay_gap appended to the stream has its position.
  if (entry.gap !== undefined) return replayGapCustom(null, entry.userId, entry.ts, entry.gap.fromSeq, entry.gap.toSeq);
  const payload = entry.message.payload;
  return replayGapCustom(entry.seq, entry.userId, entry.ts, payload['from_seq'], payload['to_seq']);
}

function v2Notice(message: OutboundMessage, userId: UserId, ts: string): string {
  if (message.type !== 'replay_gap') return serializeEnvelope(message, null, userId, ts);
  return replayGapCustom(null, userId, ts, message.payload['from_seq'], message.payload['to_seq']);
}

/** The renderer of every agentwire.v2 connection: stateless, so one is shared. */
export const V2_RENDERER: FrameRenderer = Object.freeze({
  protocol: WireProtocol.V2,
  entry: v2Entry,
  writesStored: (entry: StreamEntry) => !isGapEntry(entry),
  compacted: (delta: CompactedDelta) => compactedEnvelope(delta),
  merged: (delta: CompactedDelta) => compactedEnvelope(delta),
  notice: v2Notice,
});
