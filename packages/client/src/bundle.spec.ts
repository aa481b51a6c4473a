import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';

/**
 * What ships: dist/esm bundled for a browser stays within its budget and pulls in no Node
 * built-in and no schema library; dist/esm loads in Node's ES module loader and dist/cjs with
 * require. (The test target builds the package first.)
 */

const BUDGET_BYTES = 15 * 1024;
const packageRoot = join(__dirname, '..');
const esmEntry = join(packageRoot, 'dist/esm/index.js');
const cjsEntry = join(packageRoot, 'dist/cjs/index.js');

describe('the published builds', () => {
  const bundle = buildSync({ absWorkingDir: packageRoot, entryPoints: [esmEntry], bundle: true, minify: true, platform: 'browser', format: 'esm', write: false, metafile: true });
  const code = bundle.outputFiles[0]?.text ?? '';

  it(`bundle for a browser in at most ${BUDGET_BYTES} bytes min+gzip`, () => {
    const gzipped = gzipSync(code).length;
    expect(code.length).toBeGreaterThan(1000);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('hold no Node built-in, no require and nothing but the client’s own files', () => {
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.filter((input) => !input.startsWith('dist/esm/'))).toEqual([]);
    expect(code).not.toMatch(/require\s*\(/);
    expect(code).not.toMatch(/["']node:/);
    const builtins = builtinModules.filter((name) => !name.startsWith('_')).filter((name) => new RegExp(`from\\s*["']${name}["']`).test(code));
    expect(builtins).toEqual([]);
  });

  it("load in Node's ES module loader and with require, exporting createClient", () => {
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(esmEntry)}); console.log(typeof m.createClient, m.WIRE_PROTOCOL)`], { encoding: 'utf8' });
    const cjs = execFileSync(process.execPath, ['-e', `const m = require(${JSON.stringify(cjsEntry)}); console.log(typeof m.createClient, m.WIRE_PROTOCOL)`], { encoding: 'utf8' });
    expect(esm.trim()).toBe('function agentwire.v2');
    expect(cjs.trim()).toBe('function agentwire.v2');
  });
});
