import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { runMigrate } from '../codemod';
import { LEGACY_FIXTURE, REPO_ROOT, copyLegacyFixture } from '../testing-workspaces.test-helpers';
import { CheckReportSchema, toJsonReport } from './report-json';
import { toSarif } from './report-sarif';
import { formatTextReport } from './report-text';
import { type CheckResult, runCheck } from './run-check';
import type { Violation } from './violation';

/** Every defect the fixture reproduces: category, file, line, column, subject. */
const LEGACY_DEFECTS = [
  ['forbidden-imports', 'apps/chat/src/bootstrap.ts', 1, 41, '@agentwirejs/manager/src/unified-manager'],
  ['factory-only', 'apps/chat/src/bootstrap.ts', 5, 10, 'UnifiedWebSocketManager'],
  ['no-hardcoded-config', 'apps/chat/src/cors.ts', 1, 52, 'localhost:8000'],
  ['forbidden-imports', 'apps/chat/src/handlers.ts', 1, 34, '@legacy/websocket-core'],
  ['forbidden-imports', 'apps/chat/src/handlers.ts', 2, 37, '@legacy/websocket-core'],
  ['forbidden-imports', 'apps/chat/src/notifier.ts', 1, 30, '@agentwirejs/manager/legacy'],
  ['forbidden-imports', 'apps/chat/src/rooms.ts', 1, 27, '@legacy/websocket-core/manager'],
  ['forbidden-imports', 'apps/chat/src/session.ts', 1, 32, '../../../packages/types/src/connection-info'],
  ['forbidden-imports', 'apps/chat/src/session.ts', 5, 8, '@legacy/websocket-core'],
  ['no-hardcoded-config', 'apps/chat/src/settings.ts', 2, 24, 'http://localhost:8000'],
  ['no-hardcoded-config', 'apps/chat/src/settings.ts', 3, 26, 'process.env'],
  ['no-hardcoded-config', 'apps/chat/src/settings.ts', 3, 54, 'redis://localhost'],
  ['structural-duplicates', 'packages/services/src/conn-info.ts', 4, 14, 'ConnInfo~ConnectionInfo'],
  ['no-module-singletons', 'packages/services/src/event-dispatcher.ts', 2, 18, 'EventDispatcher.instance'],
  ['canonical-definitions', 'packages/services/src/event-router.ts', 2, 14, 'ConnectionInfo'],
  ['canonical-definitions', 'packages/services/src/testing/mock-websocket-manager.ts', 2, 14, 'MockWebSocketManager'],
  ['no-module-singletons', 'packages/websocket-core/src/connection-registry.ts', 15, 5, 'registry'],
  ['canonical-definitions', 'packages/websocket-core/src/types.ts', 2, 14, 'ConnectionInfo'],
  ['duplicate-names', 'packages/websocket-core/src/types.ts', 14, 14, 'WebSocketConnection'],
  ['canonical-definitions', 'packages/websocket-core/src/unified-manager.ts', 4, 14, 'UnifiedWebSocketManager'],
  ['canonical-definitions', 'packages/websocket-core/src/websocket-manager.ts', 4, 14, 'WebSocketManager'],
  ['factory-only', 'packages/websocket-core/src/websocket-manager.ts', 4, 39, 'UnifiedWebSocketManager'],
] as const;

const rows = (violations: readonly Violation[]) => violations.map((v) => [v.category, v.file, v.line, v.column, v.subject]);
const find = (result: CheckResult, category: string, file: string) => result.violations.filter((v) => v.category === category && v.file === file);

function typecheck(dir: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('agentwire-ssot check on the legacy fixture', () => {
  const result = runCheck({ cwd: LEGACY_FIXTURE });

  it('reports each legacy defect exactly once, at its location', () => {
    expect(rows(result.violations)).toEqual(LEGACY_DEFECTS.map((row) => [...row]));
  });

  it('counts by category and scores over every scanned file', () => {
    expect(result.byCategory).toEqual({
      'canonical-definitions': 5,
      'forbidden-imports': 7,
      'factory-only': 2,
      'no-module-singletons': 2,
      'no-hardcoded-config': 4,
      'duplicate-names': 1,
      'structural-duplicates': 1,
      'deprecated-entry-points': 0,
      'syntax-errors': 0,
      'near-copies': 0,
      'cross-module-bypasses': 0,
      'cross-module-singletons': 0,
    });
    expect(result.files).toEqual({ scanned: 29, source: 26, test: 3, withViolations: 15 });
    // issue 18: the score counts violations, not files (10 / (10 + 22)); it was 48.2 over 29 files
    expect(result.score.value).toBe(31.2);
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual(['22 new violations (at most 0 allowed)', 'score 31.2 is below the minimum 100']);
  });

  it('names the owner and the import to use, and the factory to call', () => {
    const [twoConnectionInfos] = find(result, 'canonical-definitions', 'packages/websocket-core/src/types.ts');
    expect(twoConnectionInfos?.message).toBe("class ConnectionInfo redefines a canonical concept owned by @agentwirejs/types: import it from '@agentwirejs/types' instead");
    const [mock] = find(result, 'canonical-definitions', 'packages/services/src/testing/mock-websocket-manager.ts');
    expect(mock?.hint).toBe("delete this class and import { MockWebSocketManager } from '@agentwirejs/manager/testing'");
    const [direct] = find(result, 'factory-only', 'apps/chat/src/bootstrap.ts');
    expect(direct?.message).toBe("UnifiedWebSocketManager is factory-only: get it from WebSocketManagerFactory ('@agentwirejs/manager'), never with new");
  });

  it('reports cross-package duplicates as pairs with both locations', () => {
    const [copy] = find(result, 'structural-duplicates', 'packages/services/src/conn-info.ts');
    expect(copy?.related).toEqual([{ file: 'packages/types/src/connection-info.ts', line: 4, column: 14, endLine: 4, endColumn: 28, message: 'class ConnectionInfo' }]);
    const [sameName] = find(result, 'duplicate-names', 'packages/websocket-core/src/types.ts');
    expect(sameName?.related.map((r) => `${r.file}:${r.line}`)).toEqual(['packages/services/src/websocket-connection.ts:2']);
  });

  it('prints the same counts and score whatever the display limit', () => {
    const limited = formatTextReport(result, 1);
    const full = formatTextReport(result, 0);
    const summary = (text: string) => text.slice(text.indexOf('Summary'));
    expect(summary(limited)).toBe(summary(full));
    expect(limited).toContain('forbidden-imports: 7 (7 fixable with agentwire-ssot migrate)');
    expect(limited).toContain('  ... and 6 more (--limit 0 lists all)');
    expect(limited).toContain(result.score.formula);
    expect(full).not.toContain('more (--limit 0');
  });

  it('writes JSON in the documented schema', () => {
    const report = CheckReportSchema.parse(JSON.parse(JSON.stringify(toJsonReport(result))));
    expect(report.summary).toMatchObject({ violations: 22, new: 22, baselined: 0, fixable: 7 });
    expect(report.score).toMatchObject({ value: 31.2, filesScanned: 29, filesWithViolations: 15 });
    expect(report.score.formula).toContain('every violation counts');
  });

  it('writes SARIF 2.1.0 with one result per violation and the rules it uses', () => {
    const sarif = toSarif(result) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const [run] = sarif.runs;
    expect(run?.results).toHaveLength(22);
    for (const item of run?.results ?? []) expect(run?.tool.driver.rules[item.ruleIndex]?.id).toBe(item.ruleId);
    expect(run?.results[0]?.locations[0]?.physicalLocation.region.startLine).toBe(1);
  });
});

describe('agentwire-ssot migrate on the legacy fixture', () => {
  it('type-checks before migration', () => {
    expect(typecheck(LEGACY_FIXTURE)).toEqual({ status: 0, output: '' });
  }, 60_000);

  it('in a dry run reports what would change and writes nothing', () => {
    const dir = copyLegacyFixture();
    const before = readFileSync(join(dir, 'apps/chat/src/session.ts'), 'utf8');
    const dry = runMigrate({ cwd: dir, dryRun: true });
    expect({ imports: dry.importsChanged, files: dry.changed.length, unfixed: dry.unfixed }).toEqual({ imports: 7, files: 5, unfixed: [] });
    expect(readFileSync(join(dir, 'apps/chat/src/session.ts'), 'utf8')).toBe(before);
  });

  it('clears every bad import, keeps the rest, raises the score, type-checks and is idempotent', () => {
    const dir = copyLegacyFixture();
    const before = runCheck({ cwd: dir });
    const migrated = runMigrate({ cwd: dir });
    expect(migrated.changed).toEqual([
      { file: 'apps/chat/src/bootstrap.ts', imports: 1 },
      { file: 'apps/chat/src/handlers.ts', imports: 2 },
      { file: 'apps/chat/src/notifier.ts', imports: 1 },
      { file: 'apps/chat/src/rooms.ts', imports: 1 },
      { file: 'apps/chat/src/session.ts', imports: 2 },
    ]);
    const after = runCheck({ cwd: dir });
    expect(after.byCategory['forbidden-imports']).toBe(0);
    expect(rows(after.violations)).toEqual(rows(before.violations.filter((v) => v.category !== 'forbidden-imports')));
    expect({ before: before.score.value, after: after.score.value }).toEqual({ before: 31.2, after: 40 });
    expect(after.files.withViolations).toBe(11);
    expect(typecheck(dir)).toEqual({ status: 0, output: '' });

    const snapshot = () => readdirSync(join(dir, 'apps/chat/src')).map((name) => readFileSync(join(dir, 'apps/chat/src', name), 'utf8'));
    const once = snapshot();
    const again = runMigrate({ cwd: dir });
    expect({ imports: again.importsChanged, files: again.changed }).toEqual({ imports: 0, files: [] });
    expect(snapshot()).toEqual(once);
  }, 60_000);

  it('keeps default, namespace, aliased, type-only and multi-line imports correct', () => {
    const dir = copyLegacyFixture();
    runMigrate({ cwd: dir });
    const read = (name: string) => readFileSync(join(dir, 'apps/chat/src', name), 'utf8');
    expect(read('notifier.ts').split('\n')[0]).toBe("import { UnifiedWebSocketManager as WebSocketManager } from '@agentwirejs/manager';");
    expect(read('rooms.ts')).toBe(
      "import * as managers from '@agentwirejs/manager';\n\nexport function roomSize(manager: managers.UnifiedWebSocketManager): number {\n  return manager.connectionCount();\n}\n",
    );
    expect(read('handlers.ts').split('\n').slice(0, 2)).toEqual([
      "import { UnifiedWebSocketManager as WebSocketManager } from '@agentwirejs/manager';",
      "import type { ConnectionInfo } from '@agentwirejs/types';",
    ]);
    // The names split off the grab-bag import join the file's other import of @agentwirejs/types
    // (issue 18: two imports of one module were the codemod's side effect), the rest keeps its layout.
    expect(read('session.ts').split('\n').slice(0, 5)).toEqual([
      "import { ConnectionInfo, ConnectionInfo as LegacyConnectionInfo } from '@agentwirejs/types';",
      'import {',
      '  UnifiedWebSocketManager as Manager,',
      "} from '@agentwirejs/manager';",
      '',
    ]);
  });
});

describe('the deprecated entry of the fixture', () => {
  it('re-exports the canonical class object and warns once per process', () => {
    const out = mkdtempSync(join(tmpdir(), 'ssot-shim-'));
    try {
      for (const name of ['legacy', 'unified-manager']) {
        const source = readFileSync(join(LEGACY_FIXTURE, 'packages/manager/src', `${name}.ts`), 'utf8');
        const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
        writeFileSync(join(out, `${name}.js`), outputText);
      }
      writeFileSync(join(out, 'second-user.js'), "module.exports = require('./legacy.js');\n");
      const script = [
        "const a = require('./legacy.js');",
        "const b = require('./second-user.js');",
        "const { UnifiedWebSocketManager } = require('./unified-manager.js');",
        'process.stdout.write([a.WebSocketManager === UnifiedWebSocketManager, a.default === UnifiedWebSocketManager, a === b].join(" "));',
      ].join('\n');
      const run = spawnSync(process.execPath, ['-e', script], { cwd: out, encoding: 'utf8' });
      expect(run.stdout).toBe('true true true');
      expect(run.stderr.match(/DeprecationWarning/g)).toHaveLength(1);
      expect(run.stderr).toContain('[AGENTWIRE_DEPRECATED_ENTRY]');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
