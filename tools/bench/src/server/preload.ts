// Loaded with `node -r` into a process the bench does not own (the gateway's dist/main.js): it
// answers the orchestrator's `usage`, `snapshot` and allocation requests over the IPC channel and
// changes nothing else.
import { serveRpc } from '../ipc';
import { allocationCommands, snapshot, usage, watchGc } from './probe';

if (process.send !== undefined) {
  watchGc();
  serveRpc({ usage, snapshot, ...allocationCommands() });
}
