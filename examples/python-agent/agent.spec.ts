import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { EventSchemas } from '@ag-ui/core/schemas';

/**
 * The Python agent of this folder, run for real: Debian's python3 with python3-fastapi,
 * python3-uvicorn and python3-pydantic (.ci/run installs them). Missing packages fail this spec
 * with the install command; they are never a reason to skip it.
 */
const REQUIRED_MODULES = 'import fastapi, uvicorn, pydantic';
const INSTALL_HINT = 'apt-get install -y python3-fastapi python3-uvicorn python3-pydantic';
/**
 * Debian's packages install for Debian's interpreter; a pyenv python3 earlier on PATH would not see
 * them. AGENT_PYTHON names another interpreter (a virtualenv's, say), and then only that one is tried.
 */
const PYTHON_CANDIDATES = process.env['AGENT_PYTHON'] ? [process.env['AGENT_PYTHON']] : ['/usr/bin/python3', 'python3'];

const STARTUP_ATTEMPTS = 100;
const STARTUP_POLL_MS = 100;
const LOG_WAIT_MS = 5_000;
const STOP_GRACE_MS = 5_000;

function pythonWithPackages(): string {
  const tried: string[] = [];
  for (const candidate of PYTHON_CANDIDATES) {
    const probe = spawnSync(candidate, ['-c', REQUIRED_MODULES], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
    tried.push(`${candidate}: ${probe.error ? probe.error.message : probe.stderr.trim().split('\n').pop() ?? `exit ${String(probe.status)}`}`);
  }
  throw new Error(
    `examples/python-agent needs python3 with FastAPI, uvicorn and pydantic from Debian's packages: run \`${INSTALL_HINT}\` (as root; .ci/run does this).\nTried:\n  ${tried.join('\n  ')}`,
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port from listen(0)');
  return address.port;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One uvicorn process serving agent:app on 127.0.0.1, with what it printed. */
class RunningAgent {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static async start(env: Record<string, string>): Promise<RunningAgent> {
    const python = pythonWithPackages();
    const port = await freePort();
    const child = spawn(python, ['-m', 'uvicorn', 'agent:app', '--host', '127.0.0.1', '--port', String(port)], {
      cwd: __dirname,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const agent = new RunningAgent(child, `http://127.0.0.1:${port}`);
    for (let attempt = 0; attempt < STARTUP_ATTEMPTS; attempt += 1) {
      if (child.exitCode !== null) break;
      const health = await fetch(`${agent.url}/health`).catch(() => undefined);
      if (health?.ok && ((await health.json()) as { status?: string }).status === 'ok') return agent;
      await delay(STARTUP_POLL_MS);
    }
    await agent.stop();
    throw new Error(`the Python agent did not answer GET /health on port ${port}:\n${agent.output}`);
  }

  /** Waits (bounded) until the agent has printed a line containing `text`. */
  async printed(text: string): Promise<boolean> {
    const deadline = Date.now() + LOG_WAIT_MS;
    while (!this.output.includes(text) && Date.now() < deadline) await delay(20);
    return this.output.includes(text);
  }

  get log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

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
    tools: [{ name: 'calculator', description: 'adds numbers', parameters: { type: 'object', properties: {} } }],
    context: [{ description: 'locale', value: 'en' }],
    forwardedProps: { agent: 'py' },
  };
}

async function postRun(agent: RunningAgent, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${agent.url}/agent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });
}

interface SseFrame {
  /** The parsed JSON of the frame's data line, or undefined for a comment frame. */
  event?: unknown;
  comment?: string;
}

/** Reads `data: <json>\n\n` and `: comment\n\n` frames as they arrive; `onFrame` returning true stops reading. */
async function readFrames(response: Response, onFrame: (frame: SseFrame) => boolean = () => false): Promise<SseFrame[]> {
  if (!response.body) throw new Error('response without a body');
  const frames: SseFrame[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const text = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (!text.startsWith(':') && !text.startsWith('data: ')) throw new Error(`not an SSE data or comment frame: ${JSON.stringify(text)}`);
      const frame: SseFrame = text.startsWith(':') ? { comment: text.slice(1).trim() } : { event: JSON.parse(text.slice('data: '.length)) as unknown };
      frames.push(frame);
      if (onFrame(frame)) return frames;
    }
  }
  expect(buffered).toBe('');
  return frames;
}

describe('the Python AG-UI agent (examples/python-agent, FastAPI + uvicorn)', () => {
  let agent: RunningAgent;

  beforeAll(async () => {
    // thinks longer than the keep-alive interval, so its stream carries `: ping` comments
    agent = await RunningAgent.start({ AGENT_TOKENS_PER_SECOND: '50', AGENT_THINKING_SECONDS: '0.5', AGENT_KEEPALIVE_SECONDS: '0.15' });
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
  });

  it('answers a RunAgentInput with text/event-stream AG-UI events that each pass EventSchemas, in run order, echoing the last user message word by word', async () => {
    const response = await postRun(agent, runAgentInput('run-1', 'what is six   times seven?'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const events = (await readFrames(response)).flatMap((frame) => (frame.event === undefined ? [] : [frame.event]));
    const parsed = events.map((event) => EventSchemas.safeParse(event));
    expect(parsed.filter((result) => !result.success).map((result) => result.error?.message)).toEqual([]);
    const valid = parsed.flatMap((result) => (result.success ? [result.data] : []));

    const types = valid.map((event) => event.type);
    const deltaCount = types.filter((type) => type === 'TEXT_MESSAGE_CONTENT').length;
    expect(types).toEqual([
      'RUN_STARTED',
      'REASONING_MESSAGE_CHUNK',
      'TEXT_MESSAGE_START',
      ...Array<string>(deltaCount).fill('TEXT_MESSAGE_CONTENT'),
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
    expect(valid[0]).toMatchObject({ type: 'RUN_STARTED', threadId: 'thread-1', runId: 'run-1' });
    expect(valid.at(-1)).toMatchObject({ type: 'RUN_FINISHED', threadId: 'thread-1', runId: 'run-1', outcome: { type: 'success' } });

    const start = valid[2];
    const deltas = valid.flatMap((event) => (event.type === 'TEXT_MESSAGE_CONTENT' ? [event] : []));
    expect(start).toMatchObject({ type: 'TEXT_MESSAGE_START', role: 'assistant' });
    expect(new Set(deltas.map((event) => event.messageId))).toEqual(new Set([start?.type === 'TEXT_MESSAGE_START' ? start.messageId : '']));
    expect(deltas.map((event) => event.delta).join('')).toBe('You said: what is six times seven?');
    expect(deltas.map((event) => event.delta)).toEqual(['You ', 'said: ', 'what ', 'is ', 'six ', 'times ', 'seven?']);
    expect(await agent.printed('run finished: run run-1')).toBe(true);
  });

  it('keeps a quiet stream alive with ": ping" comments', async () => {
    const frames = await readFrames(await postRun(agent, runAgentInput('run-ping', 'hello')));
    const comments = frames.flatMap((frame) => (frame.comment === undefined ? [] : [frame.comment]));
    // 0.5 s of thinking at one ping per 0.15 s without a write
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(new Set(comments)).toEqual(new Set(['ping']));
  });

  it('stops the run and prints "request aborted" when the client goes away mid-answer', async () => {
    const words = Array.from({ length: 60 }, (_, index) => `word${index}`).join(' ');
    const controller = new AbortController();
    const response = await postRun(agent, runAgentInput('run-aborted', words), controller.signal);
    let deltasSeen = 0;
    const frames = await readFrames(response, (frame) => {
      if ((frame.event as { type?: string } | undefined)?.type === 'TEXT_MESSAGE_CONTENT') deltasSeen += 1;
      return deltasSeen === 3;
    });
    controller.abort();
    expect(deltasSeen).toBe(3);
    expect(frames.some((frame) => (frame.event as { type?: string } | undefined)?.type === 'RUN_FINISHED')).toBe(false);

    expect(await agent.printed('request aborted: run run-aborted')).toBe(true);
    // 60 words at 50 a second would take 1.2 s: the run must not have gone on to finish
    await delay(1_500);
    expect(agent.log).not.toContain('run finished: run run-aborted');
  });

  it('refuses a body that is not a RunAgentInput with 422 and no stream', async () => {
    const response = await postRun(agent, { messages: [] });
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
