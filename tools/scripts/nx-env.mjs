// Environment for every nx call the scripts make: no daemon (CI has no base and no long-lived
// processes), no Nx Cloud (unreachable here), plain output.
export const nxEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: process.env.FORCE_COLOR ?? '0' };
export const nxBin = new URL('../../node_modules/nx/dist/bin/nx.js', import.meta.url).pathname;
