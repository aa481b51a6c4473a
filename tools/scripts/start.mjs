// npm start: build the gateway and the packages it uses, then run it in this very process.
//
// package.json runs this script with `exec`, so npm's child is this process, not a shell that
// would die on SIGTERM and leave us behind; and the gateway runs here rather than in a child,
// so a signal npm forwards (or a terminal sends to the whole group) reaches the gateway itself
// and nothing can outlive it. The gateway drains once, however many signals arrive.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nxBin, nxEnv } from './nx-env.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
process.chdir(root);
console.log('agentwire: building the gateway (first run takes a little longer)…');
const build = spawn(process.execPath, [nxBin, 'run', 'gateway:build', '--outputStyle=static'], {
  cwd: root,
  env: nxEnv,
  stdio: ['ignore', 'ignore', 'inherit'],
});
// A signal during the build stops the build, then this process, the way the signal would have.
let interruptedBy = null;
const stopBuild = (signal) => {
  interruptedBy ??= signal;
  build.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stopBuild);
const [status] = await once(build, 'exit');
for (const signal of ['SIGINT', 'SIGTERM']) process.off(signal, stopBuild);
if (interruptedBy !== null) {
  console.error(`agentwire: ${interruptedBy} during the build; the gateway was not started.`);
  process.kill(process.pid, interruptedBy);
} else if (status !== 0) {
  console.error('agentwire: the build failed; run `npx nx run gateway:build` to see why.');
  process.exit(status ?? 1);
} else {
  // The built entry point installs its own SIGTERM/SIGINT handlers once it listens.
  await import(pathToFileURL(join(root, 'apps/gateway/dist/main.js')).href);
}
