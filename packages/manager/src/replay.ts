import { type OutboundMessage, type ResumeResult, type StreamEntry, type StreamPosition, type StreamRead, WIRE_PROTOCOLS, WireProtocol } from '@agentwirejs/protocols';
import type { ConnectionInfo, UserId } from '@agentwirejs/types';
import { type ReplayItem, compactBatch } from './compaction';

/**
 * What a replay writes: v2 connections get consecutive deltas of one message folded into one
 * envelope (first_seq..seq); v1 connections get every position as stored, because v1 promises
 * a stream with no jumps in seq and its clients know no first_seq.
 */
function replayItems(connection: ReplayConnection, entries: readonly StreamEntry[]): readonly ReplayItem[] {
  return connection.renderer.protocol === WireProtocol.V2 ? compactBatch(entries) : entries;
}
import { InvalidManagerArgumentError } from './errors';
import { type FrameRenderer, renderItem } from './render';

/** A connection as the replay code sees it. */
export interface ReplayConnection {
  readonly info: ConnectionInfo;
  readonly userId: UserId;
  readonly closed: boolean;
  /** Writes stream entries in the connection's wire protocol. */
  readonly renderer: FrameRenderer;
  /** Live stream entries held back until the connection is live again; null while live. */
  pending: StreamEntry[] | null;
  /** `pending` overflowed and was emptied: the replay must read the stream again. */
  pendingOverflow: boolean;
  /** The replay in progress, if any. */
  resuming: Promise<void> | null;
  /** The newest stream position written to (or dropped for) this connection; live entries at or below it are skipped. */
  lastSeq: number;
}

/** Where a replay reads from and writes to. */
export interface ReplaySink<C extends ReplayConnection> {
  readStream(userId: UserId, afterSeq: number): Promise<StreamRead>;
  /** The user's newest position and stream epoch, for the greeting. */
  position(userId: UserId): Promise<StreamPosition>;
  /** Writes a connection-scoped message (seq null) rendered with connection.renderer.notice; false when the connection is gone. */
  writeNotice(connection: C, message: OutboundMessage): boolean;
  /** Writes the frame of one replay item at position `seq` (and records it in connection.lastSeq); false when the connection is gone. */
  writeFrame(connection: C, json: string, seq: number, item: ReplayItem): boolean;
  /** Drops stream frames still queued for the connection: the replay sends them again, in order. */
  discardQueued(connection: C): void;
  /** Called with the bytes of each frame a replay read back and wrote (not for live entries held meanwhile): the replay budget counts them. */
  replayed?(connection: C, bytes: number): void;
}

/** Throws InvalidManagerArgumentError unless `protocol` is a wire protocol this manager speaks. */
export function checkWireProtocol(protocol: unknown): asserts protocol is WireProtocol | undefined {
  if (protocol !== undefined && !(WIRE_PROTOCOLS as readonly unknown[]).includes(protocol)) {
    throw new InvalidManagerArgumentError('protocol', `expected one of ${WIRE_PROTOCOLS.join(', ')}, got ${String(protocol)}`);
  }
}

/** Throws InvalidManagerArgumentError unless `afterSeq` is a whole number ≥ 0. */
export function checkResumePosition(afterSeq: unknown): asserts afterSeq is number {
  if (!Number.isSafeInteger(afterSeq) || (afterSeq as number) < 0) {
    throw new InvalidManagerArgumentError('afterSeq', `expected a whole number ≥ 0, got ${String(afterSeq)}`);
  }
}

/**
 * Holds a live entry for a connection that is not live (registering or resuming). Bounded:
 * past `max` entries the buffer is emptied and flagged, and the replay reads the stream again
 * instead, so a burst during a slow read costs no more memory.
 */
export function holdEntry(connection: ReplayConnection, entry: StreamEntry, max: number): void {
  const pending = connection.pending;
  if (pending === null) return;
  if (pending.length >= max) {
    pending.length = 0;
    connection.pendingOverflow = true;
    return;
  }
  pending.push(entry);
}

/**
 * Opens a registered connection's stream, as one step: connection_established (seq null,
 * {connection_id, protocol, last_seq, epoch}) first, then the replay after `afterSeq` (when the client
 * asked for one), then live entries. The connection must be holding live entries (pending set)
 * from its registration on, so nothing slips in before the greeting. Resolves with what the
 * replay delivered, or null when the connection went away first.
 */
export async function openStream<C extends ReplayConnection>(
  connection: C,
  afterSeq: number | undefined,
  sink: ReplaySink<C>,
  afterEpoch?: string,
): Promise<ResumeResult | null> {
  const { lastSeq, epoch } = await sink.position(connection.userId);
  if (connection.closed) return null;
  // A position of another epoch belongs to a stream that is gone: replay the new one from its start.
  if (afterSeq !== undefined && afterEpoch !== undefined && afterEpoch !== epoch) afterSeq = 0;
  const greeting = { type: 'connection_established', payload: { connection_id: connection.info.connectionId, protocol: connection.renderer.protocol, last_seq: lastSeq, epoch } };
  if (!sink.writeNotice(connection, greeting)) return null;
  // Without afterSeq the client starts at last_seq: entries held so far are not its business.
  return replayTo(connection, afterSeq ?? lastSeq, sink);
}

/**
 * Replays what a connection missed after `afterSeq`, then makes it live, with no loss and no
 * duplicate even when entries arrive while the read is in flight:
 * 1. live entries for the connection are held (connection.pending) from the start;
 * 2. the stream is read after `afterSeq`; an evicted part is announced with replay_gap first,
 *    then the kept entries are written in order, compacted (compaction.ts: consecutive deltas
 *    of one key become one envelope with first_seq..seq) and rendered in the connection's protocol;
 * 3. if the held buffer overflowed meanwhile, the stream is read again from where the last
 *    read ended, until a read completes without overflow;
 * 4. held entries past the last position read are written (compacted as one more batch), and the connection goes live;
 *    from then on live entries at or below connection.lastSeq are skipped (a backplane whose
 *    live delivery lags its store cannot duplicate what the read returned).
 * Replays of one connection run one after the other.
 */
export async function replayTo<C extends ReplayConnection>(connection: C, afterSeq: number, sink: ReplaySink<C>): Promise<ResumeResult> {
  while (connection.resuming !== null) await connection.resuming;
  let finish = (): void => undefined;
  connection.resuming = new Promise<void>((resolve) => (finish = resolve));
  try {
    // Whatever was held so far is already in the stream and comes back from the read.
    connection.pending = [];
    connection.pendingOverflow = false;
    sink.discardQueued(connection);
    let position = afterSeq;
    let replayed = 0;
    let gap: ResumeResult['gap'] = null;
    for (let open = true; open; ) {
      const read = await sink.readStream(connection.userId, position);
      if (connection.closed) break;
      if (read.gap !== null) {
        gap ??= read.gap;
        open = sink.writeNotice(connection, { type: 'replay_gap', payload: { from_seq: read.gap.fromSeq, to_seq: read.gap.toSeq } });
      }
      // Compacted per read: never across the end of what is in hand (a later page starts afresh).
      for (const item of open ? replayItems(connection, read.entries) : []) {
        const json = renderItem(connection.renderer, item);
        if (!sink.writeFrame(connection, json, item.seq, item)) {
          open = false;
          break;
        }
        sink.replayed?.(connection, Buffer.byteLength(json));
        replayed += 1;
      }
      // A client ahead of the stream (e.g. the stream was reset) gets everything after the stream's end.
      position = read.lastSeq;
      if (!connection.pendingOverflow) break;
      connection.pendingOverflow = false;
      connection.pending = [];
    }
    const held = connection.pending ?? [];
    connection.pending = null;
    connection.lastSeq = position;
    if (!connection.closed) {
      const unseen = held.filter((entry) => entry.seq > position);
      for (const item of replayItems(connection, unseen)) if (!sink.writeFrame(connection, renderItem(connection.renderer, item), item.seq, item)) break;
    }
    return { replayed, gap };
  } finally {
    connection.resuming = null;
    finish();
  }
}
