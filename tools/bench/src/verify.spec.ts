import { serializeEnvelope } from '@agentwirejs/protocols';
import { type RunId, type ThreadId, type UserId } from '@agentwirejs/types';
import { readEnvelope } from './client/envelope-reader';
import { asRunEvent } from './server/workloads';
import { type SlimEnvelope, combineVerdicts, verifyBroadcast, verifyProbes, verifyRuns } from './verify';

const TS = '2026-01-01T00:00:00.000Z';
const alice = 'alice' as UserId;
const bob = 'bob' as UserId;

/** What a client of `user` reads off the wire for one burst run of `events` thinking events, from stream position `from`. */
function run(user: UserId, events: number, from = 1, runId = `run_${user}`): SlimEnvelope[] {
  const ids = { run_id: runId as RunId, thread_id: `thread_${user}` as ThreadId };
  const messages = [
    { type: 'agent_started', ...ids, payload: { agent_name: 'burst', input: { events } } },
    ...Array.from({ length: events }, (_, i) => ({ type: 'agent_thinking', ...ids, payload: { reasoning: `burst ${i + 1}/${events}` } })),
    { type: 'agent_completed', ...ids, payload: { status: 'completed', final_response: 'done', duration_ms: 1, event_count: events + 2 } },
  ];
  return messages.map((message, i) => readEnvelope(serializeEnvelope(message, from + i, user, TS)) as SlimEnvelope);
}

describe('verifyRuns', () => {
  const expected = { userId: 'alice', afterSeq: 0, runs: 1, eventsPerRun: 7 };

  it('accepts a client that got exactly its own run, in order', () => {
    expect(verifyRuns(run(alice, 5), expected)).toEqual({ ok: true, problems: [] });
  });

  it('continues from afterSeq on connections that already had runs', () => {
    expect(verifyRuns(run(alice, 5, 11), { ...expected, afterSeq: 10 }).ok).toBe(true);
    expect(verifyRuns(run(alice, 5, 11), expected).ok).toBe(false);
  });

  it("fails a leak: another user's event in the stream", () => {
    const stream = run(alice, 5);
    stream.splice(3, 0, (run(bob, 1, 4) as SlimEnvelope[])[1] as SlimEnvelope);
    const verdict = verifyRuns(stream, expected);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems.join('\n')).toMatch(/addressed to bob/);
  });

  it('fails a reorder, a loss and a duplicate', () => {
    const reordered = run(alice, 5);
    [reordered[2], reordered[3]] = [reordered[3] as SlimEnvelope, reordered[2] as SlimEnvelope];
    expect(verifyRuns(reordered, expected).problems.join('\n')).toMatch(/seq 4, expected 3/);
    const lost = run(alice, 5).filter((_, i) => i !== 4);
    expect(verifyRuns(lost, expected).problems.join('\n')).toMatch(/expected 5|6 agent events received, expected 7/);
    const duplicated = run(alice, 5);
    duplicated.splice(2, 0, duplicated[2] as SlimEnvelope);
    expect(verifyRuns(duplicated, expected).ok).toBe(false);
  });

  it('fails a run that is missing its terminal event or arrived twice', () => {
    expect(verifyRuns(run(alice, 5).slice(0, -1), expected).problems.join('\n')).toMatch(/no terminal event/);
    expect(verifyRuns([...run(alice, 5), ...run(alice, 5, 8, 'run_again')], expected).problems.join('\n')).toMatch(/2 runs received, expected 1/);
  });
});

describe('verifyRuns, a run in AG-UI vocabulary (what agentwire.v2 clients get)', () => {
  /** The same burst as the bench servers send it to v2 clients (asRunEvent): RUN_STARTED, a REASONING_MESSAGE_CHUNK per event, RUN_FINISHED. */
  function agUiRun(user: UserId, events: number, from = 1): SlimEnvelope[] {
    return run(user, events, from).map((envelope, i) => {
      const message = { type: envelope.type, run_id: `run_${user}` as RunId, thread_id: `thread_${user}` as ThreadId, payload: {} };
      return readEnvelope(serializeEnvelope(asRunEvent(message), from + i, user, TS)) as SlimEnvelope;
    });
  }
  const expected = { userId: 'alice', afterSeq: 0, runs: 1, eventsPerRun: 7 };

  it('accepts the whole run and counts its run events', () => {
    const stream = agUiRun(alice, 5);
    expect(stream.map((envelope) => envelope.type)).toEqual(['RUN_STARTED', ...Array<string>(5).fill('REASONING_MESSAGE_CHUNK'), 'RUN_FINISHED']);
    expect(verifyRuns(stream, expected)).toEqual({ ok: true, problems: [] });
  });

  it('fails a lost event and a run without its RUN_FINISHED', () => {
    const lost = agUiRun(alice, 5);
    lost.splice(2, 1);
    expect(verifyRuns(lost, expected).ok).toBe(false);
    expect(verifyRuns(agUiRun(alice, 5).slice(0, -1), expected).ok).toBe(false);
  });
});

describe('verifyBroadcast', () => {
  const shared = (n: number): SlimEnvelope => ({ type: 'room_message', seq: null, n });
  const own = (n: number, user: string, seq: number): SlimEnvelope => ({ type: 'room_message', seq, user_id: user, n });

  it('accepts shared frames numbered 1..count, and per-user streams when sequenced', () => {
    expect(verifyBroadcast([1, 2, 3].map(shared), { userId: 'alice', afterSeq: 0, count: 3, framing: 'shared' }).ok).toBe(true);
    expect(verifyBroadcast([1, 2, 3].map((n) => own(n, 'alice', n + 4)), { userId: 'alice', afterSeq: 4, count: 3, framing: 'user' }).ok).toBe(true);
  });

  it('fails missing, reordered and foreign messages', () => {
    expect(verifyBroadcast([1, 3].map(shared), { userId: 'alice', afterSeq: 0, count: 3, framing: 'shared' }).ok).toBe(false);
    expect(verifyBroadcast([2, 1, 3].map(shared), { userId: 'alice', afterSeq: 0, count: 3, framing: 'shared' }).problems[0]).toMatch(/has n 2, expected 1/);
    expect(verifyBroadcast([own(1, 'bob', 1)], { userId: 'alice', afterSeq: 0, count: 1, framing: 'shared' }).problems[0]).toMatch(/another user/);
    expect(verifyBroadcast([shared(1)], { userId: 'alice', afterSeq: 0, count: 1, framing: 'user' }).ok).toBe(false);
  });

  it("checks a room stream's frames: the room, consecutive room_seq from wherever the client joined, no seq, no user_id", () => {
    const inRoom = (n: number, roomSeq: number | null, extra: Partial<SlimEnvelope> = {}): SlimEnvelope => ({ type: 'room_message', seq: null, room: 'r', room_seq: roomSeq, n, ...extra });
    const expected = { userId: 'alice', afterSeq: 0, count: 3, framing: 'room', room: 'r' } as const;
    expect(verifyBroadcast([inRoom(1, 41), inRoom(2, 42), inRoom(3, 43)], expected).ok).toBe(true);
    expect(verifyBroadcast([inRoom(1, 41), inRoom(2, 43), inRoom(3, 44)], expected).problems[0]).toMatch(/room message 2 has room_seq 43/);
    expect(verifyBroadcast([inRoom(1, 1), inRoom(2, 2), inRoom(3, 3, { room: 'other' })], expected).problems[0]).toMatch(/1 room messages not framed as r/);
    expect(verifyBroadcast([inRoom(1, 1), inRoom(2, 2, { user_id: 'alice' }), inRoom(3, 3)], expected).ok).toBe(false);
    expect(verifyBroadcast([inRoom(1, 1), inRoom(2, null), inRoom(3, 3)], expected).ok).toBe(false);
    expect(verifyBroadcast([1, 2, 3].map(shared), expected).ok).toBe(false);
  });
});

describe('verifyProbes', () => {
  it('needs every probe of the client, its own, consecutive', () => {
    const probes = [1, 2, 3].map((seq): SlimEnvelope => ({ type: 'latency_probe', seq, user_id: 'alice', n: seq, t: 1 }));
    expect(verifyProbes(probes, { userId: 'alice', afterSeq: 0, count: 3 }).ok).toBe(true);
    expect(verifyProbes(probes.slice(1), { userId: 'alice', afterSeq: 0, count: 3 }).ok).toBe(false);
  });
});

describe('combineVerdicts', () => {
  it('fails the run when one client fails, naming the client', () => {
    const combined = combineVerdicts([
      { client: 'alice', verdict: { ok: true, problems: [] } },
      { client: 'bob', verdict: { ok: false, problems: ['seq 3, expected 2'] } },
    ]);
    expect(combined).toEqual({ ok: false, problems: ['bob: seq 3, expected 2'], clients: 2, failedClients: 1 });
  });
});
