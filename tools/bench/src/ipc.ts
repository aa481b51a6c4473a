import type { ChildProcess } from 'node:child_process';

/** A request from the orchestrator to a child process. */
interface RpcRequest {
  readonly rpc: number;
  readonly command: string;
  readonly args: unknown;
}

/** A child's answer to one request. */
interface RpcResponse {
  readonly rpc: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

/** Handlers of a child process, by command name. */
export type RpcHandlers = Record<string, (args: never) => unknown>;

/** A command failed in the child, or the child went away. */
export class RpcError extends Error {
  readonly code = 'BENCH_RPC_FAILED';
}

function isRequest(message: unknown): message is RpcRequest {
  return typeof message === 'object' && message !== null && typeof (message as RpcRequest).rpc === 'number' && typeof (message as RpcRequest).command === 'string';
}

/**
 * Answers the orchestrator's requests in a child process started with an IPC channel (call it
 * once per process). The child exits when the orchestrator goes away, so no benchmark process
 * outlives a run.
 */
export function serveRpc(handlers: RpcHandlers): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new RpcError('serveRpc needs a process started with an IPC channel');
  const table = new Map(Object.entries(handlers));
  process.on('message', (message: unknown) => {
    if (!isRequest(message)) return;
    const handler = table.get(message.command);
    const reply = (response: RpcResponse): void => void send(response);
    if (handler === undefined) return reply({ rpc: message.rpc, ok: false, error: `unknown command '${message.command}'` });
    Promise.resolve()
      .then(() => handler(message.args as never))
      .then(
        (value) => reply({ rpc: message.rpc, ok: true, value }),
        (error: unknown) => reply({ rpc: message.rpc, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** The orchestrator's side of a child's IPC channel: call(command, args) resolves with the handler's value. */
export class RpcClient {
  private next = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  private gone: string | null = null;

  constructor(
    private readonly child: ChildProcess,
    private readonly name: string,
  ) {
    child.on('message', (message: RpcResponse) => {
      const entry = this.pending.get(message.rpc);
      if (entry === undefined) return;
      this.pending.delete(message.rpc);
      clearTimeout(entry.timer);
      if (message.ok) entry.resolve(message.value);
      else entry.reject(new RpcError(`${name}: ${message.error ?? 'failed'}`));
    });
    child.on('exit', (code, signal) => this.fail(`${name} exited (${signal ?? `code ${String(code)}`})`));
  }

  /** Runs `command` in the child; rejects with RpcError on failure, exit or after timeoutMs. */
  call<T>(command: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    if (this.gone !== null) return Promise.reject(new RpcError(this.gone));
    const rpc = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rpc);
        reject(new RpcError(`${this.name}: '${command}' took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rpc, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.child.send({ rpc, command, args } satisfies RpcRequest);
    });
  }

  private fail(reason: string): void {
    this.gone = reason;
    for (const [rpc, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new RpcError(reason));
      this.pending.delete(rpc);
    }
  }
}
