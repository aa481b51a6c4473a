// A server under test in its own process (started with --expose-gc), driven over IPC by the
// orchestrator: `start {kind, host, secret, room}` answers the port, `usage {gc}` CPU and memory.
import { serveRpc } from '../ipc';
import { ManagerServer } from './manager';
import { allocationCommands, snapshot, usage, watchGc } from './probe';
import { RawWsServer } from './raw-ws';
import { SocketIoServer } from './socketio';

// exit normally on SIGTERM, so `node --cpu-prof` writes its profile
process.once('SIGTERM', () => process.exit(0));

/** The servers a host can run. */
export type HostKind = 'raw-ws' | 'socketio' | 'manager';

export interface HostStartArgs {
  readonly kind: HostKind;
  readonly host: string;
  readonly secret: string;
  /** Every connection joins the broadcast room. */
  readonly room: boolean;
  /** The manager joins each connection to the room's own stream (joinRoom stream 'room'), not through its user's stream. */
  readonly roomStream: boolean;
  /** Raw ws: a user's frames of one turn leave in one socket write (RawWsServer). */
  readonly cork: boolean;
}

function main(): void {
  watchGc();
  let server: RawWsServer | SocketIoServer | ManagerServer | null = null;
  serveRpc({
    usage,
    snapshot,
    ...allocationCommands(),
    start: async (args: HostStartArgs) => {
      if (server !== null) throw new Error('already started');
      const options = { host: args.host, secret: args.secret, room: args.room };
      server = args.kind === 'raw-ws' ? new RawWsServer({ ...options, cork: args.cork }) : args.kind === 'socketio' ? new SocketIoServer(options) : new ManagerServer({ ...options, roomStream: args.roomStream });
      return { port: await server.start() };
    },
    stop: async () => {
      await server?.stop();
      server = null;
    },
  });
}

main();
