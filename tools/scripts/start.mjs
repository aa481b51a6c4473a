// npm start: build the gateway and the packages it uses, then run it in the foreground.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { nxBin, nxEnv } from './nx-env.mjs';

const root = new URL('../..', import.meta.url).pathname;
console.log('agentwire: building the gateway (first run takes a little longer)…');
const build = spawnSync(process.execPath, [nxBin, 'run', 'gateway:build', '--outputStyle=static'], {
  cwd: root,
  env: nxEnv,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (build.status !== 0) {
  console.error('agentwire: the build failed; run `npx nx run gateway:build` to see why.');
  process.exit(build.status ?? 1);
}
const gateway = spawn(process.execPath, [join(root, 'apps/gateway/dist/main.js')], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => gateway.kill(signal));
gateway.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
