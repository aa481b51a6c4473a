import fc from 'fast-check';
import { EventType } from '@agentwirejs/protocols';
import type { Gateway } from '../gateway';
import type { TokenService } from '@agentwirejs/server';
import { RemoteAgentErrorCode } from '@agentwirejs/server';
import { type ReceivedRequest, ScriptedRemote, openSse, writeEvents } from '@agentwirejs/server/testing';
import { startTestGateway } from './harness.test-helpers';
import { ClientPool, isTerminal, lastSeqOf, sleep, streamOf, textOf } from './v2.test-helpers';

/** The answer the remote streams for an input: words tagged with the input, so every user's text is recognisably their own. */
const answerOf = (input: string): string[] => ['says', 'hello', 'from', 'afar'].map((word) => `${input}:${word} `);

/** A well-behaved remote: RUN_STARTED, one streamed text message (a delta every `intervalMs`), RUN_FINISHED. */
function streamAnswer(intervalMs: number) {
  return async (request: ReceivedRequest): Promise<void> => {
    const { body, response } = request;
    const input = String((body['forwardedProps'] as { input: unknown }).input);
    openSse(response);
    writeEvents(response, { type: 'RUN_STARTED', threadId: body['threadId'], runId: body['runId'] }, { type: 'TEXT_MESSAGE_START', messageId: `m-${String(body['runId'])}`, role: 'assistant' });
    for (const delta of answerOf(input)) {
      if (response.destroyed) return;
      writeEvents(response, { type: 'TEXT_MESSAGE_CONTENT', messageId: `m-${String(body['runId'])}`, delta });
      await sleep(intervalMs);
    }
    writeEvents(response, { type: 'TEXT_MESSAGE_END', messageId: `m-${String(body['runId'])}` }, { type: 'RUN_FINISHED', threadId: body['threadId'], runId: body['runId'] });
    response.end();
  };
}

describe('remote AG-UI agents through the gateway (AGENTWIRE_REMOTE_AGENTS)', () => {
  let remote: ScriptedRemote;
  let gateway: Gateway;
  let tokens: TokenService;
  const clients = new ClientPool();

  beforeEach(async () => {
    remote = await new ScriptedRemote(streamAnswer(5)).start();
    const broken = `http://127.0.0.1:1/unreachable`;
    ({ gateway, tokens } = await startTestGateway({
      AGENTWIRE_REMOTE_AGENTS: JSON.stringify({ echo: { url: remote.url, headers: { authorization: 'Bearer remote-secret' } }, gone: broken }),
      AGENTWIRE_STREAM_COALESCE_MS: '0',
      // The property below may start up to 8 runs of one user at once: above the default 5 they would be refused (limit_exceeded), not run.
      AGENTWIRE_MAX_RUNS_PER_USER: '8',
    }));
  });

  afterEach(async () => {
    const problems = clients.finish();
    await gateway.stop();
    await remote.stop();
    expect(problems).toEqual([]);
  });

  it('streams the remote answer into the user stream: valid AG-UI, one terminal, exact text across a reconnect with after_seq', async () => {
    remote.behave = streamAnswer(30);
    const first = await clients.connect(gateway, tokens, 'alice');
    first.send({ type: 'start_agent', agent: 'echo', input: 'alice' });
    await first.waitForCount((message) => message.type === EventType.TEXT_MESSAGE_CONTENT, 2);
    const position = lastSeqOf(first);
    const before = streamOf(first).filter((message) => (message.seq as number) <= position);
    first.socket.terminate();
    const second = await clients.connect(gateway, tokens, 'alice', { query: `?after_seq=${position}` });
    await second.waitFor(isTerminal);
    const after = streamOf(second);
    expect({
      text: textOf(before) + textOf(after),
      terminals: [...before, ...after].filter(isTerminal).map((message) => message.type),
    }).toEqual({ text: answerOf('alice').join(''), terminals: [EventType.RUN_FINISHED] });
  });

  it('cancel_run mid-answer aborts the remote request and ends the run once as cancelled', async () => {
    remote.behave = streamAnswer(200);
    const client = await clients.connect(gateway, tokens, 'alice');
    client.send({ type: 'start_agent', agent: 'echo', input: 'alice' });
    const content = await client.waitFor((message) => message.type === EventType.TEXT_MESSAGE_CONTENT);
    client.send({ type: 'cancel_run', run_id: content.run_id });
    await client.waitFor(isTerminal);
    expect(await remote.requests[0]?.aborted).toBe(true);
    await sleep(100);
    expect(streamOf(client).filter(isTerminal).map((message) => message.payload['outcome'])).toEqual([{ type: 'cancelled' }]);
  });

  it('a remote fault ends the run with its code, and the gateway keeps serving', async () => {
    const client = await clients.connect(gateway, tokens, 'alice');
    client.send({ type: 'start_agent', agent: 'gone', input: 'x' });
    const failed = await client.waitFor(isTerminal);
    client.send({ type: 'start_agent', agent: 'echo', input: 'again' });
    const next = await client.waitFor((message) => isTerminal(message) && message.run_id !== failed.run_id);
    expect([failed.payload['code'], next.payload['outcome']]).toEqual([RemoteAgentErrorCode.Unreachable, { type: 'success' }]);
  });

  it('no user ever receives another user’s remote run events (interleaved runs of several users)', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('ann', 'bob', 'cyd', 'dee'), { minLength: 1, maxLength: 8 }), async (starts) => {
        round += 1;
        const users = [...new Set(starts)];
        const userIdOf = (user: string) => `${user}-${round}`;
        const connected = new Map(await Promise.all(users.map(async (user) => [user, await clients.connect(gateway, tokens, userIdOf(user))] as const)));
        for (const user of starts) connected.get(user)?.send({ type: 'start_agent', agent: 'echo', input: user });
        const runsOf = (user: string) => starts.filter((starter) => starter === user).length;
        await Promise.all(users.map((user) => connected.get(user)?.waitForCount(isTerminal, runsOf(user))));
        for (const [user, client] of connected) {
          const stream = streamOf(client);
          const deltas = stream.filter((message) => message.type === EventType.TEXT_MESSAGE_CONTENT).map((message) => String(message.payload['delta']));
          expect({
            strangers: stream.filter((message) => message.user_id !== userIdOf(user)).length,
            foreignText: deltas.filter((delta) => !delta.startsWith(`${user}:`)),
            runs: new Set(stream.map((message) => message.run_id)).size,
            finished: stream.filter((message) => message.type === EventType.RUN_FINISHED).length,
          }).toEqual({ strangers: 0, foreignText: [], runs: runsOf(user), finished: runsOf(user) });
        }
        for (const client of connected.values()) client.socket.terminate();
      }),
      { numRuns: 8 },
    );
  });
});
