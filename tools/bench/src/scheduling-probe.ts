// A busy loop in a process of its own: `gaps {durationMs, thresholdMs}` spins and reports the
// stretches it went without its core (scheduling.ts). The orchestrator starts one per core.
import { serveRpc } from './ipc';
import { busyLoopGaps } from './scheduling';

serveRpc({
  gaps: (args: { durationMs: number; thresholdMs: number }) => busyLoopGaps(args.durationMs, args.thresholdMs),
});
