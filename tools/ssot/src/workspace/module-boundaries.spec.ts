import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listProjects, workspaceRoot } from './workspace-root';

/**
 * Lints small throw-away workspaces that hold one import file per ordered pair of projects,
 * with the real projects' tags and the real root ESLint rules, and checks that exactly the
 * edges DESIGN.md forbids are errors. Each round keeps its edges in one direction of a fixed
 * order, so no round has a cycle (a cycle would be reported instead of the tag violation).
 */
const root = workspaceRoot();
const projects = listProjects(root);

/** DESIGN.md's dependency table, written out by hand so the test does not trust the config it checks. */
const MAY_IMPORT: Record<string, string[]> = {
  types: [],
  config: ['types'],
  protocols: ['types'],
  manager: ['protocols', 'types', 'config'],
  router: ['protocols', 'types', 'config'],
  'execution-tracker': ['protocols', 'types', 'config'],
  'backplane-redis': ['protocols', 'types', 'config'],
  client: ['protocols', 'types'],
  react: ['client', 'protocols', 'types'],
  'ag-ui': ['client', 'protocols', 'types'],
  server: ['types', 'config', 'protocols', 'manager', 'router', 'execution-tracker', 'backplane-redis'],
  gateway: ['types', 'config', 'protocols', 'manager', 'router', 'execution-tracker', 'backplane-redis', 'server', 'client', 'react', 'ag-ui'],
  ssot: ['types', 'config', 'protocols', 'manager', 'router', 'execution-tracker', 'backplane-redis', 'server', 'client', 'react', 'ag-ui', 'bench'],
  bench: ['types', 'config', 'protocols', 'manager', 'router', 'execution-tracker', 'backplane-redis', 'server', 'client', 'react', 'ag-ui', 'ssot'],
};

interface LintMessage {
  ruleId: string | null;
  message: string;
  line: number;
}
interface LintResult {
  filePath: string;
  messages: LintMessage[];
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(process.execPath, [join(root, 'node_modules', command), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Writes a fixture workspace with the given extra source files, lints it, returns messages by file. */
function lintFixture(files: Record<string, string>): Map<string, LintMessage[]> {
  const dir = mkdtempSync(join(tmpdir(), 'agentwire-boundaries-'));
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'boundary-fixture', private: true }));
    writeFileSync(join(dir, 'nx.json'), JSON.stringify({}));
    const paths: Record<string, string[]> = {};
    for (const project of projects) {
      paths[project.packageName] = [`${project.root}/src/index.ts`];
      paths[`${project.packageName}/testing`] = [`${project.root}/src/testing.ts`];
      const projectDir = join(dir, project.root);
      mkdirSync(join(projectDir, 'src'), { recursive: true });
      writeFileSync(join(projectDir, 'project.json'), JSON.stringify({ name: project.name, sourceRoot: `${project.root}/src`, tags: project.tags }));
      writeFileSync(join(projectDir, 'src', 'index.ts'), 'export const here = 1;\n');
      writeFileSync(join(projectDir, 'src', 'testing.ts'), 'export const testing = 1;\n');
    }
    writeFileSync(join(dir, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { paths } }));
    writeFileSync(
      join(dir, 'eslint.config.mjs'),
      [
        `import nx from '@nx/eslint-plugin';`,
        `import { boundaryRules } from ${JSON.stringify(pathToFileURL(join(root, 'eslint.config.mjs')).href)};`,
        `export default [...nx.configs['flat/base'], ...nx.configs['flat/typescript'], { files: ['**/*.ts'], rules: boundaryRules }];`,
      ].join('\n'),
    );
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    // The boundary rule reads the project graph that an nx command leaves behind.
    const shown = JSON.parse(run('nx/dist/bin/nx.js', ['show', 'projects', '--json'], dir)) as string[];
    expect(shown.sort()).toEqual(projects.map((p) => p.name).sort());
    let output: string;
    try {
      output = run('eslint/bin/eslint.js', ['--format', 'json', '--no-warn-ignored', 'packages', 'apps', 'tools'], dir);
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? '');
      if (!output.startsWith('[')) throw error;
    }
    const byFile = new Map<string, LintMessage[]>();
    for (const result of JSON.parse(output) as LintResult[]) {
      byFile.set(result.filePath.slice(dir.length + 1), result.messages);
    }
    return byFile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function edgeRound(direction: 'down' | 'up'): { files: Record<string, string>; expected: Map<string, boolean> } {
  const files: Record<string, string> = {};
  const expected = new Map<string, boolean>();
  projects.forEach((source, i) =>
    projects.forEach((target, j) => {
      if (i === j || (direction === 'down' ? i < j : i > j)) return;
      const file = `${source.root}/src/imports-${target.name}.ts`;
      files[file] = `import { here } from '${target.packageName}';\nexport const seen = here;\n`;
      expected.set(file, (MAY_IMPORT[source.name] ?? []).includes(target.name));
    }),
  );
  return { files, expected };
}

function boundaryErrors(messages: LintMessage[] | undefined): LintMessage[] {
  return (messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries' || m.ruleId === 'no-restricted-imports');
}

describe('module boundaries (fixture lint with the real tags and rules)', () => {
  it('the hand-written table covers every project', () => {
    expect(Object.keys(MAY_IMPORT).sort()).toEqual(projects.map((p) => p.name).sort());
  });

  it.each(['down', 'up'] as const)('allows exactly the edges DESIGN.md allows (%s the project order)', (direction) => {
    const { files, expected } = edgeRound(direction);
    const lint = lintFixture(files);
    const verdicts = [...expected].map(([file, allowed]) => {
      const errors = boundaryErrors(lint.get(file));
      return { file, allowed, errors: errors.map((e) => e.message) };
    });
    const wrong = verdicts.filter((v) => (v.allowed ? v.errors.length > 0 : v.errors.length === 0));
    expect(wrong).toEqual([]);
    // every forbidden edge is reported as a tag violation
    for (const verdict of verdicts.filter((v) => !v.allowed)) {
      expect(verdict.errors.join('\n')).toMatch(/A project tagged with "[^"]+" can only depend on libs tagged with|cannot depend on any libs with tags/);
    }
    expect(verdicts.filter((v) => !v.allowed).length).toBeGreaterThan(10);
  }, 120_000);

  it('rejects deep imports and relative imports that leave a package; allows the ./testing entry', () => {
    const lint = lintFixture({
      'packages/router/src/deep-src.ts': `import { here } from '@agentwirejs/types/src/index';\nexport const a = here;\n`,
      'packages/router/src/deep-dist.ts': `import { here } from '@agentwirejs/protocols/dist/index';\nexport const b = here;\n`,
      'packages/router/src/deep-other.ts': `import { here } from '@agentwirejs/protocols/internal';\nexport const c = here;\n`,
      'packages/router/src/relative.ts': `import { here } from '../../types/src/index';\nexport const d = here;\n`,
      'apps/gateway/src/relative-up.ts': `import { here } from '../../../packages/config/src';\nexport const e = here;\n`,
      'packages/router/src/testing-entry.ts': `import { testing } from '@agentwirejs/protocols/testing';\nexport const f = testing;\n`,
      'packages/router/src/own-relative.ts': `import { here } from './index';\nexport const g = here;\n`,
    });
    const errorsOf = (file: string) => boundaryErrors(lint.get(file)).map((m) => `${m.ruleId}: ${m.message}`);
    expect(errorsOf('packages/router/src/deep-src.ts').join('\n')).toMatch(/no-restricted-imports: .*Deep import into a package/);
    expect(errorsOf('packages/router/src/deep-dist.ts').join('\n')).toMatch(/no-restricted-imports: .*Deep import into a package/);
    expect(errorsOf('packages/router/src/deep-other.ts').join('\n')).toMatch(/no-restricted-imports: .*Only a package entry/);
    expect(errorsOf('packages/router/src/relative.ts').join('\n')).toMatch(
      /@nx\/enforce-module-boundaries: Projects cannot be imported by a relative or absolute path/,
    );
    expect(errorsOf('apps/gateway/src/relative-up.ts').join('\n')).toMatch(
      /@nx\/enforce-module-boundaries: Projects cannot be imported by a relative or absolute path/,
    );
    expect(errorsOf('packages/router/src/testing-entry.ts')).toEqual([]);
    expect(errorsOf('packages/router/src/own-relative.ts')).toEqual([]);
  }, 120_000);
});
