import { compileGlob } from './glob';

describe('compileGlob', () => {
  it.each([
    ['**/*.spec.ts', 'packages/a/src/x.spec.ts', true],
    ['**/*.spec.ts', 'x.spec.ts', true],
    ['**/*.spec.ts', 'packages/a/src/x.ts', false],
    ['packages/*', 'packages/types', true],
    ['packages/*', 'packages/types/src', false],
    ['tools/ssot/fixtures/**', 'tools/ssot/fixtures/legacy/a.ts', true],
    ['**/src/testing/**', 'packages/m/src/testing/mock.ts', true],
    ['**/*.{spec,test}.ts', 'a/b.test.ts', true],
    ['a?c.ts', 'abc.ts', true],
    ['a?c.ts', 'a/c.ts', false],
    ['file.ts', 'fileXts', false],
  ])('%s matches %s: %s', (glob, path, expected) => {
    expect(compileGlob(glob).test(path)).toBe(expected);
  });

  it('rejects an unclosed brace', () => {
    expect(() => compileGlob('a{b')).toThrow(SyntaxError);
  });
});
