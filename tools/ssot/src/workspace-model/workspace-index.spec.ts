import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '../registry';
import { writeWorkspace } from '../testing-workspaces.test-helpers';
import { WorkspaceIndex, pnpmPackages } from './workspace-index';

describe('WorkspaceIndex.packageOf', () => {
  const root = writeWorkspace(
    {
      'packages/outer/package.json': JSON.stringify({ name: '@agentwirejs/outer' }),
      'packages/outer/src/a.ts': 'export const a = 1;\n',
      'packages/outer/plugins/inner/package.json': JSON.stringify({ name: '@agentwirejs/inner' }),
      'packages/outer/plugins/inner/src/b.ts': 'export const b = 1;\n',
      'packages/outer-sibling/package.json': JSON.stringify({ name: '@agentwirejs/outer-sibling' }),
      'packages/outer-sibling/src/c.ts': 'export const c = 1;\n',
      'scripts/d.ts': 'export const d = 1;\n',
    },
    { workspace: { projects: ['packages/*', 'packages/*/plugins/*'], testFiles: ['**/*.spec.ts'] } },
  );
  const workspace = WorkspaceIndex.load(loadRegistry(join(root, 'ssot.config.json')));
  const nameOf = (rel: string): string | undefined => workspace.packageOf(join(root, rel))?.name;

  it('gives the innermost package of a file, and the package of its own folder', () => {
    expect(nameOf('packages/outer/src/a.ts')).toBe('@agentwirejs/outer');
    expect(nameOf('packages/outer/plugins/inner/src/b.ts')).toBe('@agentwirejs/inner');
    expect(nameOf('packages/outer/plugins/inner')).toBe('@agentwirejs/inner');
    expect(nameOf('packages/outer/plugins')).toBe('@agentwirejs/outer');
    expect(nameOf('packages/outer')).toBe('@agentwirejs/outer');
  });

  it('does not take a folder whose name only starts like a package folder', () => {
    expect(nameOf('packages/outer-sibling/src/c.ts')).toBe('@agentwirejs/outer-sibling');
    expect(nameOf('packages/outer-other/src/x.ts')).toBeUndefined();
  });

  it('gives nothing outside every package', () => {
    expect(nameOf('scripts/d.ts')).toBeUndefined();
    expect(workspace.packageOf('/')).toBeUndefined();
  });

  it('lists each file once with its context, in path order', () => {
    const contexts = workspace.sourceFileContexts();
    expect(contexts.map((context) => [context.rel, context.pkg?.name])).toEqual([
      ['packages/outer-sibling/src/c.ts', '@agentwirejs/outer-sibling'],
      ['packages/outer/plugins/inner/src/b.ts', '@agentwirejs/inner'],
      ['packages/outer/src/a.ts', '@agentwirejs/outer'],
    ]);
    expect(workspace.sourceFiles()).toEqual(contexts.map((context) => context.path));
  });
});

describe("the package manager's list of packages", () => {
  it('reads pnpm-workspace.yaml in block and flow style, with comments and unindented items', () => {
    expect(pnpmPackages('packages:\n  - "pkgs/**"\n  # a comment\n  - \'!pkgs/legacy\'\n  - apps/*  # trailing\nonlyBuiltDependencies:\n  - esbuild\n')).toEqual(['pkgs/**', '!pkgs/legacy', 'apps/*']);
    expect(pnpmPackages('packages: [ "pkgs/**", \'!pkgs/legacy\' ]\ncatalog:\n  zod: ^4\n')).toEqual(['pkgs/**', '!pkgs/legacy']);
    expect(pnpmPackages('packages: [\n  "a/*",\n  "b/*"\n]\n')).toEqual(['a/*', 'b/*']);
    expect(pnpmPackages('# the packages\npackages:\n- libs/*\n')).toEqual(['libs/*']);
  });

  it('takes a negated glob as a folder that is not a package', () => {
    const root = writeWorkspace(
      {
        'pnpm-workspace.yaml': 'packages: [ "pkgs/**", \'!pkgs/group/legacy\' ]\n',
        'pkgs/group/current/package.json': JSON.stringify({ name: '@acme/current' }),
        'pkgs/group/current/src/a.ts': 'export const a = 1;\n',
        'pkgs/group/legacy/package.json': JSON.stringify({ name: '@acme/legacy' }),
        'pkgs/group/legacy/src/b.ts': 'export const b = 1;\n',
      },
      { workspace: { testFiles: ['**/*.spec.ts'] } },
    );
    const workspace = WorkspaceIndex.load(loadRegistry(join(root, 'ssot.config.json')));
    expect(workspace.packages.map((pkg) => pkg.name)).toEqual(['@acme/current']);
  });

  it('takes a literal folder of a glob as written (`..` too), and skips one that is a dangling link or a file', () => {
    const root = writeWorkspace(
      {
        'packages/a/package.json': JSON.stringify({ name: '@acme/a' }),
        'packages/a/src/a.ts': 'export const a = 1;\n',
        'other/b/package.json': JSON.stringify({ name: '@acme/b' }),
        'other/b/src/b.ts': 'export const b = 1;\n',
      },
      { workspace: { projects: ['packages/broken', 'packages/a/package.json', 'packages/a', 'packages/../other/*'], testFiles: ['**/*.spec.ts'] } },
    );
    symlinkSync(join(root, 'nowhere'), join(root, 'packages/broken'));
    const workspace = WorkspaceIndex.load(loadRegistry(join(root, 'ssot.config.json')));
    expect(workspace.packages.map((pkg) => pkg.name).sort()).toEqual(['@acme/a', '@acme/b']);
    expect(workspace.sourceFileContexts().map((context) => context.rel)).toEqual(['other/b/src/b.ts', 'packages/a/src/a.ts']);
  });
});
