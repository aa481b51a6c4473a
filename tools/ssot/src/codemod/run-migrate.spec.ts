import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tsParser from '@typescript-eslint/parser';
import { type ESLint, Linter } from 'eslint';
import { runCheck } from '../checker';
import { recommendedRules, ssotPlugin } from '../eslint';
import { REPO_ROOT, ROOT_REGISTRY } from '../testing-workspaces.test-helpers';
import { runMigrate } from './run-migrate';

const FIXTURE = join(REPO_ROOT, 'tools/ssot/fixtures/codemod');
const SOURCES = 'apps/web/src';
const toCrlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

let scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  scratch = [];
});

/** A copy of the fixture's input, its registry pointing at the repository's, with crlf.ts in CRLF. */
function copyInput(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ssot-codemod-'));
  scratch.push(dir);
  cpSync(join(FIXTURE, 'input'), dir, { recursive: true });
  const registryFile = join(dir, 'ssot.config.json');
  writeFileSync(registryFile, JSON.stringify({ ...(JSON.parse(readFileSync(registryFile, 'utf8')) as object), extends: ROOT_REGISTRY }));
  const crlf = join(dir, SOURCES, 'crlf.ts');
  writeFileSync(crlf, toCrlf(readFileSync(crlf, 'utf8')));
  return dir;
}

function expected(name: string): string {
  const text = readFileSync(join(FIXTURE, 'expected', SOURCES, name), 'utf8');
  return name === 'crlf.ts' ? toCrlf(text) : text;
}

describe('agentwire-ssot migrate', () => {
  const dir = copyInput();
  const before = runCheck({ cwd: dir });
  const result = runMigrate({ cwd: dir });
  const names = readdirSync(join(dir, SOURCES)).sort();

  it.each(readdirSync(join(FIXTURE, 'expected', SOURCES)).sort())('leaves %s exactly as expected/ shows', (name) => {
    expect(readFileSync(join(dir, SOURCES, name), 'utf8')).toBe(expected(name));
  });

  it('keeps the comments written inside a split import, each with its name', () => {
    const text = readFileSync(join(dir, SOURCES, 'comments.ts'), 'utf8');
    for (const comment of ['// the manager every handler shares', '// legacy name, kept at the import', '/* connection records */']) expect(text).toContain(comment);
  });

  it('keeps CRLF line endings in the lines it writes', () => {
    const text = readFileSync(join(dir, SOURCES, 'crlf.ts'), 'utf8');
    expect(text.split('\r\n').length).toBe(text.split('\n').length);
    expect(text).toContain("from '@agentwirejs/manager';\r\nimport { ConnectionInfo } from '@agentwirejs/types';\r\n");
  });

  it('adds names to an existing import of their module rather than importing it twice', () => {
    const text = readFileSync(join(dir, SOURCES, 'merge.ts'), 'utf8');
    expect(text.match(/from '@agentwirejs\/router'/g)).toHaveLength(1);
  });

  it('moves a module mock to the module the code now loads', () => {
    expect(readFileSync(join(dir, SOURCES, 'records.spec.ts'), 'utf8')).toContain("jest.mock('@agentwirejs/types');");
    expect(readFileSync(join(dir, SOURCES, 'manager.spec.ts'), 'utf8')).toContain("jest.mock('@agentwirejs/manager');");
  });

  it('writes nothing the checker then reports: every finding before was a bad import, none is left', () => {
    expect(before.violations.every((v) => v.category === 'forbidden-imports')).toBe(true);
    expect(before.violations.length).toBeGreaterThanOrEqual(names.length);
    expect(runCheck({ cwd: dir }).violations).toEqual([]);
    expect(result.unfixed).toEqual([]);
  });

  it('changes nothing on a second run', () => {
    const once = names.map((name) => readFileSync(join(dir, SOURCES, name), 'utf8'));
    expect(runMigrate({ cwd: dir }).importsChanged).toBe(0);
    expect(names.map((name) => readFileSync(join(dir, SOURCES, name), 'utf8'))).toEqual(once);
  });

  it('gives the same files as eslint --fix, which runs the same plans in the same passes', () => {
    const linted = copyInput();
    const config: Linter.Config[] = [
      { files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: { ssot: ssotPlugin as unknown as ESLint.Plugin }, rules: recommendedRules() },
    ];
    const linter = new Linter({ configType: 'flat', cwd: linted });
    for (const name of names) {
      const path = join(linted, SOURCES, name);
      const fixed = linter.verifyAndFix(readFileSync(path, 'utf8'), config, path);
      writeFileSync(path, fixed.output);
    }
    expect(names.map((name) => readFileSync(join(linted, SOURCES, name), 'utf8'))).toEqual(names.map((name) => readFileSync(join(dir, SOURCES, name), 'utf8')));
  });
});
