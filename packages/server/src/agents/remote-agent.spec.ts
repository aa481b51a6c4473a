import { createServer } from 'node:net';
import { EventSchemas, RunAgentInputSchema } from '@ag-ui/core/schemas';
import { RemoteAgent } from './remote-agent';
import { RemoteAgentErrorCode } from './remote-agent-errors';
import { RecordingRemoteLogger, type RemoteBehaviour, ScriptedRemote, TrackerRig, openSse, sleep, writeEvents } from './remote-agent.test-helpers';


const SECRET = 'Bearer sk-remote-secret-123';
const started = (body: Record<string, unknown>) => ({ type: 'RUN_STARTED', threadId: body['threadId'], runId: body['runId'] });
const finished = (body: Record<string, unknown>, result?: string) => ({ type: 'RUN_FINISHED', threadId: body['threadId'], runId: body['runId'], ...(result === undefined ? {} : { result }) });
const text = (messageId: string, ...deltas: string[]) => [
  { type: 'TEXT_MESSAGE_START', messageId, role: 'assistant' },
  ...deltas.map((delta) => ({ type: 'TEXT_MESSAGE_CONTENT', messageId, delta })),
  { type: 'TEXT_MESSAGE_END', messageId },
];

describe('a remote AG-UI agent (RemoteAgent) run by the real execution tracker', () => {
  let remote: ScriptedRemote;
  let rig: TrackerRig;
  let logger: RecordingRemoteLogger;
  let agent: RemoteAgent;

  async function setUp(behave: RemoteBehaviour, options: { timeoutMs?: number; drainAfterFinishMs?: number } = {}): Promise<void> {
    remote = await new ScriptedRemote(behave).start();
    rig = new TrackerRig({ timeoutMs: options.timeoutMs });
    logger = new RecordingRemoteLogger();
    agent = new RemoteAgent({ name: 'remote', url: remote.url, headers: { authorization: SECRET } }, logger, { drainAfterFinishMs: options.drainAfterFinishMs ?? 500 });
  }

  afterEach(async () => {
    await rig?.close();
    await remote?.stop();
    // Headers are never logged.
    expect(JSON.stringify(logger?.lines ?? [])).not.toContain('sk-remote-secret');
  });

  /** Runs once and returns the outcome, the run's events and the one warn line (asserting there is exactly one). */
  async function runOnce(input: string | Record<string, unknown> = 'Hello') {
    const { runId, outcome } = rig.start(agent, input);
    const result = await outcome;
    return { runId, result, payloads: rig.payloads(runId), types: rig.types(runId) };
  }

  async function failure(code: string) {
    const run = await runOnce();
    expect(run.result.state).toBe('failed');
    expect(run.result.error?.code).toBe(code);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.fields).toMatchObject({ code, agent: 'remote', runId: run.runId });
    expect(run.result.error?.message).toContain(String(logger.warnings[0]?.fields['ref']));
    expect(run.types.at(-1)).toBe('RUN_ERROR');
    return run;
  }

  it('POSTs an AG-UI RunAgentInput with the configured headers and streams the answer into the user stream as AG-UI events', async () => {
    await setUp((request) => {
      openSse(request.response);
      writeEvents(request.response, started(request.body), ...text('m1', 'Hel', 'lo'), finished(request.body, 'Hello'));
      request.response.end();
    });
    const run = await runOnce('Say hello');
    const [request] = remote.requests;
    expect(RunAgentInputSchema.safeParse(request?.body).success).toBe(true);
    expect(request?.body).toMatchObject({ runId: run.runId, messages: [{ role: 'user', content: 'Say hello' }], state: {}, tools: [], context: [], forwardedProps: { input: 'Say hello' } });
    expect(request?.headers).toMatchObject({ authorization: SECRET, accept: 'text/event-stream', 'content-type': 'application/json' });
    expect(run.types).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    expect(run.payloads.every((payload) => EventSchemas.safeParse(payload).success)).toBe(true);
    expect(run.payloads[1]).toEqual({ type: 'TEXT_MESSAGE_START', messageId: 'm1', role: 'assistant' });
    expect(run.payloads.at(-1)).toMatchObject({ outcome: { type: 'success' }, result: 'Hello' });
    expect(logger.lines).toEqual([]);
  });

  it('maps reasoning, tool calls with their results, state, steps and custom events through the reporter', async () => {
    await setUp((request) => {
      openSse(request.response);
      writeEvents(
        request.response,
        started(request.body),
        { type: 'STEP_STARTED', stepName: 'plan' },
        { type: 'REASONING_START', messageId: 'r0' },
        { type: 'REASONING_MESSAGE_START', messageId: 'r1', role: 'reasoning' },
        { type: 'REASONING_MESSAGE_CONTENT', messageId: 'r1', delta: 'think' },
        { type: 'REASONING_MESSAGE_END', messageId: 'r1' },
        { type: 'REASONING_END', messageId: 'r0' },
        { type: 'TOOL_CALL_START', toolCallId: 'c1', toolCallName: 'search' },
        { type: 'TOOL_CALL_ARGS', toolCallId: 'c1', delta: '{"q":"x"}' },
        { type: 'TOOL_CALL_END', toolCallId: 'c1' },
        { type: 'TOOL_CALL_RESULT', messageId: 't1', toolCallId: 'c1', content: '{"hits":2}' },
        { type: 'STATE_SNAPSHOT', snapshot: { n: 1 } },
        { type: 'STATE_DELTA', delta: [{ op: 'replace', path: '/n', value: 2 }] },
        { type: 'CUSTOM', name: 'progress', value: 50 },
        { type: 'STEP_FINISHED', stepName: 'plan' },
        finished(request.body),
      );
      request.response.end();
    });
    const run = await runOnce();
    expect(run.types).toEqual([
      'RUN_STARTED',
      'STEP_STARTED',
      'REASONING_START',
      'REASONING_MESSAGE_START',
      'REASONING_MESSAGE_CONTENT',
      'REASONING_MESSAGE_END',
      'REASONING_END',
      'TOOL_CALL_START',
      'TOOL_CALL_ARGS',
      'TOOL_CALL_END',
      'TOOL_CALL_RESULT',
      'STATE_SNAPSHOT',
      'STATE_DELTA',
      'CUSTOM',
      'STEP_FINISHED',
      'RUN_FINISHED',
    ]);
    expect(run.payloads.find((payload) => payload['type'] === 'TOOL_CALL_RESULT')).toMatchObject({ toolCallId: 'c1', content: '{"hits":2}' });
  });

  it('expands TEXT_MESSAGE_CHUNK and TOOL_CALL_CHUNK into START, CONTENT and END', async () => {
    await setUp((request) => {
      openSse(request.response);
      writeEvents(
        request.response,
        { type: 'TEXT_MESSAGE_CHUNK', messageId: 'm1', delta: 'a' },
        { type: 'TEXT_MESSAGE_CHUNK', delta: 'b' },
        { type: 'TOOL_CALL_CHUNK', toolCallId: 'c1', toolCallName: 'f', delta: '{}' },
        { type: 'TOOL_CALL_RESULT', messageId: 't1', toolCallId: 'c1', content: '1' },
        finished(request.body),
      );
      request.response.end();
    });
    const run = await runOnce();
    expect(run.types).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END', 'TOOL_CALL_RESULT', 'RUN_FINISHED']);
  });

  it('passes MESSAGES_SNAPSHOT, ACTIVITY_*, RAW and REASONING_ENCRYPTED_VALUE through as they are; SUBAGENT_* count as liveness only', async () => {
    const standalone = [
      { type: 'MESSAGES_SNAPSHOT', messages: [{ id: 'u1', role: 'user', content: 'Hello' }] },
      { type: 'ACTIVITY_SNAPSHOT', messageId: 'plan-1', activityType: 'PLAN', content: { steps: ['search'] } },
      { type: 'ACTIVITY_DELTA', messageId: 'plan-1', activityType: 'PLAN', patch: [{ op: 'add', path: '/steps/1', value: 'answer' }] },
      { type: 'RAW', event: { vendor: 'acme', tokens: 12 } },
      { type: 'REASONING_ENCRYPTED_VALUE', subtype: 'message', entityId: 'r1', encryptedValue: 'b64:opaque' },
    ];
    await setUp((request) => {
      openSse(request.response);
      writeEvents(request.response, ...standalone, finished(request.body));
      request.response.end();
    });
    const run = await runOnce();
    expect(run.types).toEqual(['RUN_STARTED', ...standalone.map((event) => event.type), 'RUN_FINISHED']);
    expect(run.payloads.slice(1, -1)).toEqual(standalone);
  });

  it("turns a remote run's interrupt outcome into a question of the run, and resumes the remote with the user's answer in one agentwire run", async () => {
    const interrupt = {
      id: 'approve-1',
      reason: 'tool_approval',
      message: 'Send the invoice to ACME?',
      responseSchema: { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] },
    };
    await setUp((request) => {
      openSse(request.response);
      if (remote.requests.length === 1) writeEvents(request.response, started(request.body), ...text('m1', 'Drafted.'), { ...finished(request.body), outcome: { type: 'interrupt', interrupts: [interrupt] } });
      else writeEvents(request.response, started(request.body), ...text('m2', 'Sent.'), finished(request.body, 'sent'));
      request.response.end();
    });
    const { runId, outcome } = rig.start(agent, 'Invoice ACME');
    const question = await (async () => {
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const asked = rig.payloads(runId).find((payload) => payload['type'] === 'CUSTOM' && payload['name'] === 'agentwire.interrupt');
        if (asked !== undefined) return asked['value'] as Record<string, unknown>;
        await sleep(10);
      }
      throw new Error('the run never asked');
    })();
    expect(question).toMatchObject({ reason: 'tool_approval', message: 'Send the invoice to ACME?', responseSchema: interrupt.responseSchema });
    expect(() => rig.trackerFor('alice').answerInterrupt(runId, String(question['id']), { approved: 'yes' })).toThrow(); // checked against the remote's schema
    rig.trackerFor('alice').answerInterrupt(runId, String(question['id']), { approved: true });

    const result = await outcome;
    expect([result.state, result.finalResponse]).toEqual(['completed', 'sent']);
    expect(remote.requests).toHaveLength(2);
    expect(RunAgentInputSchema.safeParse(remote.requests[1]?.body).success).toBe(true);
    expect(remote.requests[1]?.body).toMatchObject({ threadId: remote.requests[0]?.body['threadId'], parentRunId: runId, resume: [{ interruptId: 'approve-1', status: 'resolved', payload: { approved: true } }] });
    const types = rig.types(runId);
    expect(types.filter((type) => type === 'RUN_FINISHED')).toHaveLength(1);
    expect(types.at(-1)).toBe('RUN_FINISHED');
    expect(rig.payloads(runId).filter((payload) => payload['type'] === 'TEXT_MESSAGE_START').map((payload) => payload['messageId'])).toEqual(['m1', 'm2']);
  });

  it('counts SSE keep-alive comments as liveness: a run with a 300 ms hang rule survives 600 ms of pings', async () => {
    await setUp(async (request) => {
      openSse(request.response);
      for (let ping = 0; ping < 6; ping += 1) {
        request.response.write(': ping\n\n');
        await sleep(100);
      }
      writeEvents(request.response, ...text('m1', 'done'), finished(request.body));
      request.response.end();
    });
    const { outcome } = rig.start(agent, 'x', 'alice', { hangAfterMs: 300 });
    expect((await outcome).state).toBe('completed');
  });

  it('cancel aborts the HTTP request: the remote sees its client go away, the run ends cancelled once', async () => {
    await setUp((request) => {
      openSse(request.response);
      writeEvents(request.response, { type: 'TEXT_MESSAGE_START', messageId: 'm1', role: 'assistant' }, { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta: 'partial' });
    });
    const tracker = rig.trackerFor('alice');
    const { runId, outcome } = tracker.startRun({ agent, input: 'x' });
    for (let waited = 0; remote.requests.length === 0 && waited < 100; waited += 1) await sleep(20);
    await sleep(50);
    expect(await tracker.cancel(runId)).toBe(true);
    expect(await remote.requests[0]?.aborted).toBe(true);
    expect((await outcome).state).toBe('cancelled');
  });

  describe('each fault ends the run once with a stable code and one warn line with a ref', () => {
    it('non-2xx: remote_http_error, naming the status', async () => {
      await setUp((request) => {
        request.response.writeHead(503).end('overloaded');
      });
      expect((await failure(RemoteAgentErrorCode.HttpError)).result.error?.message).toContain('HTTP 503');
    });

    it('unreachable: remote_unreachable', async () => {
      await setUp(() => undefined);
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as { port: number };
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      agent = new RemoteAgent({ name: 'remote', url: `http://127.0.0.1:${port}/agent`, headers: { authorization: SECRET } }, logger);
      await failure(RemoteAgentErrorCode.Unreachable);
    });

    it('an answer that is not an SSE stream: remote_protocol_error', async () => {
      await setUp((request) => {
        request.response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
      await failure(RemoteAgentErrorCode.ProtocolError);
    });

    it('malformed JSON in an SSE event: remote_protocol_error', async () => {
      await setUp((request) => {
        openSse(request.response);
        request.response.write('data: {"type": "TEXT_MESS\n\n');
      });
      await failure(RemoteAgentErrorCode.ProtocolError);
    });

    it('a schema-invalid AG-UI event: remote_protocol_error', async () => {
      await setUp((request) => {
        openSse(request.response);
        writeEvents(request.response, { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1' });
      });
      await failure(RemoteAgentErrorCode.ProtocolError);
    });

    it('an event of a message never started: remote_protocol_error', async () => {
      await setUp((request) => {
        openSse(request.response);
        writeEvents(request.response, { type: 'TEXT_MESSAGE_CONTENT', messageId: 'ghost', delta: 'boo' });
      });
      await failure(RemoteAgentErrorCode.ProtocolError);
    });

    it('the remote reports RUN_ERROR: remote_run_error, with its message', async () => {
      await setUp((request) => {
        openSse(request.response);
        writeEvents(request.response, { type: 'RUN_ERROR', message: 'model overloaded', code: 'overloaded' });
      });
      expect((await failure(RemoteAgentErrorCode.RunError)).result.error?.message).toContain('model overloaded');
    });

    it('the TCP connection drops mid-stream: remote_disconnected', async () => {
      await setUp(async (request) => {
        openSse(request.response);
        writeEvents(request.response, ...text('m1', 'half').slice(0, 2));
        await sleep(50);
        request.response.socket?.destroy();
      });
      await failure(RemoteAgentErrorCode.Disconnected);
    });

    it('the stream ends without RUN_FINISHED: remote_disconnected', async () => {
      await setUp((request) => {
        openSse(request.response);
        writeEvents(request.response, ...text('m1', 'all'));
        request.response.end();
      });
      await failure(RemoteAgentErrorCode.Disconnected);
    });

    it('a stall past the run timeout: timed_out, and the request is aborted', async () => {
      await setUp((request) => openSse(request.response), { timeoutMs: 300 });
      const run = await runOnce();
      expect(run.result.error?.code).toBe('timed_out');
      expect(await remote.requests[0]?.aborted).toBe(true);
      expect(logger.warnings.map((line) => line.fields['code'])).toEqual(['timed_out']);
    });

    it.each([
      ['an event after its RUN_FINISHED', (body: Record<string, unknown>) => [finished(body, 'ok'), { type: 'TEXT_MESSAGE_START', messageId: 'late', role: 'assistant' }]],
      ['RUN_FINISHED twice', (body: Record<string, unknown>) => [finished(body, 'ok'), finished(body, 'again')]],
    ])('%s: the run stays completed once, nothing of it reaches the user, one remote_protocol_error line', async (_what, events) => {
      await setUp((request) => {
        openSse(request.response);
        writeEvents(request.response, ...events(request.body));
        setTimeout(() => request.response.end(), 50);
      });
      const run = await runOnce();
      for (let waited = 0; logger.warnings.length === 0 && waited < 100; waited += 1) await sleep(10);
      expect({ state: run.result.state, types: rig.types(run.runId), codes: logger.warnings.map((line) => line.fields['code']) }).toEqual({
        state: 'completed',
        types: ['RUN_STARTED', 'RUN_FINISHED'],
        codes: [RemoteAgentErrorCode.ProtocolError],
      });
    });
  });
});
