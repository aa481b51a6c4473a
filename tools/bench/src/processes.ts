import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { RpcClient } from './ipc';
import { WORKSPACE_ROOT } from './paths';

/** Open files every child asks for; the hard limit caps it (the child's real limit is reported). */
export const WANTED_OPEN_FILES = 65_535;

/** A node child process with an IPC channel. */
export interface NodeChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly rpc: RpcClient;
  /** Everything it wrote to stderr (the last 64 KiB), for error messages. */
  stderr(): string;
  /** Everything it wrote to stdout (the last 64 KiB). */
  stdout(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnNodeOptions {
  readonly args?: readonly string[];
  readonly execArgv?: readonly string[];
  /** Added to the orchestrator's environment, minus its AGENTWIRE_* variables. */
  readonly env?: Readonly<Record<string, string>>;
}

function tail(buffer: string, chunk: string): string {
  const joined = buffer + chunk;
  return joined.length > 65_536 ? joined.slice(-65_536) : joined;
}

/** The orchestrator's environment without AGENTWIRE_* settings (a gateway rejects names it does not know). */
function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('AGENTWIRE_')) env[name] = value;
  return env;
}

/**
 * Starts `node [execArgv] script [args]` with an IPC channel, through bash so that its open-files
 * limit is raised first (to WANTED_OPEN_FILES, or to the hard limit when that is lower).
 */
export function spawnNode(name: string, script: string, options: SpawnNodeOptions = {}): NodeChild {
  const raise = `ulimit -n ${WANTED_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const child = spawn('bash', ['-c', raise, process.execPath, ...(options.execArgv ?? []), script, ...(options.args ?? [])], {
    cwd: WORKSPACE_ROOT,
    env: { ...baseEnvironment(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out = tail(out, chunk)));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err = tail(err, chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    process: child,
    rpc: new RpcClient(child, name),
    stderr: () => err,
    stdout: () => out,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A TCP port that was free a moment ago on `host` (for a child that cannot report the one it got). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200, or rejects after timeoutMs. */
export async function waitForHttpOk(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`the process serving ${url} exited`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
