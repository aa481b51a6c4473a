// The load generator: a process of its own (so it never shares a core's event loop with the
// server it measures), driven over IPC by the orchestrator. It holds groups of connections, one
// group per server under test, and runs the workloads of client/runs.ts on them.
import { serveRpc } from '../ipc';
import { monotonicUs } from '../machine';
import { usage, watchGc } from '../server/probe';
import type { BenchUser } from '../tokens';
import { type AgentwireProtocol, type BenchConnection, type Dialect, openConnections } from './connection';
import { type BroadcastParams, type RequestsParams, type UnicastParams, runBroadcast, runPaced, runRequests, runUnicast } from './runs';
import { type TokenStreamParams, runTokenStream } from './token-stream';

// exit normally on SIGTERM, so `node --cpu-prof` writes its profile
process.once('SIGTERM', () => process.exit(0));

function main(): void {
  watchGc();
  const groups = new Map<string, BenchConnection[]>();
  const group = (name: string): BenchConnection[] => {
    const connections = groups.get(name);
    if (connections === undefined) throw new Error(`no connection group '${name}'`);
    return connections;
  };
  serveRpc({
    usage,
    connect: async (args: { group: string; url: string; dialect: Dialect; users: BenchUser[]; concurrency?: number; protocol?: AgentwireProtocol }) => {
      if (groups.has(args.group)) throw new Error(`group '${args.group}' is already connected`);
      const startedAt = monotonicUs();
      const connections = await openConnections(args.url, args.dialect, args.users, args.concurrency, args.protocol);
      groups.set(args.group, connections);
      return { opened: connections.length, ms: Math.round((monotonicUs() - startedAt) / 1000) };
    },
    /** Requests go out on `group`; `alsoReceive` groups hold other connections of the same users, which must get the same runs. */
    unicast: (args: UnicastParams & { group: string; alsoReceive?: string[] }) =>
      runUnicast(group(args.group), args, [...group(args.group), ...(args.alsoReceive ?? []).flatMap((name) => group(name))]),
    broadcast: (args: { group: string } & BroadcastParams) => runBroadcast(group(args.group), args),
    paced: (args: { group: string; rate: number; durationMs: number; warmupMs: number; payloadBytes: number; timeoutMs: number }) => runPaced(group(args.group), args),
    requests: (args: { group: string } & RequestsParams) =>
      runRequests(group(args.group), args),
    /** One streamed answer per connection of every group named (token-stream.ts). */
    tokens: (args: { groups: string[] } & TokenStreamParams) => runTokenStream(args.groups.flatMap((name) => group(name)), args),
    /** How many connections of the group are still open (a server may close slow consumers). */
    status: (args: { group: string }) => {
      const connections = group(args.group);
      return { open: connections.filter((connection) => connection.open).length, malformed: connections.reduce((sum, connection) => sum + connection.malformed, 0) };
    },
    close: async (args: { group: string }) => {
      const connections = groups.get(args.group) ?? [];
      groups.delete(args.group);
      await Promise.all(connections.map((connection) => connection.close()));
      return { closed: connections.length };
    },
  });
}

main();
