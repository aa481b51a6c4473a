import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type ServerEnvelope, TERMINAL_RUN_EVENT_TYPES, WireProtocol, envelopeType } from '@agentwirejs/protocols';
import WebSocket from 'ws';

/**
 * Reads a long burst on a connection of its own in a process of its own: the pacing spec's
 * 200,000 × 1 KB stream. Read in the jest worker, the stream stalled whenever that worker did
 * (its collector works through the heap of everything the suite loaded, and it shares two
 * cores with the other suites, the gateways and Redis), and four times in full suites the
 * gateway closed the connection with 1013 (slow consumer: more than 8,000 frames behind). A
 * process that holds only this reader has a small heap and nothing else to do.
 */

/** The envelope types the reader acts on. */
const ACTED_ON: ReadonlySet<string> = new Set(['connection_established', 'error', ...TERMINAL_RUN_EVENT_TYPES]);
/** Bytes of a frame that hold its envelope's type: `{"type":"` and the longest type acted on, with room to spare. */
const TYPE_PREFIX_BYTES = 64;

/** What the reader is asked to do, passed to the child as one JSON argument. */
interface BurstRequest {
  readonly url: string;
  readonly token: string;
  readonly agent: string;
  readonly input: Record<string, unknown>;
  readonly timeoutMs: number;
}

/** The child's one line of output. */
type BurstOutcome = { readonly terminal: ServerEnvelope } | { readonly failure: string };

/**
 * Connects to `request.url` with `request.token` (agentwire.v2), starts `request.agent` with
 * `request.input` once the connection is established, and resolves with the run's terminal
 * event or the first error envelope. Frames are counted, not kept: only the start of each frame
 * is decoded, where the serializer writes the envelope's type, and the few acted on are parsed.
 */
export function readBurst(request: BurstRequest): Promise<ServerEnvelope> {
  const socket = new WebSocket(request.url, [WireProtocol.V2, `bearer.${request.token}`]);
  return new Promise<ServerEnvelope>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no terminal event within ${request.timeoutMs} ms`)), request.timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.terminate();
    };
    const fail = (error: Error): void => {
      finish();
      reject(error);
    };
    socket.on('error', fail);
    socket.on('close', (code) => fail(new Error(`the connection closed with ${code}`)));
    socket.on('message', (data) => {
      const frame = data as Buffer; // ws's default binaryType: one Buffer per message
      let type: string;
      try {
        type = envelopeType(frame.toString('utf8', 0, TYPE_PREFIX_BYTES));
      } catch (error) {
        fail(new Error(`no envelope type within the first ${TYPE_PREFIX_BYTES} bytes of ${JSON.stringify(frame.toString('utf8', 0, TYPE_PREFIX_BYTES))}: ${String(error)}`));
        return;
      }
      if (!ACTED_ON.has(type)) return;
      const message = JSON.parse(frame.toString()) as ServerEnvelope;
      if (message.type === 'connection_established') socket.send(JSON.stringify({ type: 'start_agent', agent: request.agent, input: request.input }));
      if (message.type === 'error' || TERMINAL_RUN_EVENT_TYPES.has(message.type)) {
        finish();
        resolve(message);
      }
    });
  });
}

/**
 * readBurst in a child process (`node -r @swc-node/register` on this file): resolves with the
 * run's terminal event, rejects with what went wrong there, or with the child's output if it
 * ended without saying. The child compiles with the gateway's build settings, whose empty
 * `paths` leave `@agentwirejs/*` to Node (the packages' built entries), as the gateway's own
 * dist/main.js imports them.
 */
export function readBurstInChildProcess(request: BurstRequest): Promise<ServerEnvelope> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', __filename, JSON.stringify(request)], {
    env: { PATH: process.env['PATH'] ?? '', SWC_NODE_PROJECT: join(__dirname, '..', '..', 'tsconfig.lib.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-10_000)));
  return new Promise<ServerEnvelope>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let outcome: BurstOutcome;
      try {
        outcome = JSON.parse(stdout) as BurstOutcome;
      } catch {
        reject(new Error(`the burst reader exited (${signal ?? code}) without an outcome:\n${stdout}${stderr}`));
        return;
      }
      if ('terminal' in outcome) resolve(outcome.terminal);
      else reject(new Error(`the burst reader: ${outcome.failure}`));
    });
  });
}

if (require.main === module) {
  const request = JSON.parse(process.argv[2] ?? '') as BurstRequest;
  readBurst(request).then(
    (terminal) => process.stdout.write(JSON.stringify({ terminal } satisfies BurstOutcome)),
    (error: unknown) => {
      process.stdout.write(JSON.stringify({ failure: error instanceof Error ? error.message : String(error) } satisfies BurstOutcome));
      process.exitCode = 1;
    },
  );
}
