import { EventType } from '@ag-ui/core';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatGenerationChunk } from '@langchain/core/outputs';
import type { StreamEvent } from '@langchain/core/tracers/log_stream';
import { createAgentGraph } from './graph';
import type { MessagesGraph } from './run-events';
import { RunStats } from './run-stats';
import { createAgentServer } from './server';
import { type SseFrame, agUiEventsOf, readFrames, textOf } from './sse-frames.test-helpers';
import { WordCounterChatModel } from './word-counter-model';

const TOKENS_PER_SECOND = 50;
const KEEPALIVE_MS = 30;

/** The word counter, counting the chunks it has streamed (to see that an aborted run's model stopped). */
class CountingModel extends WordCounterChatModel {
  chunksStreamed = 0;

  override async *_streamResponseChunks(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    for await (const chunk of super._streamResponseChunks(messages, options, runManager)) {
      this.chunksStreamed += 1;
      yield chunk;
    }
  }
}

/** A node:http server of createAgentServer on 127.0.0.1 and a free port, with its counters and what it logged. */
class TestAgent {
  readonly lines: string[] = [];
  readonly stats = new RunStats();
  private readonly server: Server;

  private constructor(graph: MessagesGraph, maxBodyBytes?: number) {
    const log = (line: string): void => void this.lines.push(line);
    this.server = createAgentServer({ graph, stats: this.stats, keepAliveMs: KEEPALIVE_MS, log, ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }) });
  }

  static async start(graph: MessagesGraph, maxBodyBytes?: number): Promise<TestAgent> {
    const agent = new TestAgent(graph, maxBodyBytes);
    agent.server.listen(0, '127.0.0.1');
    await once(agent.server, 'listening');
    return agent;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  post(body: unknown, signal?: AbortSignal): Promise<Response> {
    return fetch(`${this.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...(signal === undefined ? {} : { signal }),
    });
  }

  /** Resolves once `read` returns true; rejects after `timeoutMs` naming `what` (with what it logged). */
  async until(read: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!read()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the agent logged:\n${this.lines.join('\n')}`);
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function runAgentInput(runId: string, userText: string) {
  return {
    threadId: 'thread-1',
    runId,
    state: { visits: 1 },
    messages: [
      { id: 'm-0', role: 'system', content: 'Be brief.' },
      { id: 'm-1', role: 'user', content: 'an earlier question' },
      { id: 'm-2', role: 'assistant', content: 'an earlier answer' },
      { id: 'm-3', role: 'user', content: userText },
    ],
    tools: [],
    context: [{ description: 'locale', value: 'en' }],
    forwardedProps: { agent: 'lg' },
  };
}

const words = (count: number): string => Array.from({ length: count }, (_, index) => `word${index + 1}`).join(' ');
const isContent = (frame: SseFrame): boolean => 'event' in frame && (frame.event as { type?: unknown }).type === EventType.TEXT_MESSAGE_CONTENT;

describe('the agent server (node:http, AG-UI over SSE with @ag-ui/encoder)', () => {
  let model: CountingModel;
  let agent: TestAgent;

  beforeAll(async () => {
    model = new CountingModel({ tokensPerSecond: TOKENS_PER_SECOND });
    agent = await TestAgent.start(createAgentGraph(model));
  });

  afterAll(async () => {
    await agent?.stop();
  });

  it('answers a RunAgentInput with text/event-stream AG-UI events that each pass EventSchemas: RUN_STARTED, the steps, the tool call, the answer word by word, one RUN_FINISHED', async () => {
    const response = await agent.post(runAgentInput('run-1', 'what is six   times seven?'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');

    const events = agUiEventsOf(await readFrames(response));
    const types = events.map((event) => event.type);
    expect(types[0]).toBe(EventType.RUN_STARTED);
    expect(types.at(-1)).toBe(EventType.RUN_FINISHED);
    expect(types.filter((type) => type === EventType.RUN_FINISHED || type === EventType.RUN_ERROR)).toHaveLength(1);
    expect(events[0]).toMatchObject({ threadId: 'thread-1', runId: 'run-1' });
    expect(events.at(-1)).toMatchObject({ threadId: 'thread-1', runId: 'run-1', outcome: { type: 'success' } });
    expect(types.indexOf(EventType.TOOL_CALL_RESULT)).toBeGreaterThan(types.indexOf(EventType.TOOL_CALL_END));
    expect(types.indexOf(EventType.TEXT_MESSAGE_START)).toBeGreaterThan(types.indexOf(EventType.TOOL_CALL_RESULT));
    expect(events.find((event) => event.type === EventType.TOOL_CALL_RESULT)).toMatchObject({ content: '{"words":5}' });
    expect(textOf(events)).toBe('"what is six times seven?" has 5 words.');
    expect(events.every((event) => typeof event.timestamp === 'number')).toBe(true);
    await agent.until(() => agent.lines.includes('run finished: run run-1'), 'the run to be logged finished');
    expect(agent.lines).toContain('run started: thread thread-1 run run-1');
  });

  it('aborts the graph when the client goes away mid-answer: the model streams no more, the run counts as aborted, never finished', async () => {
    const before = agent.stats.snapshot();
    const controller = new AbortController();
    const response = await agent.post(runAgentInput('run-aborted', words(40)), controller.signal);
    const frames = await readFrames(response, (read) => read.filter(isContent).length === 3);
    controller.abort();
    expect(frames.filter(isContent)).toHaveLength(3);

    await agent.until(() => agent.stats.snapshot().runs_aborted === before.runs_aborted + 1, 'runs_aborted to count the run');
    expect(agent.lines).toContain('request aborted: run run-aborted');
    const streamedAtAbort = model.chunksStreamed;
    // the whole answer (three tool call pieces, 44 words) would take about a second at 50 a second
    await sleep(1_200);
    expect(model.chunksStreamed).toBeLessThanOrEqual(streamedAtAbort + 1);
    expect(agent.stats.snapshot()).toEqual({ ...before, runs_started: before.runs_started + 1, runs_aborted: before.runs_aborted + 1 });
    expect(agent.lines).not.toContain('run finished: run run-aborted');
  });

  it('counts runs on GET /stats and answers GET /health', async () => {
    const stats = (await (await fetch(`${agent.url}/stats`)).json()) as Record<string, unknown>;
    expect(stats).toEqual(agent.stats.snapshot());
    expect(Object.keys(stats).sort()).toEqual(['runs_aborted', 'runs_failed', 'runs_finished', 'runs_started']);
    expect(await (await fetch(`${agent.url}/health`)).json()).toEqual({ status: 'ok' });
  });

  it('refuses, before any stream, a body that is not a RunAgentInput (422), not JSON (400), a wrong method (405) and an unknown path (404)', async () => {
    const notInput = await agent.post({ messages: [] });
    expect(notInput.status).toBe(422);
    expect(notInput.headers.get('content-type')).toBe('application/json');
    expect(await notInput.json()).toMatchObject({ error: 'the body is not an AG-UI RunAgentInput', issues: expect.arrayContaining([expect.stringMatching(/^threadId: /)]) });
    expect((await agent.post('{"threadId":')).status).toBe(400);
    const getRun = await fetch(`${agent.url}/`);
    expect(getRun.status).toBe(405);
    expect(getRun.headers.get('allow')).toBe('POST');
    expect((await fetch(`${agent.url}/agent`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('the agent server, with a model slower than its keep-alive interval', () => {
  let agent: TestAgent;

  beforeAll(async () => {
    // 100 ms between chunks, a ping after 30 ms of quiet
    agent = await TestAgent.start(createAgentGraph(new WordCounterChatModel({ tokensPerSecond: 10 })));
  });

  afterAll(async () => {
    await agent?.stop();
  });

  it('keeps the quiet stream alive with ": ping" comments between the events', async () => {
    const frames = await readFrames(await agent.post(runAgentInput('run-ping', 'hello')));
    const comments = frames.flatMap((frame) => ('comment' in frame ? [frame.comment] : []));
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(new Set(comments)).toEqual(new Set(['ping']));
    expect(textOf(agUiEventsOf(frames))).toBe('"hello" has 1 word.');
  });
});

describe('the agent server, when the graph fails or the body is too large', () => {
  const failingGraph: MessagesGraph = {
    async *streamEvents(): AsyncGenerator<StreamEvent> {
      yield { event: 'on_chain_start', name: 'model', run_id: 'node-1', metadata: { langgraph_node: 'model' }, tags: ['graph:step:1'], data: {} };
      throw new Error('the model provider is down');
    },
  };
  let agent: TestAgent;

  beforeAll(async () => {
    agent = await TestAgent.start(failingGraph, 512);
  });

  afterAll(async () => {
    await agent?.stop();
  });

  it('ends the stream with RUN_ERROR and counts the run failed', async () => {
    const events = agUiEventsOf(await readFrames(await agent.post(runAgentInput('run-failed', 'hello'))));
    expect(events.map((event) => event.type)).toEqual([EventType.RUN_STARTED, EventType.STEP_STARTED, EventType.STEP_FINISHED, EventType.RUN_ERROR]);
    expect(events.at(-1)).toMatchObject({ message: 'the model provider is down', code: 'AGENT_ERROR' });
    await agent.until(() => agent.stats.snapshot().runs_failed === 1, 'runs_failed to count the run');
    expect(agent.lines).toContain('run failed: run run-failed');
  });

  it('refuses a body larger than its limit with 413', async () => {
    const response = await agent.post(runAgentInput('run-large', words(200)));
    expect(response.status).toBe(413);
    expect(agent.stats.snapshot().runs_started).toBe(1);
  });
});
