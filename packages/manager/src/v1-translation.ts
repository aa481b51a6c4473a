import { AGENTWIRE_METADATA_KEY, AgentErrorCode, EventType, type OutboundMessage, type StreamEntry, WireProtocol, serializeEnvelope } from '@agentwirejs/protocols';
import type { UserId } from '@agentwirejs/types';
import type { CompactedDelta } from './compaction';
import { type FrameRenderer, V2_RENDERER, compactedEnvelope } from './render';

/**
 * Bounds of the state one v1 connection's translator keeps (README "v1 clients"). Past them the
 * oldest run or tool call is forgotten, or text stops accumulating: what is then unknown falls
 * back (final_response = RUN_FINISHED.result, else the text kept; an unnamed tool call's end is
 * forwarded as it is).
 */
export const V1_TRANSLATION_LIMITS = Object.freeze({
  /** Runs whose text is accumulated at once. */
  maxRuns: 8,
  /** Tool calls remembered at once (name and arguments, from TOOL_CALL_START to TOOL_CALL_RESULT). */
  maxToolCalls: 32,
  /** Characters of assistant text kept per run for agent_completed.final_response. */
  maxRunTextChars: 1024 * 1024,
  /** Characters of one tool call's arguments kept for tool_executing.parameters. */
  maxToolArgsChars: 256 * 1024,
});
export type V1TranslationLimits = { readonly [K in keyof typeof V1_TRANSLATION_LIMITS]: number };

/** The AG-UI types the translator looks at; every other entry is forwarded as stored. */
const OBSERVED: ReadonlySet<string> = new Set([
  EventType.RUN_STARTED,
  EventType.TEXT_MESSAGE_CONTENT,
  EventType.REASONING_MESSAGE_CONTENT,
  EventType.REASONING_MESSAGE_CHUNK,
  EventType.TOOL_CALL_START,
  EventType.TOOL_CALL_ARGS,
  EventType.TOOL_CALL_END,
  EventType.TOOL_CALL_RESULT,
  EventType.RUN_FINISHED,
  EventType.RUN_ERROR,
]);

/** Text accumulated for positions up to `throughSeq`; `complete` false once some was lost (bound, or a rewind inside a folded range). */
interface Accumulated {
  text: string;
  throughSeq: number;
  complete: boolean;
}

interface ToolCallState extends Accumulated {
  readonly runId: string;
  readonly name: string;
}

type Payload = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

function agentwireMetadata(payload: Payload): Payload {
  const metadata = payload['metadata'];
  const ours = isRecord(metadata) ? metadata[AGENTWIRE_METADATA_KEY] : undefined;
  return isRecord(ours) ? ours : {};
}

function nonNegative(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** JSON text → its value; text that is not JSON stays text. */
function parseOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Adds the delta of positions firstSeq..seq to `into` unless they were added already (a resume
 * replays positions a connection has seen); a folded range that straddles what was added
 * cannot be split, so the text is marked incomplete.
 */
function accumulate(into: Accumulated, delta: string, firstSeq: number, seq: number, max: number): void {
  if (seq <= into.throughSeq) return;
  if (firstSeq <= into.throughSeq || !into.complete) into.complete = false;
  else if (into.text.length + delta.length > max) into.complete = false;
  else into.text += delta;
  into.throughSeq = seq;
}

/**
 * Renders a user's stream for an agentwire.v1 connection: AG-UI run events become v1 events,
 * with the same seq (table in README "v1 clients"):
 * RUN_STARTED → agent_started; REASONING_MESSAGE_CONTENT and REASONING_MESSAGE_CHUNK → agent_thinking; TOOL_CALL_END →
 * tool_executing (name from TOOL_CALL_START, parameters = the accumulated TOOL_CALL_ARGS parsed);
 * TOOL_CALL_RESULT → tool_completed; RUN_FINISHED → agent_completed (final_response = result,
 * else the run's accumulated TEXT_MESSAGE_CONTENT) or agent_cancelled; RUN_ERROR → agent_error.
 * Everything else, TEXT_MESSAGE_CONTENT and TOOL_CALL_START/ARGS included, is forwarded as stored
 * (v1 clients ignore types they do not know). Reads entries as stored, without validating them
 * again. One per connection; its state is bounded (V1_TRANSLATION_LIMITS) and a run's state is
 * dropped at its terminal event.
 */
export class V1Translator implements FrameRenderer {
  readonly protocol = WireProtocol.V1;
  /** Assistant text per run id (insertion order = age). Created on first use. */
  private runs: Map<string, Accumulated> | null = null;
  /** Tool calls per toolCallId (insertion order = age). Created on first use. */
  private toolCalls: Map<string, ToolCallState> | null = null;

  constructor(private readonly limits: V1TranslationLimits = V1_TRANSLATION_LIMITS) {}

  /** Runs and tool calls tracked now (for tests of the bounds). */
  get tracked(): { readonly runs: number; readonly toolCalls: number } {
    return { runs: this.runs?.size ?? 0, toolCalls: this.toolCalls?.size ?? 0 };
  }

  entry(entry: StreamEntry): string {
    if (this.writesStored(entry)) return entry.json;
    return this.translate(entry) ?? entry.json;
  }

  /** Types the translation does not observe, and gap notices (already written for v1), go out as stored. */
  writesStored(entry: StreamEntry): boolean {
    return !OBSERVED.has(entry.type) || entry.gap !== undefined;
  }

  compacted(delta: CompactedDelta): string {
    this.observeDelta(delta.type, delta.message, delta.firstSeq, delta.seq, delta.delta);
    return this.merged(delta);
  }

  merged(delta: CompactedDelta): string {
    if (delta.type === EventType.REASONING_MESSAGE_CONTENT) return compactedEnvelope(delta, 'agent_thinking', { reasoning: delta.delta });
    return compactedEnvelope(delta);
  }

  notice(message: OutboundMessage, userId: UserId, ts: string): string {
    return serializeEnvelope(message, null, userId, ts);
  }

  /** The v1 frame of an observed entry, or null to forward it as stored. */
  private translate(entry: StreamEntry): string | null {
    const message = entry.message;
    const payload = message.payload;
    const v1 = (type: string, v1Payload: Payload): string =>
      serializeEnvelope({ type, payload: v1Payload, thread_id: message.thread_id, run_id: message.run_id }, entry.seq, entry.userId, entry.ts);
    switch (entry.type) {
      case EventType.RUN_STARTED: {
        const input = payload['input'];
        const props = isRecord(input) ? input['forwardedProps'] : undefined;
        if (!isRecord(props) || !nonEmptyString(props['agent'])) return null;
        const agentInput = props['input'];
        return v1('agent_started', { agent_name: props['agent'], input: typeof agentInput === 'string' || isRecord(agentInput) ? agentInput : '' });
      }
      case EventType.REASONING_MESSAGE_CONTENT:
      case EventType.REASONING_MESSAGE_CHUNK:
        return typeof payload['delta'] === 'string' ? v1('agent_thinking', { reasoning: payload['delta'] }) : null;
      case EventType.TEXT_MESSAGE_CONTENT:
      case EventType.TOOL_CALL_ARGS:
        if (typeof payload['delta'] === 'string') this.observeDelta(entry.type, message, entry.seq, entry.seq, payload['delta']);
        return null;
      case EventType.TOOL_CALL_START:
        if (nonEmptyString(payload['toolCallId']) && nonEmptyString(payload['toolCallName'])) this.startToolCall(payload['toolCallId'], payload['toolCallName'], message.run_id ?? '');
        return null;
      case EventType.TOOL_CALL_END: {
        const call = typeof payload['toolCallId'] === 'string' ? this.toolCalls?.get(payload['toolCallId']) : undefined;
        if (call === undefined) return null;
        const parameters = call.complete ? parseOr(call.text) : undefined;
        call.text = ''; // the name stays for TOOL_CALL_RESULT
        return v1('tool_executing', { tool_name: call.name, parameters: isRecord(parameters) ? parameters : {} });
      }
      case EventType.TOOL_CALL_RESULT: {
        const toolCallId = payload['toolCallId'];
        const call = typeof toolCallId === 'string' ? this.toolCalls?.get(toolCallId) : undefined;
        if (typeof toolCallId === 'string') this.toolCalls?.delete(toolCallId);
        const meta = agentwireMetadata(payload);
        const name = nonEmptyString(meta['tool_name']) ? meta['tool_name'] : call?.name;
        if (name === undefined) return null;
        const content = payload['content'];
        return v1('tool_completed', {
          tool_name: name,
          results: typeof content === 'string' ? parseOr(content) : content,
          duration_ms: nonNegative(meta['duration_ms']),
          success: typeof meta['success'] === 'boolean' ? meta['success'] : true,
        });
      }
      case EventType.RUN_FINISHED: {
        const text = this.endRun(message.run_id);
        const meta = agentwireMetadata(payload);
        const outcome = payload['outcome'];
        if (isRecord(outcome) && outcome['type'] === 'cancelled') {
          return v1('agent_cancelled', typeof meta['reason'] === 'string' ? { reason: meta['reason'] } : {});
        }
        const result = payload['result'];
        return v1('agent_completed', {
          status: 'completed',
          final_response: typeof result === 'string' ? result : (text ?? ''),
          duration_ms: nonNegative(meta['duration_ms']),
          event_count: Math.floor(nonNegative(meta['event_count'])),
        });
      }
      case EventType.RUN_ERROR:
        this.endRun(message.run_id);
        return v1('agent_error', {
          code: nonEmptyString(payload['code']) ? payload['code'] : AgentErrorCode.AgentFailed,
          message: typeof payload['message'] === 'string' ? payload['message'] : '',
        });
      default:
        return null;
    }
  }

  /** Accumulates a text or tool-argument delta covering positions firstSeq..seq (reasoning needs no state). */
  private observeDelta(type: string, message: OutboundMessage, firstSeq: number, seq: number, delta: string): void {
    if (type === EventType.TEXT_MESSAGE_CONTENT) {
      const runId = message.run_id ?? '';
      const runs = (this.runs ??= new Map());
      let run = runs.get(runId);
      if (run === undefined) {
        if (runs.size >= this.limits.maxRuns) runs.delete(runs.keys().next().value as string);
        run = { text: '', throughSeq: 0, complete: true };
        runs.set(runId, run);
      }
      accumulate(run, delta, firstSeq, seq, this.limits.maxRunTextChars);
    } else if (type === EventType.TOOL_CALL_ARGS) {
      const toolCallId = message.payload['toolCallId'];
      const call = typeof toolCallId === 'string' ? this.toolCalls?.get(toolCallId) : undefined;
      if (call !== undefined) accumulate(call, delta, firstSeq, seq, this.limits.maxToolArgsChars);
    }
  }

  private startToolCall(toolCallId: string, name: string, runId: string): void {
    const calls = (this.toolCalls ??= new Map());
    calls.delete(toolCallId);
    if (calls.size >= this.limits.maxToolCalls) calls.delete(calls.keys().next().value as string);
    calls.set(toolCallId, { runId, name, text: '', throughSeq: 0, complete: true });
  }

  /** Drops a run's state at its terminal event; returns its accumulated text (null when none was kept). */
  private endRun(runId: string | undefined): string | null {
    const key = runId ?? '';
    const run = this.runs?.get(key);
    this.runs?.delete(key);
    if (this.toolCalls !== null) for (const [id, call] of this.toolCalls) if (call.runId === key) this.toolCalls.delete(id);
    return run === undefined || run.text.length === 0 ? null : run.text;
  }
}

/** The renderer of a new connection speaking `protocol`. */
export function rendererFor(protocol: WireProtocol): FrameRenderer {
  return protocol === WireProtocol.V2 ? V2_RENDERER : new V1Translator();
}
