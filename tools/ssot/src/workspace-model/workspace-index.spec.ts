import { join } from 'node:path';
import { loadRegistry } from '../registry';
import { writeWorkspace } from '../testing-workspaces.test-helpers';
import { WorkspaceIndex } from './workspace-index';

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
