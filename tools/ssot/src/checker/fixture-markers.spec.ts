import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tsParser from '@typescript-eslint/parser';
import { type ESLint, Linter } from 'eslint';
import { ssotPlugin, recommendedRules } from '../eslint';
import { RULE_IDS, loadRegistry } from '../registry';
import { REPO_ROOT } from '../testing-workspaces.test-helpers';
import { WorkspaceIndex } from '../workspace-model';
import { runCheck } from './run-check';

/**
 * Fixture workspaces in which every line that must be reported says so with a trailing
 * `// expect: <category>[, <category>]`, and every other line is a clean control: the checker
 * must report exactly the marked lines, no more, no fewer.
 */
const FIXTURES = ['file-kinds', 'any-monorepo', 'aliases', 'precision', 'bypasses', 'near-copies', 'type-checker', 'app-extensions'] as const;

const MARKER = /\/\/ expect: ([a-z-]+(?:, [a-z-]+)*)\s*$/;

function markedLines(root: string): string[] {
  const workspace = WorkspaceIndex.load(loadRegistry(join(root, 'ssot.config.json')));
  return workspace.sourceFileContexts().flatMap((context) =>
    readFileSync(context.path, 'utf8')
      .split(/\r?\n/)
      .flatMap((line, index) => (MARKER.exec(line)?.[1]?.split(', ') ?? []).map((category) => `${context.rel}:${index + 1} ${category}`)),
  );
}

describe.each(FIXTURES)('the %s fixture', (name) => {
  const root = join(REPO_ROOT, 'tools/ssot/fixtures', name);
  const result = runCheck({ cwd: root });
  const reported = result.violations.map((v) => `${v.file}:${v.line} ${v.category}`).sort();

  it('the checker reports every planted violation and nothing on the clean controls', () => {
    expect(reported).toEqual(markedLines(root).sort());
    expect(reported.length).toBeGreaterThan(0);
  });

  it('ESLint with the plugin reports the same per-file findings (and parse errors), in every file kind', () => {
    const config: Linter.Config[] = [
      {
        files: ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'],
        languageOptions: { parser: tsParser, parserOptions: { ecmaFeatures: { jsx: true } } },
        plugins: { ssot: ssotPlugin as unknown as ESLint.Plugin },
        rules: recommendedRules(),
      },
    ];
    const linter = new Linter({ configType: 'flat', cwd: root });
    const workspace = WorkspaceIndex.load(loadRegistry(join(root, 'ssot.config.json')));
    const linted = workspace
      .sourceFileContexts()
      .flatMap((context) =>
        linter.verify(readFileSync(context.path, 'utf8'), config, context.path).map((m) => `${context.rel}:${m.line} ${m.ruleId === null ? 'syntax-errors' : m.ruleId.replace('ssot/', '')}`),
      )
      .sort();
    // ESLint reports a file that does not parse itself, where the checker has its syntax-errors category
    const perFileRules = new Set<string>([...RULE_IDS, 'syntax-errors']);
    expect(linted).toEqual(reported.filter((row) => perFileRules.has(row.split(' ')[1] ?? '')));
  });
});
