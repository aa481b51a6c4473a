import { DELTA_EVENT_TYPES, EventType, type OutboundMessage, type StreamEntry, deltaKeyOf, replaceKeyOf } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';

/**
 * Consecutive delta events of one run and one key (a message's text, a reasoning message, a
 * tool call's arguments) folded into one envelope: `seq` is the last covered stream position,
 * `firstSeq` the first, and the payload is the first delta's with `delta` = every covered delta
 * concatenated in seq order. Built on a replay (compactBatch) and in a slow consumer's queue.
 *
 * Only entries that are next to each other in the stream are folded (no other stream position
 * lies between firstSeq and seq). So when a client receives an envelope with seq s, every
 * position ≤ s has reached it or is folded into what it received: resuming after s loses
 * nothing and repeats nothing. (Folding across an entry of another key would deliver that
 * entry, with its higher seq, before the folded text: a client that disconnects in between
 * would resume past text it never received.)
 */
export class CompactedDelta {
  readonly type: string;
  readonly userId: UserId;
  /** run id + delta key: what must be equal for two deltas to fold. */
  readonly key: string;
  /** The first covered delta's message (type, ids, payload). */
  readonly message: OutboundMessage;
  readonly firstSeq: number;
  seq: number;
  /** The time of the last covered delta. */
  ts: string;
  private readonly deltas: string[];

  constructor(first: StreamEntry, key: string, delta: string, firstSeq?: number) {
    this.type = first.type;
    this.userId = first.userId;
    this.key = key;
    this.message = first.message;
    this.firstSeq = firstSeq ?? first.seq;
    this.seq = first.seq;
    this.ts = first.ts;
    this.deltas = [delta];
  }

  /** Folds the next delta of the same key (the caller checked the key and that it follows). */
  append(entry: StreamEntry, delta: string): void {
    this.deltas.push(delta);
    this.seq = entry.seq;
    this.ts = entry.ts;
  }

  /** Folds another compacted run of the same key that follows this one. */
  appendCompacted(next: CompactedDelta): void {
    this.deltas.push(next.delta);
    this.seq = next.seq;
    this.ts = next.ts;
  }

  /** Every covered delta, concatenated in seq order. */
  get delta(): string {
    if (this.deltas.length > 1) this.deltas.splice(0, this.deltas.length, this.deltas.join(''));
    return this.deltas[0] as string;
  }

  /** How many stream positions it covers. */
  get covered(): number {
    return this.seq - this.firstSeq + 1;
  }
}

/** A replay's unit of delivery: an entry as stored, or deltas folded into one. */
export type ReplayItem = StreamEntry | CompactedDelta;

/** True for a gap notice (positions that cannot be delivered), however it was stored. */
export function isGapEntry(entry: StreamEntry): boolean {
  return entry.gap !== undefined || entry.type === 'replay_gap';
}

/**
 * The fold key of a delta entry (`<run id>\n<type>:<id>`) and its delta, or null for any other
 * entry. Reads the entry's message (a stored entry decodes its JSON here): call it only for
 * types in DELTA_EVENT_TYPES.
 */
function deltaOf(entry: StreamEntry): { readonly key: string; readonly delta: string } | null {
  if (entry.gap !== undefined) return null;
  const message = entry.message;
  const key = deltaKeyOf(entry.type, message.payload);
  if (key === null) return null;
  return { key: `${message.run_id ?? ''}\n${key}`, delta: message.payload['delta'] as string };
}

/**
 * Compacts one batch of stream entries (in seq order, as read for a replay): each run of
 * consecutive delta entries of one run id and key becomes one CompactedDelta; every other
 * entry, and a lone delta, is kept as it is. Never folds across a gap entry (or any other
 * entry), nor beyond the batch. Allocates only where something folds.
 */
export function compactBatch(entries: readonly StreamEntry[]): ReplayItem[] {
  const out: ReplayItem[] = [];
  let lastKey: string | null = null;
  for (const entry of entries) {
    const delta = DELTA_EVENT_TYPES.has(entry.type) ? deltaOf(entry) : null;
    if (delta === null) {
      out.push(entry);
      lastKey = null;
      continue;
    }
    const last = out[out.length - 1];
    if (delta.key === lastKey && last !== undefined && last.seq === entry.seq - 1) {
      if (last instanceof CompactedDelta) last.append(entry, delta.delta);
      else {
        const folded = new CompactedDelta(last, delta.key, (last.message.payload['delta'] as string) ?? '');
        folded.append(entry, delta.delta);
        out[out.length - 1] = folded;
      }
    } else out.push(entry);
    lastKey = delta.key;
  }
  return out;
}

/** How a queued frame may fold with the next one of the same key: deltas merge, replace-type events supersede. */
export type Fold = { readonly kind: 'delta'; readonly key: string; readonly delta: string } | { readonly kind: 'replace'; readonly key: string };

const REPLACE_TYPES: ReadonlySet<string> = new Set([EventType.STATE_SNAPSHOT, EventType.MESSAGES_SNAPSHOT, EventType.ACTIVITY_SNAPSHOT]);

/** The fold of one stream entry, or null when it never folds (reads the entry's message only for delta and replace types). */
export function foldOf(entry: StreamEntry): Fold | null {
  if (DELTA_EVENT_TYPES.has(entry.type)) {
    const delta = deltaOf(entry);
    return delta === null ? null : { kind: 'delta', key: delta.key, delta: delta.delta };
  }
  if (!REPLACE_TYPES.has(entry.type) || entry.gap !== undefined) return null;
  const message = entry.message;
  const key = replaceKeyOf(entry.type, message.payload);
  return key === null ? null : { kind: 'replace', key: `${message.run_id ?? ''}\n${key}` };
}
