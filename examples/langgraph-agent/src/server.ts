import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type Event, EventType } from '@ag-ui/core';
import { RunAgentInputSchema } from '@ag-ui/core/schemas';
import { type MessagesGraph, runEvents } from './run-events';
import type { RunStats } from './run-stats';
import { SseResponse } from './sse-response';

export interface AgentServerOptions {
  /** The compiled LangGraph graph each run streams. */
  readonly graph: MessagesGraph;
  readonly stats: RunStats;
  /** The longest an SSE stream goes without a byte: a `: ping` comment is sent then. */
  readonly keepAliveMs: number;
  /** Where the one line per run event goes (stdout in main). */
  readonly log: (line: string) => void;
  /** The largest request body taken, in bytes (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

/** The path AG-UI runs are POSTed to (what AGENTWIRE_REMOTE_AGENTS names). */
export const RUN_PATH = '/';
const DEFAULT_MAX_BODY_BYTES = 1_048_576;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** What is wrong with the body, one line per problem (a 422's). */
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // read to the end even when too large (the rest is dropped), so the 413 reaches a client still sending
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  });
  await once(request, 'end');
  if (size > maxBytes) throw new HttpError(413, `the body is larger than ${maxBytes} bytes`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

/**
 * The agent over HTTP (node:http): `POST /` takes an AG-UI RunAgentInput (checked with
 * RunAgentInputSchema; 400, 413 or 422 with a JSON error before any stream starts) and answers
 * `text/event-stream`, one AG-UI event per frame; a client that goes away aborts the run's graph.
 * `GET /health` answers {"status":"ok"}; `GET /stats` the run counters.
 */
export function createAgentServer(options: AgentServerOptions): Server {
  const { graph, stats, keepAliveMs, log } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  async function run(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const parsed = RunAgentInputSchema.safeParse(await readJson(request, maxBodyBytes));
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
      throw new HttpError(422, 'the body is not an AG-UI RunAgentInput', issues);
    }
    const input = parsed.data;
    const client = new AbortController();
    // 'close' before the response finished: the client went away (agentwire's cancel_run, a dropped connection)
    response.once('close', () => {
      if (!response.writableFinished) client.abort(new Error('the client went away'));
    });
    stats.runStarted();
    log(`run started: thread ${input.threadId} run ${input.runId}`);
    const stream = new SseResponse(response, keepAliveMs);
    stream.open();
    let last: Event | undefined;
    try {
      for await (const event of runEvents(graph, input, client.signal)) {
        await stream.send(event);
        last = event;
      }
    } catch (error) {
      if (!client.signal.aborted) log(`run broke: run ${input.runId}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      stream.close();
    }
    if (client.signal.aborted) {
      stats.runEnded('aborted');
      log(`request aborted: run ${input.runId}`);
    } else if (last?.type === EventType.RUN_FINISHED) {
      stats.runEnded('finished');
      log(`run finished: run ${input.runId}`);
    } else {
      stats.runEnded('failed');
      log(`run failed: run ${input.runId}`);
    }
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://agent').pathname;
    const allowed = path === RUN_PATH ? 'POST' : path === '/health' || path === '/stats' ? 'GET' : undefined;
    if (allowed === undefined) return sendJson(response, 404, { error: `no route ${path}` });
    if (request.method !== allowed) return sendJson(response, 405, { error: `${path} takes ${allowed}` }, { allow: allowed });
    if (path === '/health') return sendJson(response, 200, { status: 'ok' });
    if (path === '/stats') return sendJson(response, 200, stats.snapshot());
    return run(request, response);
  }

  return createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof HttpError) sendJson(response, error.status, { error: error.message, ...(error.issues.length > 0 ? { issues: error.issues } : {}) });
      else sendJson(response, 500, { error: 'the agent server failed' });
    });
  });
}
