import WebSocket from 'ws';
import { eventually } from '@agentwirejs/protocols/testing';
import { type AgentwireClient, type ClientOptions, type ClientState, type StreamEnvelope, type TokenRequest, createClient } from './client';
import { ClientErrorCode } from './errors';
import { FakeGateway, fakeJwt, runEvents } from './fake-gateway.test-helpers';

/**
 * The client against a scripted gateway on a real ws server (127.0.0.1): connecting, resuming
 * without losing or repeating an event, token refresh on the open socket, run handles, refusals.
 * The real gateway: apps/gateway/src/e2e/client.spec.ts.
 */

let gateway: FakeGateway;
const clients: AgentwireClient[] = [];
beforeEach(async () => {
  gateway = await FakeGateway.start();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await gateway.stop();
});

const longLived = () => fakeJwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 });

/** A client of the fake gateway (ws injected: Node 20 has no global WebSocket); fast reconnects. */
function connect(options: Partial<ClientOptions> = {}): { client: AgentwireClient; tokenRequests: TokenRequest['reason'][]; states: ClientState[] } {
  const tokenRequests: TokenRequest['reason'][] = [];
  const client = createClient({
    url: gateway.url,
    getToken: ({ reason }) => {
      tokenRequests.push(reason);
      return longLived();
    },
    WebSocket,
    reconnectBaseDelayMs: 20,
    reconnectMaxDelayMs: 100,
    ...options,
  });
  const states: ClientState[] = [client.state];
  client.on('state', (state) => states.push(state));
  clients.push(client);
  return { client, tokenRequests, states };
}

const openState = (client: AgentwireClient) => () => (client.state === 'open' ? true : undefined);

describe('connecting', () => {
  it('offers agentwire.v2 and the token as subprotocols, asks getToken for it, and is open once greeted', async () => {
    const { client, tokenRequests, states } = connect();
    const connection = await gateway.connection(0);
    await eventually(openState(client), 'open');
    expect(connection.protocols).toEqual(['agentwire.v2', `bearer.${connection.token}`]);
    expect(connection.token).not.toBe('');
    expect(tokenRequests).toEqual(['connect']);
    expect(states).toEqual(['connecting', 'open']);
    expect(client.connectionId).toBe('conn_1');
    // a fresh connection without resumeFrom takes the stream from now on
    expect(connection.url.searchParams.has('after_seq')).toBe(false);
  });

  it('refuses to start without a WebSocket, naming what to pass', () => {
    expect(() => createClient({ url: gateway.url, getToken: () => 'token' })).toThrow(/pass one/);
  });

  it('after an upgrade refusal (401: no socket) gets a fresh token (reason rejected) and connects', async () => {
    gateway.refuseUpgrades = 2;
    const { client, tokenRequests, states } = connect();
    await eventually(openState(client), 'open');
    expect(gateway.refusedUpgrades).toBe(2);
    expect(tokenRequests).toEqual(['connect', 'rejected', 'rejected']);
    expect(states).toEqual(['connecting', 'open']);
  });

  it('after a close with 1008 (token expired) gets a fresh token; after any other drop asks for one with reason reconnect', async () => {
    const { client, tokenRequests, states } = connect();
    (await gateway.connection(0)).close(1008, 'token expired');
    await gateway.connection(1);
    await eventually(openState(client), 'open again');
    (await gateway.connection(1)).terminate();
    await gateway.connection(2);
    await eventually(openState(client), 'open a third time');
    expect(tokenRequests).toEqual(['connect', 'rejected', 'reconnect']);
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open', 'reconnecting', 'open']);
  });

  it('stops for good on close(): no further attempts, state closed', async () => {
    gateway.refuseUpgrades = 1_000;
    const { client, states, tokenRequests } = connect({ reconnectBaseDelayMs: 5, reconnectMaxDelayMs: 5 });
    await eventually(() => (gateway.refusedUpgrades >= 3 ? true : undefined), 'three refused attempts');
    await client.close();
    // every attempt starts by asking for a token
    const attempts = tokenRequests.length;
    // Bounded wait: many reconnect delays long.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(tokenRequests).toHaveLength(attempts);
    expect(client.state).toBe('closed');
    expect(states[states.length - 1]).toBe('closed');
  });

  it('gives up after maxReconnectAttempts failures in a row', async () => {
    gateway.refuseUpgrades = 1_000;
    const { client } = connect({ maxReconnectAttempts: 2 });
    const disconnects: (number | null)[] = [];
    client.on('disconnected', ({ retryInMs }) => disconnects.push(retryInMs));
    await eventually(() => (client.state === 'closed' ? true : undefined), 'closed');
    expect(gateway.refusedUpgrades).toBe(3);
    expect(disconnects.map((retry) => retry === null)).toEqual([false, false, true]);
  });

  it('reconnects when the connection goes silent (no pong to its heartbeat ping)', async () => {
    const { client } = connect({ heartbeatIntervalMs: 30, heartbeatTimeoutMs: 60 });
    await eventually(openState(client), 'open');
    gateway.answerPings = false;
    await gateway.connection(1);
    gateway.answerPings = true;
    await eventually(openState(client), 'open again');
    expect((await gateway.connection(0)).ofType('ping').length).toBeGreaterThan(0);
  });
});

describe('resuming the stream', () => {
  it('resumes with after_seq and epoch of the last seq seen, delivering every event once, in order', async () => {
    gateway.replayRepeats = 3; // the replay also sends 3 positions the client already has
    const { client } = connect();
    const seen: number[] = [];
    client.on('event', (envelope) => seen.push(envelope.seq));
    await eventually(openState(client), 'open');
    for (let index = 0; index < 5; index += 1) gateway.publish({ type: 'CUSTOM', payload: { type: 'CUSTOM', name: 'app.note', value: index } });
    await eventually(() => (seen.length === 5 ? true : undefined), '5 events');
    (await gateway.connection(0)).terminate();
    for (let index = 5; index < 8; index += 1) gateway.record({ type: 'CUSTOM', payload: { type: 'CUSTOM', name: 'app.note', value: index } });
    const second = await gateway.connection(1);
    expect(Object.fromEntries(second.url.searchParams)).toEqual({ after_seq: '5', epoch: 'e1' });
    gateway.publish({ type: 'CUSTOM', payload: { type: 'CUSTOM', name: 'app.note', value: 8 } });
    await eventually(() => (seen.length === 9 ? true : undefined), '9 events');
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(client.position).toEqual({ seq: 9, epoch: 'e1' });
  });

  it("applies a compacted replay: the run's text is exact across the drop", async () => {
    gateway.compactReplay = true;
    const { client } = connect();
    await eventually(openState(client), 'open');
    const run = client.startRun({ agent: 'demo', input: 'hi' });
    const connection = await gateway.connection(0);
    const start = await eventually(() => connection.ofType('start_agent')[0], 'start_agent');
    const events = runEvents('run_1', String(start['thread_id']));
    for (const event of [events.started(), events.textStart(), events.text('one '), events.text('two ')]) gateway.publish(event);
    await eventually(() => (run.text === 'one two ' ? true : undefined), 'the first words');
    connection.terminate();
    for (const delta of ['three ', 'four ', 'five']) gateway.record(events.text(delta));
    gateway.record(events.textEnd());
    gateway.record(events.finished());
    const outcome = await run.done;
    expect(outcome.status).toBe('completed');
    expect(run.text).toBe('one two three four five');
    // the three deltas arrived as one envelope standing for positions 5..7
    const folded = run.events.find((envelope) => (envelope as StreamEnvelope).first_seq !== undefined) as StreamEnvelope | undefined;
    expect(folded).toMatchObject({ first_seq: 5, seq: 7 });
  });

  it('starts over on a new epoch: resets its position and takes the new stream from its start', async () => {
    const { client } = connect();
    const seen: number[] = [];
    const resets: unknown[] = [];
    client.on('event', (envelope) => seen.push(envelope.seq));
    client.on('reset', (point) => resets.push(point));
    await eventually(openState(client), 'open');
    for (let index = 0; index < 4; index += 1) gateway.publish({ type: 'CUSTOM', payload: { type: 'CUSTOM', name: 'app.note', value: index } });
    await eventually(() => (seen.length === 4 ? true : undefined), '4 events');
    // the gateway restarted: a new, shorter stream in a new epoch
    gateway.stream.splice(0);
    gateway.epoch = 'e2';
    gateway.record({ type: 'CUSTOM', payload: { type: 'CUSTOM', name: 'app.note', value: 'new 1' } });
    gateway.record({ type: 'CUSTOM', payload: { type: 'CUSTOM', name: 'app.note', value: 'new 2' } });
    (await gateway.connection(0)).terminate();
    const second = await gateway.connection(1);
    expect(Object.fromEntries(second.url.searchParams)).toEqual({ after_seq: '4', epoch: 'e1' });
    await eventually(() => (seen.length === 6 ? true : undefined), 'the new stream');
    expect(seen).toEqual([1, 2, 3, 4, 1, 2]);
    expect(resets).toEqual([{ seq: 0, epoch: 'e2' }]);
    expect(client.position).toEqual({ seq: 2, epoch: 'e2' });
  });

  it('surfaces replay gaps, announced or not, as gap events', async () => {
    const { client } = connect({ resumeFrom: { seq: 0, epoch: null } });
    const gaps: unknown[] = [];
    const errors: string[] = [];
    client.on('gap', (gap) => gaps.push(gap));
    client.on('error', (error) => errors.push(error.code));
    await eventually(openState(client), 'open');
    const connection = await gateway.connection(0);
    connection.send(FakeGateway.message('CUSTOM', { type: 'CUSTOM', name: 'agentwire.replay_gap', value: { from_seq: 1, to_seq: 4 } }));
    connection.send({ type: 'CUSTOM', seq: 5, ts: new Date().toISOString(), user_id: 'alice', payload: { type: 'CUSTOM', name: 'app.note', value: 5 } });
    // 6..7 never come and nothing says so
    connection.send({ type: 'CUSTOM', seq: 8, ts: new Date().toISOString(), user_id: 'alice', payload: { type: 'CUSTOM', name: 'app.note', value: 8 } });
    await eventually(() => (client.position.seq === 8 ? true : undefined), 'seq 8');
    expect(gaps).toEqual([
      { from_seq: 1, to_seq: 4 },
      { from_seq: 6, to_seq: 7 },
    ]);
    expect(errors).toEqual([ClientErrorCode.SeqJump]);
  });

  it('resumes from resumeFrom on its first connection', async () => {
    for (let index = 0; index < 3; index += 1) gateway.record({ type: 'CUSTOM', payload: { type: 'CUSTOM', name: 'app.note', value: index } });
    const { client } = connect({ resumeFrom: { seq: 1, epoch: 'e1' } });
    const seen: number[] = [];
    client.on('event', (envelope) => seen.push(envelope.seq));
    const connection = await gateway.connection(0);
    expect(Object.fromEntries(connection.url.searchParams)).toEqual({ after_seq: '1', epoch: 'e1' });
    await eventually(() => (seen.length === 2 ? true : undefined), 'the replay');
    expect(seen).toEqual([2, 3]);
  });
});

describe("a room's own stream", () => {
  /** A room frame as the server writes it (roomEnvelopeWriter). */
  const frame = (room: string, roomSeq: number | null, payload: Record<string, unknown>) => JSON.stringify({ type: roomSeq === null ? 'replay_gap' : 'note', seq: null, room, room_seq: roomSeq, ts: new Date().toISOString(), payload });
  const joined = (room: string, lastSeq: number, epoch: string) => JSON.stringify({ type: 'room_joined', seq: null, ts: new Date().toISOString(), user_id: 'alice', payload: { room, last_seq: lastSeq, epoch } });

  it('emits each room frame once, apart from the user stream, and keeps each room position with its epoch to rejoin from', async () => {
    const { client } = connect();
    const rooms: [string, number | null][] = [];
    const events: StreamEnvelope[] = [];
    client.on('room', (message) => rooms.push([message.room, message.room_seq]));
    client.on('event', (event) => events.push(event));
    const connection = await gateway.connection(0);
    await eventually(openState(client), 'open');
    expect(client.roomPosition('standup')).toBeNull();
    connection.send(joined('standup', 4, 'e1'));
    connection.send(frame('standup', null, { from_seq: 1, to_seq: 2 }));
    for (const seq of [3, 4, 5]) connection.send(frame('standup', seq, { seq }));
    connection.send(frame('standup', 4, { seq: 4 })); // a repeat (a rejoin that replayed too much) is dropped
    connection.send(joined('retro', 0, 'e9'));
    connection.send(frame('retro', 1, {}));
    await eventually(() => (rooms.length >= 5 ? true : undefined), 'five room frames');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(rooms).toEqual([
      ['standup', null],
      ['standup', 3],
      ['standup', 4],
      ['standup', 5],
      ['retro', 1],
    ]);
    expect(client.roomPosition('standup')).toEqual({ seq: 5, epoch: 'e1' });
    expect(client.roomPosition('retro')).toEqual({ seq: 1, epoch: 'e9' });
    expect(events).toEqual([]);
    expect(client.position.seq).toBe(0);
    // The room's stream started over (another epoch): its old position means nothing now.
    connection.send(joined('standup', 0, 'e2'));
    connection.send(frame('standup', 1, {}));
    await eventually(() => (rooms.length >= 6 ? true : undefined), 'the new stream');
    expect(client.roomPosition('standup')).toEqual({ seq: 1, epoch: 'e2' });
  });

  it('reports a room frame without a valid room_seq as an invalid frame and keeps its position', async () => {
    const { client } = connect();
    const rooms: unknown[] = [];
    const errors: string[] = [];
    client.on('room', (message) => rooms.push(message.room_seq));
    client.on('error', (error) => errors.push(error.code));
    const connection = await gateway.connection(0);
    await eventually(openState(client), 'open');
    connection.send(joined('standup', 0, 'e1'));
    connection.send(JSON.stringify({ type: 'note', seq: null, room: 'standup', room_seq: '7', ts: new Date().toISOString(), payload: {} }));
    connection.send(JSON.stringify({ type: 'note', seq: null, room: 'standup', room_seq: 0, ts: new Date().toISOString(), payload: {} }));
    connection.send(frame('standup', 1, {}));
    await eventually(() => (rooms.length >= 1 ? true : undefined), 'the valid frame');
    expect(rooms).toEqual([1]);
    expect(errors).toEqual([ClientErrorCode.InvalidFrame, ClientErrorCode.InvalidFrame]);
    expect(client.roomPosition('standup')).toEqual({ seq: 1, epoch: 'e1' });
  });
});

describe('token refresh on the open socket', () => {
  it('sends a fresh token before the current one expires, on the same connection', async () => {
    const tokens: string[] = [];
    const reasons: string[] = [];
    const { client } = connect({
      // 2 s tokens: refreshed at half of what remains (about every second)
      getToken: ({ reason }) => {
        reasons.push(reason);
        const token = fakeJwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 2, jti: tokens.length });
        tokens.push(token);
        return token;
      },
      minTokenRefreshDelayMs: 50,
    });
    const refreshed: unknown[] = [];
    client.on('tokenRefreshed', (event) => refreshed.push(event));
    gateway.onFrame = (frame, connection) => {
      if (frame.type === 'refresh_token') connection.send(FakeGateway.message('token_refreshed', { expires_at: new Date(Date.now() + 2000).toISOString() }));
    };
    const connection = await gateway.connection(0);
    await eventually(() => (connection.ofType('refresh_token').length >= 2 ? true : undefined), 'two refreshes', 8000);
    expect(connection.ofType('refresh_token').map((frame) => frame['token'])).toEqual(tokens.slice(1, 1 + connection.ofType('refresh_token').length));
    expect(reasons.slice(0, 3)).toEqual(['connect', 'refresh', 'refresh']);
    expect(refreshed.length).toBeGreaterThanOrEqual(1);
    expect(gateway.connections).toHaveLength(1);
    expect(client.state).toBe('open');
  });

  it('reports a refused refresh and tries again while the token lasts', async () => {
    const { client } = connect({
      getToken: () => fakeJwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 2 }),
      minTokenRefreshDelayMs: 50,
    });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    gateway.refuse = (frame) => (frame.type === 'refresh_token' ? { code: 'unauthorized', message: 'token refresh refused' } : null);
    const connection = await gateway.connection(0);
    await eventually(() => (errors.length >= 2 ? true : undefined), 'a second refused attempt', 8000);
    expect(errors.slice(0, 2)).toEqual(['unauthorized', 'unauthorized']);
    expect(connection.ofType('refresh_token').length).toBeGreaterThanOrEqual(2);
    expect(gateway.connections).toHaveLength(1);
  });
});

describe('runs', () => {
  it('starts a run with start_agent on a thread of its own and follows it to its end', async () => {
    const { client } = connect();
    const run = client.startRun({ agent: 'demo', input: 'what is 6*7?' });
    const connection = await gateway.connection(0);
    const start = await eventually(() => connection.ofType('start_agent')[0], 'start_agent');
    // every request carries a request_id: the gateway's one answer (ack or error) names it
    expect(start).toEqual({ type: 'start_agent', agent: 'demo', input: 'what is 6*7?', thread_id: run.threadId, request_id: expect.stringMatching(/^c\d+$/) });
    expect(run.threadId).toMatch(/^thread_[0-9a-f]{32}$/);
    const events = runEvents('run_42', run.threadId);
    for (const event of [events.started(), events.textStart(), events.text('42'), events.textEnd(), events.finished()]) gateway.publish(event);
    expect(await run.started).toBe('run_42');
    expect(await run.done).toEqual({ status: 'completed', runId: 'run_42', result: undefined });
    expect(run.text).toBe('42');
  });

  it('ends a refused start with the gateway’s error code', async () => {
    gateway.refuse = (frame) => (frame.type === 'start_agent' ? { code: 'invalid_message', message: "unknown agent 'nope'" } : null);
    const { client } = connect();
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    const run = client.startRun({ agent: 'nope', input: 'x' });
    expect(await run.done).toEqual({ status: 'refused', runId: null, code: 'invalid_message', message: "unknown agent 'nope'" });
    // the refusal is the run's, not a stray error
    expect(errors).toEqual([]);
  });

  it('tells two runs started at once apart by their threads', async () => {
    const { client } = connect();
    const first = client.startRun({ agent: 'demo', input: 'one' });
    const second = client.startRun({ agent: 'demo', input: 'two' });
    const connection = await gateway.connection(0);
    await eventually(() => (connection.ofType('start_agent').length === 2 ? true : undefined), 'both starts');
    const a = runEvents('run_a', first.threadId);
    const b = runEvents('run_b', second.threadId);
    // the second run's events come first and interleave
    for (const event of [b.started(), a.started(), b.text('B1 '), a.text('A1 '), a.text('A2'), b.text('B2'), a.finished(), b.finished()]) gateway.publish(event);
    await Promise.all([first.done, second.done]);
    expect([first.runId, first.text, second.runId, second.text]).toEqual(['run_a', 'A1 A2', 'run_b', 'B1 B2']);
  });

  it('cancels and answers through the handle; a refused answer rejects with the code and the question stays open', async () => {
    const { client } = connect();
    const run = client.startRun({ agent: 'asker', input: {} });
    const connection = await gateway.connection(0);
    await eventually(() => connection.ofType('start_agent')[0], 'start_agent');
    const events = runEvents('run_q', run.threadId);
    gateway.publish(events.started('asker'));
    gateway.publish(events.interrupt('q1'));
    await eventually(() => run.interrupts[0], 'the question');

    gateway.refuse = (frame) => (frame.type === 'answer_interrupt' && frame['value'] !== true ? { code: 'invalid_message', message: 'value must be boolean' } : null);
    await expect(run.answer('q1', 'yes')).rejects.toMatchObject({ code: 'invalid_message', message: 'value must be boolean' });
    await run.answer('q1', true);
    expect(connection.ofType('answer_interrupt')).toEqual([
      { type: 'answer_interrupt', run_id: 'run_q', interrupt_id: 'q1', value: 'yes', request_id: expect.stringMatching(/^c\d+$/) },
      { type: 'answer_interrupt', run_id: 'run_q', interrupt_id: 'q1', value: true, request_id: expect.stringMatching(/^c\d+$/) },
    ]);
    gateway.publish(events.interruptResolved('q1'));
    await eventually(() => (run.interrupts[0]?.status === 'resolved' ? true : undefined), 'resolved');

    gateway.onFrame = (frame) => {
      if (frame.type === 'cancel_run') gateway.publish(events.finished({ type: 'cancelled' }, { metadata: { agentwire: { code: 'cancelled', reason: 'cancelled by the user' } } }));
    };
    await run.cancel();
    expect(connection.ofType('cancel_run')).toEqual([{ type: 'cancel_run', run_id: 'run_q', request_id: expect.stringMatching(/^c\d+$/) }]);
    expect(await run.done).toEqual({ status: 'cancelled', runId: 'run_q', reason: 'cancelled by the user' });
  });

  it('queues a start made while connecting and sends it once open', async () => {
    gateway.refuseUpgrades = 1;
    const { client } = connect();
    const run = client.startRun({ agent: 'demo', input: 'queued' });
    const connection = await gateway.connection(0);
    await eventually(() => connection.ofType('start_agent')[0], 'start_agent');
    gateway.publish(runEvents('run_late', run.threadId).started());
    expect(await run.started).toBe('run_late');
  });

  it('finds a start whose connection dropped before the gateway confirmed it in the replay; ends it as connection_lost when nothing came', async () => {
    gateway.holdAnswers = true; // no ack comes: the starts stay unconfirmed
    const { client } = connect({ heartbeatIntervalMs: 0 });
    const confirmedByReplay = client.startRun({ agent: 'demo', input: 'one' });
    const first = await gateway.connection(0);
    await eventually(() => first.ofType('start_agent')[0], 'the first start');
    // the run started while the connection died
    gateway.record(runEvents('run_1', confirmedByReplay.threadId).started());
    first.terminate();
    expect(await confirmedByReplay.started).toBe('run_1');

    const lost = client.startRun({ agent: 'demo', input: 'two' });
    const second = await gateway.connection(1);
    await eventually(() => second.ofType('start_agent')[0], 'the second start');
    second.terminate();
    // nothing of it came in the next connection's replay: it never started
    expect(await lost.done).toMatchObject({ status: 'refused', code: ClientErrorCode.ConnectionLost });
    gateway.holdAnswers = false;
    const queued = client.startRun({ agent: 'demo', input: 'three' });
    const third = await gateway.connection(2);
    await eventually(() => third.ofType('start_agent')[0], 'the third start');
    expect(third.ofType('start_agent').map((frame) => frame['input'])).toEqual(['three']);
    gateway.publish(runEvents('run_3', queued.threadId).started());
    expect(await queued.started).toBe('run_3');
  });

  it('binds a start on a thread the caller chose to the run its ack names, with the events that came before the ack', async () => {
    gateway.holdAnswers = true;
    gateway.acknowledge = (frame) => (frame.type === 'start_agent' ? { run_id: frame['input'] === 'mine' ? 'run_mine' : 'run_theirs', thread_id: 'thread_shared' } : {});
    const { client } = connect();
    const mine = client.startRun({ agent: 'demo', input: 'mine', threadId: 'thread_shared' });
    const connection = await gateway.connection(0);
    await eventually(() => connection.ofType('start_agent')[0], 'start_agent');
    // another tab's run on the same thread, and this run's first events, before the ack
    const theirs = runEvents('run_theirs', 'thread_shared');
    const ours = runEvents('run_mine', 'thread_shared');
    for (const event of [theirs.started(), ours.started(), ours.textStart(), ours.text('mine '), theirs.text('theirs ')]) gateway.publish(event);
    await eventually(() => (client.position.seq === 5 ? true : undefined), 'five envelopes');
    for (const { connection: to, answer } of gateway.heldAnswers.splice(0)) to.send(answer);
    expect(await mine.started).toBe('run_mine');
    gateway.publish(ours.text('too'));
    gateway.publish(ours.finished());
    await mine.done;
    expect(mine.text).toBe('mine too');
  });

  it('shows every envelope of the stream, also of runs started elsewhere', async () => {
    const { client } = connect();
    const seen: string[] = [];
    client.on('event', (envelope) => seen.push(`${envelope.type}:${envelope.run_id ?? ''}`));
    await eventually(openState(client), 'open');
    const other = runEvents('run_other', 'thread_other');
    gateway.publish(other.started());
    gateway.publish(other.finished());
    gateway.publish({ type: 'app.notice', payload: { text: 'hello' } });
    await eventually(() => (seen.length === 3 ? true : undefined), 'three envelopes');
    expect(seen).toEqual(['RUN_STARTED:run_other', 'RUN_FINISHED:run_other', 'app.notice:']);
  });

  it('detaches open runs on close(), and refuses new ones after', async () => {
    const { client } = connect();
    const run = client.startRun({ agent: 'demo', input: 'x' });
    const connection = await gateway.connection(0);
    await eventually(() => connection.ofType('start_agent')[0], 'start_agent');
    gateway.publish(runEvents('run_open', run.threadId).started());
    await run.started;
    await client.close();
    expect(await run.done).toMatchObject({ status: 'detached', runId: 'run_open', code: ClientErrorCode.ClientClosed });
    expect(await client.startRun({ agent: 'demo', input: 'y' }).done).toMatchObject({ status: 'refused', code: ClientErrorCode.ClientClosed });
    await expect(client.send({ type: 'app.ping' })).rejects.toMatchObject({ code: ClientErrorCode.ClientClosed });
  });
});

describe('send', () => {
  it('sends an app-defined message and resolves once the gateway took it; rejects with the code of a refusal', async () => {
    const { client } = connect();
    gateway.refuse = (frame) => (frame['text'] === 'too much' ? { code: 'quota_exceeded', message: 'no more today' } : null);
    await client.send({ type: 'ask_time', text: 'fine' });
    await expect(client.send({ type: 'ask_time', text: 'too much' })).rejects.toMatchObject({ code: 'quota_exceeded', message: 'no more today' });
    const connection = await gateway.connection(0);
    expect(connection.ofType('ask_time')).toEqual([
      { type: 'ask_time', text: 'fine', request_id: expect.stringMatching(/^c\d+$/) },
      { type: 'ask_time', text: 'too much', request_id: expect.stringMatching(/^c\d+$/) },
    ]);
  });

  it('matches each answer to its request by request_id, in whatever order the answers come', async () => {
    gateway.holdAnswers = true;
    gateway.refuse = (frame) => (frame['text'] === 'no' ? { code: 'quota_exceeded', message: 'no more today' } : null);
    const { client } = connect();
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    const first = client.send({ type: 'ask_time', text: 'yes' });
    const second = client.send({ type: 'ask_time', text: 'no' });
    const third = client.send({ type: 'ask_time', text: 'yes again' });
    await eventually(() => (gateway.heldAnswers.length === 3 ? true : undefined), 'three answers held');
    // all three went out at once, and their answers come back last first
    for (const { connection, answer } of [...gateway.heldAnswers].reverse()) connection.send(answer);
    await expect(second).rejects.toMatchObject({ code: 'quota_exceeded' });
    await Promise.all([first, third]);
    expect(errors).toEqual([]);
  });

  it('reports an error that answers none of its requests', async () => {
    const { client } = connect();
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    await eventually(openState(client), 'open');
    (await gateway.connection(0)).send(FakeGateway.message('error', { code: 'rate_limited', message: 'slow down' }));
    await eventually(() => errors[0], 'the error');
    expect(errors).toEqual([{ code: 'rate_limited', message: 'slow down' }]);
  });
});
