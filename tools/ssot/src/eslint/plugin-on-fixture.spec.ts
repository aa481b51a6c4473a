import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tsParser from '@typescript-eslint/parser';
import { type ESLint, Linter } from 'eslint';
import { runCheck } from '../checker';
import { runMigrate } from '../codemod';
import { RULE_IDS, loadRegistry } from '../registry';
import { LEGACY_FIXTURE, REPO_ROOT, copyLegacyFixture } from '../testing-workspaces.test-helpers';
import { WorkspaceIndex } from '../workspace-model';
import { recommendedRules, rules, ssotPlugin } from './index';

/** Our plugin as a workspace would configure it. */
const config: Linter.Config[] = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tsParser },
    plugins: { ssot: ssotPlugin as unknown as ESLint.Plugin },
    rules: recommendedRules(),
  },
];
// flat-config `files` patterns match relative to the linter's cwd, so each workspace gets its own
const linterIn = (cwd: string) => new Linter({ configType: 'flat', cwd });

function filesOf(root: string): { path: string; rel: string }[] {
  const workspace = WorkspaceIndex.load(loadRegistry(join(root, 'ssot.config.json')));
  return workspace.sourceFiles().map((path) => ({ path, rel: workspace.fileContext(path).rel }));
}

describe('the ESLint plugin on the legacy fixture', () => {
  it('reports exactly what the checker reports for the per-file rules', () => {
    const linter = linterIn(LEGACY_FIXTURE);
    const linted = filesOf(LEGACY_FIXTURE)
      .flatMap(({ path, rel }) => linter.verify(readFileSync(path, 'utf8'), config, path).map((m) => `${m.ruleId} ${rel}:${m.line}:${m.column}`))
      .sort();
    const perFileRules = new Set<string>(RULE_IDS);
    const checked = runCheck({ cwd: LEGACY_FIXTURE })
      .violations.filter((v) => perFileRules.has(v.category))
      .map((v) => `ssot/${v.category} ${v.file}:${v.line}:${v.column}`)
      .sort();
    expect(linted).toEqual(checked);
    expect(linted).toHaveLength(20);
  });

  it('eslint --fix rewrites the imports exactly as agentwire-ssot migrate does', () => {
    const fixedByLint = copyLegacyFixture();
    const linter = linterIn(fixedByLint);
    for (const { path } of filesOf(fixedByLint)) {
      const fixed = linter.verifyAndFix(readFileSync(path, 'utf8'), config, path);
      if (fixed.fixed) writeFileSync(path, fixed.output);
    }
    const migrated = copyLegacyFixture();
    runMigrate({ cwd: migrated });
    const sources = (root: string) => filesOf(root).map(({ path, rel }) => [rel, readFileSync(path, 'utf8')]);
    expect(sources(fixedByLint)).toEqual(sources(migrated));
    expect(sources(fixedByLint)).not.toEqual(sources(LEGACY_FIXTURE));
  });
});

describe("the repository's eslint.config.mjs", () => {
  it('turns on every rule of the plugin, by name', () => {
    const text = readFileSync(join(REPO_ROOT, 'eslint.config.mjs'), 'utf8');
    const enabled = [...text.matchAll(/'ssot\/([a-z-]+)': 'error'/g)].map((m) => m[1]).sort();
    expect(enabled).toEqual(Object.keys(rules).sort());
  });
});
