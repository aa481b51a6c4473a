import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/**
 * What ships: dist/esm bundles for a browser with React and the client left to the app (React is
 * a peer dependency: one copy, the app's), and both builds load in Node. (The test target builds
 * the package first.)
 */

const packageRoot = join(__dirname, '..');
const esmEntry = join(packageRoot, 'dist/esm/index.js');
const cjsEntry = join(packageRoot, 'dist/cjs/index.js');
const EXPORTS = ['AgentwireProvider', 'useAgentwireClient', 'useConnectionState', 'useRun', 'useStartRun', 'runViewStore'];

describe('the published builds', () => {
  it('bundle for a browser from their own files only, importing react and @agentwirejs/client', () => {
    const bundle = buildSync({ absWorkingDir: packageRoot, entryPoints: [esmEntry], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, external: ['react', '@agentwirejs/client'] });
    expect(Object.keys(bundle.metafile.inputs).filter((input) => !input.startsWith('dist/esm/'))).toEqual([]);
    const imports = bundle.metafile.outputs[Object.keys(bundle.metafile.outputs)[0] ?? '']?.imports.map((imported) => imported.path);
    expect([...new Set(imports)].sort()).toEqual(['@agentwirejs/client', 'react']);
  });

  it("load in Node's ES module loader and with require, exporting the provider and the hooks", () => {
    const list = `${JSON.stringify(EXPORTS)}.map((name) => typeof m[name]).join(' ')`;
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(esmEntry)}); console.log(${list})`], { encoding: 'utf8' });
    const cjs = execFileSync(process.execPath, ['-e', `const m = require(${JSON.stringify(cjsEntry)}); console.log(${list})`], { encoding: 'utf8' });
    const expected = EXPORTS.map(() => 'function').join(' ');
    expect(esm.trim()).toBe(expected);
    expect(cjs.trim()).toBe(expected);
  });
});
