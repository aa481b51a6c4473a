import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyLegacyFixture } from '../testing-workspaces.test-helpers';
import { SCORE_FORMULA, runCheck, scoreOf } from './run-check';

/**
 * The score measures the code: only fixing raises it. It is 100 * K / (K + violations), so no
 * change to the file count (padding, splitting, moving under a test folder) can move it up.
 */
describe('the score', () => {
  it('is 100 with no violation, halves at K violations and never rises with one more', () => {
    expect(scoreOf(0, 10)).toBe(100);
    expect(scoreOf(10, 10)).toBe(50);
    expect(scoreOf(22, 10)).toBe(31.2);
    for (let v = 0; v < 200; v += 1) expect(scoreOf(v + 1, 10)).toBeLessThanOrEqual(scoreOf(v, 10));
    // strictly while one tenth of a point can still show a single violation
    for (let v = 0; v < 30; v += 1) expect(scoreOf(v + 1, 10)).toBeLessThan(scoreOf(v, 10));
    expect(SCORE_FORMULA).toContain('100 * K / (K + violations)');
  });

  const scoreIn = (dir: string) => runCheck({ cwd: dir }).score.value;
  const original = scoreIn(copyLegacyFixture());
  const originalTests = runCheck({ cwd: copyLegacyFixture() }).files.test;

  it('does not rise when 300 one-line files are added', () => {
    const dir = copyLegacyFixture();
    mkdirSync(join(dir, 'packages/services/src/padding'));
    for (let i = 0; i < 300; i += 1) writeFileSync(join(dir, `packages/services/src/padding/pad-${i}.ts`), `export const pad${i} = ${i};\n`);
    expect(scoreIn(dir)).toBe(original);
  });

  it('does not rise when a file with findings is split in two', () => {
    const dir = copyLegacyFixture();
    const src = join(dir, 'packages/websocket-core/src');
    const text = readFileSync(join(src, 'connection-registry.ts'), 'utf8');
    const cut = text.indexOf('let registry');
    writeFileSync(join(src, 'connection-registry.ts'), `${text.slice(0, cut)}export { getConnectionRegistry } from './connection-registry-holder';\n`);
    writeFileSync(join(src, 'connection-registry-holder.ts'), `import { ConnectionRegistry } from './connection-registry';\n\n${text.slice(cut)}`);
    const result = runCheck({ cwd: dir });
    expect(result.violations.find((v) => v.subject === 'registry')?.file).toBe('packages/websocket-core/src/connection-registry-holder.ts');
    expect(result.score.value).toBeLessThanOrEqual(original);
  });

  it('does not rise when files with findings move under a test folder that production code imports', () => {
    const dir = copyLegacyFixture();
    const services = join(dir, 'packages/services/src');
    const core = join(dir, 'packages/websocket-core/src');
    mkdirSync(join(services, 'testing'), { recursive: true });
    mkdirSync(join(core, 'testing'));
    renameSync(join(services, 'event-dispatcher.ts'), join(services, 'testing/event-dispatcher.ts'));
    renameSync(join(core, 'connection-registry.ts'), join(core, 'testing/connection-registry.ts'));
    const rewrite = (file: string, from: string, to: string) => writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
    rewrite(join(services, 'index.ts'), "'./event-dispatcher'", "'./testing/event-dispatcher'");
    rewrite(join(core, 'index.ts'), "'./connection-registry'", "'./testing/connection-registry'");
    rewrite(join(core, 'testing/connection-registry.ts'), "'./types'", "'../types'");
    const result = runCheck({ cwd: dir });
    expect(result.score.value).toBe(original);
    expect(result.byCategory['no-module-singletons']).toBe(2);
  });

  it.each([
    ['another package\'s import of an exports subpath', (dir: string, core: string) => {
      writeFileSync(join(core, 'package.json'), JSON.stringify({ name: '@legacy/websocket-core', exports: { '.': './src/index.ts', './registry/*': { types: './src/testing/*.ts', default: './dist/testing/*.js' } } }));
      const services = join(dir, 'packages/services/src/index.ts');
      writeFileSync(services, `${readFileSync(services, 'utf8')}export { getConnectionRegistry } from '@legacy/websocket-core/registry/connection-registry';\n`);
      return dir;
    }],
    ['a #name of its package.json imports', (dir: string, core: string) => {
      writeFileSync(join(core, 'package.json'), JSON.stringify({ name: '@legacy/websocket-core', imports: { '#registry': './src/testing/connection-registry.ts' } }));
      const index = join(core, 'src/index.ts');
      writeFileSync(index, `${readFileSync(index, 'utf8')}export { getConnectionRegistry } from '#registry';\n`);
      return dir;
    }],
    ['a tsconfig paths alias', (dir: string) => {
      writeFileSync(join(dir, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@core-testing/*': ['packages/websocket-core/src/testing/*'] } } }));
      const services = join(dir, 'packages/services/src/index.ts');
      writeFileSync(services, `${readFileSync(services, 'utf8')}export { getConnectionRegistry } from '@core-testing/connection-registry';\n`);
      return dir;
    }],
    // a test file's own imports are followed once production code is found to reach it
    ['another test file that it imports', (dir: string, core: string) => {
      writeFileSync(join(core, 'src/testing/index.ts'), "export { ConnectionRegistry, getConnectionRegistry } from './connection-registry';\n");
      const index = join(core, 'src/index.ts');
      writeFileSync(index, `${readFileSync(index, 'utf8')}export { ConnectionRegistry, getConnectionRegistry } from './testing/index';\n`);
      return dir;
    }],
  ])('does not rise when a file with findings moves under a test folder that production code reaches through %s', (_, reach) => {
    const dir = copyLegacyFixture();
    const core = join(dir, 'packages/websocket-core');
    mkdirSync(join(core, 'src/testing'));
    renameSync(join(core, 'src/connection-registry.ts'), join(core, 'src/testing/connection-registry.ts'));
    const rewrite = (file: string, from: string, to: string) => writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
    rewrite(join(core, 'src/index.ts'), "export { ConnectionRegistry, getConnectionRegistry } from './connection-registry';\n", '');
    rewrite(join(core, 'src/testing/connection-registry.ts'), "'./types'", "'../types'");
    reach(dir, core);
    const result = runCheck({ cwd: dir });
    expect(result.violations.find((v) => v.subject === 'registry')?.file).toBe('packages/websocket-core/src/testing/connection-registry.ts');
    expect(result.score.value).toBeLessThanOrEqual(original);
    // the files production code reaches count as production code, not as tests
    expect(result.files.test).toBe(originalTests);
  });

  it('rises when a violation is fixed', () => {
    const dir = copyLegacyFixture();
    writeFileSync(join(dir, 'apps/chat/src/cors.ts'), 'export const ALLOWED_ORIGINS: readonly string[] = [];\n');
    expect(scoreIn(dir)).toBeGreaterThan(original);
  });
});
