import type { RunId, ThreadId, UserId } from '@agentwirejs/types';
import type { PhaseChange, RunError, RunRecord, StateChange } from './run-record';
import { RUN_STATES, RunPhase, type RunState } from './run-state';

/** The phases an agent can report, by code (a packed phase is its index + 1; 0 is none). */
const RUN_PHASES: readonly RunPhase[] = Object.values(RunPhase);
/** A run enters at most five states (pending, starting, running, completing, and how it ended). */
const MOST_STATES = 5;

/** Per slot in `numbers`: the record's numbers, null as NaN, then the `at` of each state entered. */
const N_CREATED_AT = 0;
const N_ENDED_AT = 1;
const N_LAST_HEARTBEAT_AT = 2;
const N_HEARTBEAT_COUNT = 3;
const N_TIMEOUT_MS = 4;
const N_HANG_AFTER_MS = 5;
const N_EVENT_COUNT = 6;
const N_EMIT_FAILURES = 7;
const N_PHASES_DROPPED = 8;
/** When its one phase change was made (see C_PHASES). */
const N_PHASE_AT = 9;
const N_STATE_AT = 10;
const NUMBER_STRIDE = N_STATE_AT + MOST_STATES;

/** Per slot in `codes`: the state, the phase, how the phase history is kept, the states entered and each one's code. */
const C_STATE = 0;
const C_PHASE = 1;
/** 0: no phase change; 1: one, packed (its phase at C_PHASE's, its time at N_PHASE_AT); 2: the record's list, in `phaseLists`. */
const C_PHASES = 2;
const C_STATE_COUNT = 3;
const C_STATE_CODE = 4;
const CODE_STRIDE = C_STATE_CODE + MOST_STATES;

const PHASES_NONE = 0;
const PHASES_ONE = 1;
const PHASES_LISTED = 2;

const INITIAL_SLOTS = 64;

/**
 * A thread id of at most this many characters, each below U+0100, is kept as bytes: a generated
 * one (`thread_` and a ULID) is 33. Longer ones, and any other, stay the string they are.
 */
const THREAD_ID_BYTES = 47;
/** Per slot in `threadIdBytes`: the id's length (0: kept as a string, in `threadIds`), then its characters. */
const THREAD_ID_STRIDE = THREAD_ID_BYTES + 1;

/** null as NaN in a number column, and back. */
const numberOrNaN = (value: number | null): number => (value === null ? Number.NaN : value);
const numberOrNull = (value: number): number | null => (Number.isNaN(value) ? null : value);

/**
 * The records of finished runs, packed in columns: numbers in one Float64Array, state and phase
 * codes in one Uint8Array, strings and the rare objects (an error, a long phase history) in one
 * list per field. A finished run is kept for reading for minutes (retention), and as objects its
 * record, five state changes, a phase change and their lists were about 660 bytes per run that
 * every young collection copied and promoted (1,666 runs a second in the latency benchmark: the
 * survivors of each collection were mostly these); packed, a run keeps its id and its answer,
 * and its slot in columns that are allocated once. Its thread id goes into a column of bytes
 * too: as a string it was one more object per run for young collections to copy and promote
 * (about 50 bytes, a third of what survived each one in the latency benchmark), and an id that
 * came in a client's request is a string of its own for every run even when the thread is the
 * same. A record is rebuilt, as a new object, only when read.
 */
export class PackedRuns {
  private numbers = new Float64Array(0);
  private codes = new Uint8Array(0);
  private threadIdBytes = new Uint8Array(0);
  private readonly runIds: (RunId | undefined)[] = [];
  private readonly userIds: (UserId | undefined)[] = [];
  /** The thread ids not kept as bytes (see THREAD_ID_BYTES). */
  private readonly threadIds: (ThreadId | undefined)[] = [];
  private readonly agentNames: (string | undefined)[] = [];
  private readonly finalResponses: (string | null)[] = [];
  private readonly errors: (RunError | null)[] = [];
  private readonly cancelReasons: (string | null)[] = [];
  private readonly phaseLists: (PhaseChange[] | null)[] = [];
  /** Slots let go, reused before new ones. */
  private readonly free: number[] = [];
  /** Slots ever used: the next new one. */
  private used = 0;

  /** Slots holding a record. */
  get size(): number {
    return this.used - this.free.length;
  }

  /** Slots allocated (they grow by doubling and are reused; never given back). */
  get capacity(): number {
    return this.codes.length / CODE_STRIDE;
  }

  /**
   * Packs `record` into a slot and returns it; -1 when the record does not fit the columns (more
   * states than a run can enter, or a state or phase the tracker does not know): the caller keeps
   * the object then.
   */
  pack(record: RunRecord): number {
    const state = RUN_STATES.indexOf(record.state);
    const stateCount = record.states.length;
    const phaseIndex = record.phase === null ? -1 : RUN_PHASES.indexOf(record.phase);
    if (state < 0 || stateCount > MOST_STATES || (record.phase !== null && phaseIndex < 0)) return -1;
    const phase = phaseIndex + 1; // 0: none
    for (const change of record.states) if (RUN_STATES.indexOf(change.state) < 0) return -1;
    const only = record.phases.length === 1 ? (record.phases[0] as PhaseChange) : null;
    const phasesPacked = only !== null && only.phase === record.phase;

    const slot = this.take();
    const n = slot * NUMBER_STRIDE;
    const numbers = this.numbers;
    numbers[n + N_CREATED_AT] = record.createdAt;
    numbers[n + N_ENDED_AT] = numberOrNaN(record.endedAt);
    numbers[n + N_LAST_HEARTBEAT_AT] = record.lastHeartbeatAt;
    numbers[n + N_HEARTBEAT_COUNT] = record.heartbeatCount;
    numbers[n + N_TIMEOUT_MS] = record.timeoutMs;
    numbers[n + N_HANG_AFTER_MS] = numberOrNaN(record.hangAfterMs);
    numbers[n + N_EVENT_COUNT] = record.eventCount;
    numbers[n + N_EMIT_FAILURES] = record.emitFailures;
    numbers[n + N_PHASES_DROPPED] = record.phasesDropped;
    numbers[n + N_PHASE_AT] = phasesPacked ? only.at : Number.NaN;
    const c = slot * CODE_STRIDE;
    const codes = this.codes;
    codes[c + C_STATE] = state;
    codes[c + C_PHASE] = phase;
    codes[c + C_PHASES] = record.phases.length === 0 ? PHASES_NONE : phasesPacked ? PHASES_ONE : PHASES_LISTED;
    codes[c + C_STATE_COUNT] = stateCount;
    for (let i = 0; i < stateCount; i += 1) {
      const change = record.states[i] as StateChange;
      codes[c + C_STATE_CODE + i] = RUN_STATES.indexOf(change.state);
      numbers[n + N_STATE_AT + i] = change.at;
    }
    this.runIds[slot] = record.runId;
    this.userIds[slot] = record.userId;
    this.threadIds[slot] = this.packThreadId(slot, record.threadId) ? undefined : record.threadId;
    this.agentNames[slot] = record.agentName;
    this.finalResponses[slot] = record.finalResponse;
    this.errors[slot] = record.error;
    this.cancelReasons[slot] = record.cancelReason;
    this.phaseLists[slot] = codes[c + C_PHASES] === PHASES_LISTED ? record.phases : null;
    return slot;
  }

  /** The user whose record is in `slot`. */
  userIdOf(slot: number): UserId {
    return this.userIds[slot] as UserId;
  }

  /** A new record with what `slot` holds (a copy: changing it changes nothing here). */
  unpack(slot: number): RunRecord {
    const n = slot * NUMBER_STRIDE;
    const c = slot * CODE_STRIDE;
    const numbers = this.numbers;
    const codes = this.codes;
    const stateCount = codes[c + C_STATE_COUNT] as number;
    const states = new Array<StateChange>(stateCount);
    for (let i = 0; i < stateCount; i += 1) {
      states[i] = { state: RUN_STATES[codes[c + C_STATE_CODE + i] as number] as RunState, at: numbers[n + N_STATE_AT + i] as number };
    }
    const phaseCode = codes[c + C_PHASE] as number;
    const phase = phaseCode === 0 ? null : (RUN_PHASES[phaseCode - 1] as RunPhase);
    const kept = codes[c + C_PHASES];
    const phases: PhaseChange[] =
      kept === PHASES_ONE ? [{ phase: phase as RunPhase, at: numbers[n + N_PHASE_AT] as number }] : kept === PHASES_LISTED ? [...(this.phaseLists[slot] as PhaseChange[])] : [];
    return {
      runId: this.runIds[slot] as RunId,
      userId: this.userIds[slot] as UserId,
      threadId: this.threadIdOf(slot),
      agentName: this.agentNames[slot] as string,
      state: RUN_STATES[codes[c + C_STATE] as number] as RunState,
      states,
      phase,
      phases,
      phasesDropped: numbers[n + N_PHASES_DROPPED] as number,
      createdAt: numbers[n + N_CREATED_AT] as number,
      endedAt: numberOrNull(numbers[n + N_ENDED_AT] as number),
      lastHeartbeatAt: numbers[n + N_LAST_HEARTBEAT_AT] as number,
      heartbeatCount: numbers[n + N_HEARTBEAT_COUNT] as number,
      timeoutMs: numbers[n + N_TIMEOUT_MS] as number,
      hangAfterMs: numberOrNull(numbers[n + N_HANG_AFTER_MS] as number),
      eventCount: numbers[n + N_EVENT_COUNT] as number,
      emitFailures: numbers[n + N_EMIT_FAILURES] as number,
      finalResponse: this.finalResponses[slot] ?? null,
      error: this.errors[slot] ?? null,
      cancelReason: this.cancelReasons[slot] ?? null,
    };
  }

  /** Thread ids held as strings, not as bytes. */
  get threadIdStrings(): number {
    let count = 0;
    for (let slot = 0; slot < this.used; slot += 1) if (this.threadIds[slot] !== undefined) count += 1;
    return count;
  }

  /** Writes `id` into the slot's bytes; false (length 0) when it does not fit them. */
  private packThreadId(slot: number, id: string): boolean {
    const at = slot * THREAD_ID_STRIDE;
    const bytes = this.threadIdBytes;
    bytes[at] = 0;
    if (id.length === 0 || id.length > THREAD_ID_BYTES) return false;
    for (let i = 0; i < id.length; i += 1) {
      const code = id.charCodeAt(i);
      if (code > 0xff) return false;
      bytes[at + 1 + i] = code;
    }
    bytes[at] = id.length;
    return true;
  }

  private threadIdOf(slot: number): ThreadId {
    const at = slot * THREAD_ID_STRIDE;
    const length = this.threadIdBytes[at] as number;
    if (length === 0) return this.threadIds[slot] as ThreadId;
    return String.fromCharCode(...this.threadIdBytes.subarray(at + 1, at + 1 + length)) as ThreadId;
  }

  /** Lets go of `slot` and of the strings and objects it held. */
  release(slot: number): void {
    this.runIds[slot] = undefined;
    this.userIds[slot] = undefined;
    this.threadIds[slot] = undefined;
    this.agentNames[slot] = undefined;
    this.finalResponses[slot] = null;
    this.errors[slot] = null;
    this.cancelReasons[slot] = null;
    this.phaseLists[slot] = null;
    this.free.push(slot);
  }

  /** A free slot, or a new one (the columns double when full). */
  private take(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.capacity) this.grow();
    const slot = this.used;
    this.used += 1;
    return slot;
  }

  private grow(): void {
    const slots = Math.max(INITIAL_SLOTS, this.capacity * 2);
    const numbers = new Float64Array(slots * NUMBER_STRIDE);
    numbers.set(this.numbers);
    const codes = new Uint8Array(slots * CODE_STRIDE);
    codes.set(this.codes);
    const threadIdBytes = new Uint8Array(slots * THREAD_ID_STRIDE);
    threadIdBytes.set(this.threadIdBytes);
    this.numbers = numbers;
    this.codes = codes;
    this.threadIdBytes = threadIdBytes;
  }
}
