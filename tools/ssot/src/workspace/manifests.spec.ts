import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { listProjects, workspaceRoot } from './workspace-root';

const root = workspaceRoot();
const projects = listProjects(root);
const publishable = projects.filter((project) => project.tags.includes('publish:npm'));

describe('workspace manifests', () => {
  it('match package-lock.json, so `npm install` on a fresh clone leaves the lock as it is', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
    const kinds = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
    const manifests = [{ root: '', packageJson: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown> }, ...projects];
    for (const project of manifests) {
      const locked = lock.packages[project.root] ?? {};
      for (const kind of kinds) {
        expect({ manifest: project.root || '(root)', [kind]: locked[kind] ?? {} }).toEqual({ manifest: project.root || '(root)', [kind]: project.packageJson[kind] ?? {} });
      }
    }
  });

  it('has every project of DESIGN.md, each with its scope tag and one kind tag', () => {
    expect(projects.map((p) => `${p.root} ${p.name}`)).toEqual([
      'apps/gateway gateway',
      'packages/ag-ui ag-ui',
      'packages/backplane-redis backplane-redis',
      'packages/client client',
      'packages/config config',
      'packages/execution-tracker execution-tracker',
      'packages/manager manager',
      'packages/protocols protocols',
      'packages/react react',
      'packages/router router',
      'packages/server server',
      'packages/types types',
      'tools/bench bench',
      'tools/ssot ssot',
    ]);
    for (const project of projects) {
      expect(project.tags).toContain(`scope:${project.name}`);
      expect(project.tags.filter((tag) => tag.startsWith('type:'))).toHaveLength(1);
      expect(project.packageName).toBe(`@agentwirejs/${project.name}`);
    }
  });

  it('gives every publishable package one entry (plus ./testing for shared test doubles and checks), types and public access', () => {
    expect(publishable.map((p) => p.name).sort()).toEqual(
      ['ag-ui', 'backplane-redis', 'client', 'config', 'execution-tracker', 'manager', 'protocols', 'react', 'router', 'server', 'ssot', 'types'],
    );
    for (const project of publishable) {
      const manifest = project.packageJson as {
        exports: Record<string, unknown>;
        types: string;
        publishConfig: { access: string };
        files: string[];
      };
      const withTesting = ['protocols', 'manager', 'types', 'server', 'backplane-redis'].includes(project.name);
      const entries = Object.keys(manifest.exports).filter((key) => key !== './package.json');
      expect(entries).toEqual(withTesting ? ['.', './testing'] : ['.']);
      if (DUAL_FORMAT.has(project.name)) {
        // the client and its bindings run in browsers too: an ES module build beside the CommonJS one
        expect(manifest.exports['.']).toEqual({
          import: { types: './dist/esm/index.d.ts', default: './dist/esm/index.js' },
          require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
        });
        expect(manifest.types).toBe('./dist/cjs/index.d.ts');
      } else {
        expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
        expect(manifest.types).toBe('./dist/index.d.ts');
      }
      expect(manifest.publishConfig).toEqual({ access: 'public' });
      expect(manifest.files).toContain('dist');
    }
  });

  it('declares every @agentwirejs dependency a package imports (what ships in dependencies; test helpers in either)', () => {
    const importsOf = (text: string): Set<string> => new Set([...text.matchAll(/from '(@agentwirejs\/[a-z-]+)/g)].map((m) => m[1] as string));
    for (const project of projects) {
      const deps = Object.keys((project.packageJson['dependencies'] ?? {}) as Record<string, string>);
      const devDeps = Object.keys((project.packageJson['devDependencies'] ?? {}) as Record<string, string>);
      const shipped = importsOf(readSources(join(root, project.root, 'src'), (name) => !name.endsWith('.test-helpers.ts')));
      const helpers = importsOf(readSources(join(root, project.root, 'src'), (name) => name.endsWith('.test-helpers.ts')));
      shipped.delete(project.packageName);
      helpers.delete(project.packageName);
      for (const name of shipped) expect({ project: project.name, dependency: name, declared: deps.includes(name) }).toEqual({ project: project.name, dependency: name, declared: true });
      for (const name of helpers) {
        expect({ project: project.name, testHelperDependency: name, declared: deps.includes(name) || devDeps.includes(name) }).toEqual({ project: project.name, testHelperDependency: name, declared: true });
      }
    }
  });

  it('resolves each built package by its scoped name, with the entries its manifest names', async () => {
    for (const project of publishable) {
      const entry = require.resolve(project.packageName, { paths: [root] });
      expect(entry).toBe(join(root, project.root, ...(DUAL_FORMAT.has(project.name) ? ['dist', 'cjs', 'index.js'] : ['dist', 'index.js'])));
      const loaded = (await import(entry)) as Record<string, unknown>;
      expect(Object.keys(loaded).length).toBeGreaterThan(0);
      if (project.name === 'protocols' || project.name === 'manager' || project.name === 'types') {
        expect(existsSync(require.resolve(`${project.packageName}/testing`, { paths: [root] }))).toBe(true);
      }
    }
  });
});

/** The packages that ship ES modules and CommonJS (the browser-side ones). */
const DUAL_FORMAT: ReadonlySet<string> = new Set(['client', 'react', 'ag-ui']);

/** The text of every non-spec .ts file under `dir` whose name `include` accepts. */
function readSources(dir: string, include: (name: string) => boolean = () => true): string {
  let text = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && include(entry.name)) {
      text += readFileSync(join(entry.parentPath, entry.name), 'utf8');
    }
  }
  return text;
}
