import { type OutboundMessage, type ResumeResult, type StreamEntry, type StreamPosition, type StreamRead, WIRE_PROTOCOLS, WireProtocol } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import type { ManagedConnection } from './connection';
import { type ReplayItem, compactBatch } from './compaction';
import { InvalidManagerArgumentError } from './errors';
import { renderItem } from './render';

/**
 * What a replay writes: v2 connections get consecutive deltas of one message folded into one
 * envelope (first_seq..seq); v1 connections get every position as stored, because v1 promises
 * a stream with no jumps in seq and its clients know no first_seq.
 */
function replayItems(connection: ManagedConnection, entries: readonly StreamEntry[]): readonly ReplayItem[] {
  return connection.renderer.protocol === WireProtocol.V2 ? compactBatch(entries) : entries;
}

/** Where a replay reads from and writes to (the registry: a write that fails there closes the connection). */
export interface ReplaySink {
  readStream(userId: UserId, afterSeq: number): Promise<StreamRead>;
  /** The user's newest position and stream epoch, for the greeting. */
  position(userId: UserId): Promise<StreamPosition>;
  /** Writes connection_established and the messages that waited for it (ManagedConnection.greet); false when the connection is gone. */
  greet(connection: ManagedConnection, greeting: OutboundMessage): boolean;
  /** Writes a connection-scoped message (seq null); false when the connection is gone. */
  writeNotice(connection: ManagedConnection, message: OutboundMessage): boolean;
  /** Writes the frame of one replay item at position `seq` (and records it in connection.lastSeq); false when the connection is gone. */
  writeFrame(connection: ManagedConnection, json: string, seq: number, item: ReplayItem): boolean;
  /** Called with the bytes of each frame a replay read back and wrote (not for live entries held meanwhile): the replay budget counts them. */
  replayed(connection: ManagedConnection, bytes: number): void;
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
 * Opens a registered connection's stream, as one step: connection_established (seq null,
 * {connection_id, protocol, last_seq, epoch}) first, then the replay after `afterSeq` (when the client
 * asked for one), then live entries. A new connection is greeting: it holds live entries from its
 * registration on, so nothing slips in before the greeting, and a resume asked for meanwhile
 * is refused as in progress (ConnectionRegistry.resume); later replays wait for each other. Resolves with what the replay delivered, or null when the connection
 * went away first.
 */
export function openStream(connection: ManagedConnection, afterSeq: number | undefined, sink: ReplaySink, afterEpoch?: string): Promise<ResumeResult | null> {
  return inLane(connection, async () => {
    const { lastSeq, epoch } = await sink.position(connection.userId);
    if (connection.closed) return null;
    // A position of another epoch belongs to a stream that is gone: replay the new one from its start.
    if (afterSeq !== undefined && afterEpoch !== undefined && afterEpoch !== epoch) afterSeq = 0;
    const greeting = { type: 'connection_established', payload: { connection_id: connection.info.connectionId, protocol: connection.renderer.protocol, last_seq: lastSeq, epoch } };
    if (!sink.greet(connection, greeting)) return null;
    // Without afterSeq the client starts at last_seq: entries held so far are not its business.
    return replayHeld(connection, afterSeq ?? lastSeq, sink);
  });
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
export function replayTo(connection: ManagedConnection, afterSeq: number, sink: ReplaySink): Promise<ResumeResult> {
  return inLane(connection, () => replayHeld(connection, afterSeq, sink));
}

/** Runs `work` once the connection's opening and earlier replays are done; the next waits for it. */
async function inLane<T>(connection: ManagedConnection, work: () => Promise<T>): Promise<T> {
  while (connection.resuming !== null) await connection.resuming;
  let finish = (): void => undefined;
  connection.resuming = new Promise<void>((resolve) => (finish = resolve));
  try {
    return await work();
  } finally {
    connection.resuming = null;
    finish();
  }
}

async function replayHeld(connection: ManagedConnection, afterSeq: number, sink: ReplaySink): Promise<ResumeResult> {
  // Whatever was held so far is already in the stream and comes back from the read.
  connection.holdLive();
  connection.discardQueuedStream();
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
      sink.replayed(connection, Buffer.byteLength(json));
      replayed += 1;
    }
    // A client ahead of the stream (e.g. the stream was reset) gets everything after the stream's end.
    position = read.lastSeq;
    if (!connection.pendingOverflow) break;
    connection.holdLive();
  }
  const held = connection.goLive(position);
  if (!connection.closed) {
    const unseen = held.filter((entry) => entry.seq > position);
    for (const item of replayItems(connection, unseen)) if (!sink.writeFrame(connection, renderItem(connection.renderer, item), item.seq, item)) break;
  }
  return { replayed, gap };
}
