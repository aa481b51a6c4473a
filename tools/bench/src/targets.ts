import type { Dialect } from './client/connection';
import { gatewayNodeFlags } from './gateway-flags';
import { BENCH_HOST, BENCH_SECRET, GATEWAY_BENCH_SETTINGS } from './options';
import { SCRIPTS } from './paths';
import { type NodeChild, freePort, spawnNode, waitForHttpOk } from './processes';
import type { HostKind, HostStartArgs } from './server/host';
import type { ProcessUsage } from './server/probe';
import type { AllocationReport } from '@agentwirejs/types/testing';

/** A server under test, in a process of its own. */
export interface ServerTarget {
  readonly label: string;
  /** ws://host:port */
  readonly baseUrl: string;
  readonly dialect: Dialect;
  readonly pid: number;
  /** CPU and memory of the server process (after full collections when gc is true; with window, its GC pauses since the last windowed call). */
  usage(gc?: boolean, window?: boolean): Promise<ProcessUsage>;
  /** Writes a heap snapshot of the server process (after a full collection) to `file`. */
  snapshot(file: string): Promise<void>;
  /** Starts counting the bytes the server process allocates (V8's sampling heap profiler). */
  allocationsStart(): Promise<void>;
  /** What it allocated since allocationsStart(), and the frames that allocated most. */
  allocationsStop(): Promise<AllocationReport>;
  stop(): Promise<void>;
}

function target(label: string, child: NodeChild, port: number, dialect: Dialect): ServerTarget {
  return {
    label,
    baseUrl: `ws://${BENCH_HOST}:${port}`,
    dialect,
    pid: child.process.pid ?? 0,
    usage: (gc = false, window = false) => child.rpc.call<ProcessUsage>('usage', { gc, window }, 60_000),
    snapshot: async (file) => void (await child.rpc.call('snapshot', { file }, 300_000)),
    allocationsStart: () => child.rpc.call<void>('allocationsStart', {}, 30_000),
    allocationsStop: () => child.rpc.call<AllocationReport>('allocationsStop', {}, 60_000),
    stop: () => child.stop(),
  };
}

/** Extra node flags for every server (e.g. --cpu-prof while profiling). */
export interface ServerFlags {
  readonly execArgv?: readonly string[];
}

/** Starts a raw ws, socket.io or manager server (dist/server/host.js) with --expose-gc. */
export async function startHost(kind: HostKind, label: string, options: { room?: boolean; roomStream?: boolean; cork?: boolean } & ServerFlags = {}): Promise<ServerTarget> {
  const child = spawnNode(`${label} server`, SCRIPTS.serverHost, { execArgv: ['--expose-gc', ...(options.execArgv ?? [])] });
  try {
    const args: HostStartArgs = { kind, host: BENCH_HOST, secret: BENCH_SECRET, room: options.room ?? false, roomStream: options.roomStream ?? false, cork: options.cork ?? false };
    const { port } = await child.rpc.call<{ port: number }>('start', args, 30_000);
    return target(label, child, port, kind === 'socketio' ? 'socketio' : 'agentwire');
  } catch (error) {
    await child.stop();
    throw new Error(`${label}: ${error instanceof Error ? error.message : String(error)}\n${child.stderr()}`);
  }
}

/**
 * Starts the gateway as a person runs it (`node apps/gateway/dist/main.js` with the Node flags
 * `npm start` gives it), in test mode with GATEWAY_BENCH_SETTINGS, plus --expose-gc and the
 * bench's probe preloaded (it only answers `usage`, `snapshot` and the allocation commands over
 * IPC). Resolves once /ready answers 200.
 */
export async function startGateway(label: string, settings: Readonly<Record<string, string>> = {}, flags: ServerFlags = {}): Promise<ServerTarget> {
  const port = await freePort(BENCH_HOST);
  const env = { ...GATEWAY_BENCH_SETTINGS, AGENTWIRE_HOST: BENCH_HOST, AGENTWIRE_PORT: String(port), AGENTWIRE_JWT_SECRET: BENCH_SECRET, ...settings };
  const child = spawnNode(label, SCRIPTS.gateway, { execArgv: [...gatewayNodeFlags(), '--expose-gc', '-r', SCRIPTS.probePreload, ...(flags.execArgv ?? [])], env });
  try {
    await waitForHttpOk(`http://${BENCH_HOST}:${port}/ready`, 30_000, () => child.process.exitCode === null);
    return target(label, child, port, 'agentwire');
  } catch (error) {
    await child.stop();
    throw new Error(`${label}: ${error instanceof Error ? error.message : String(error)}\n${child.stderr()}${child.stdout()}`);
  }
}
