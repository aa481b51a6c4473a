import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listProjects, workspaceRoot } from './workspace-root';

const root = workspaceRoot();
const publishable = listProjects(root)
  .filter((project) => project.tags.includes('publish:npm'))
  .map((project) => project.packageName)
  .sort();

/** Every .d.ts file under `dir`. */
function declarationFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return declarationFiles(path);
    return entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Runs nx and returns what it printed on stdout and stderr (it uses both). */
function nx(args: string[]): string {
  const run = spawnSync(process.execPath, [join(root, 'node_modules/nx/dist/bin/nx.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', NO_COLOR: '1' },
    maxBuffer: 32 * 1024 * 1024,
  });
  const output = `${run.stdout}\n${run.stderr}`;
  if (run.status !== 0) throw new Error(`nx ${args.join(' ')} exited ${String(run.status)}:\n${output}`);
  return output;
}

describe('nx release (dry runs; nothing is written or published)', () => {
  it('versions every scoped package together', () => {
    const output = nx(['release', 'version', '9.9.9', '--dry-run']);
    const versioned = [...output.matchAll(/New version 9\.9\.9 written to manifest: (\S+)\/package\.json/g)].map((m) => m[1]);
    expect(versioned).toHaveLength(publishable.length);
    expect(output).toContain('[dry-run]');
  }, 60_000);

  it('builds a package before publishing it, so a fresh clone cannot publish a package.json-only tarball', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agentwire-graph-')), 'graph.json');
    nx(['graph', `--file=${file}`]);
    const graph = JSON.parse(readFileSync(file, 'utf8')) as { graph: { nodes: Record<string, { data: { targets: Record<string, { dependsOn?: unknown[] }> } }> } };
    rmSync(dirname(file), { recursive: true, force: true });
    for (const project of listProjects(root).filter((candidate) => candidate.tags.includes('publish:npm'))) {
      const dependsOn = graph.graph.nodes[project.name]?.data.targets['nx-release-publish']?.dependsOn;
      expect({ project: project.name, dependsOn }).toEqual({ project: project.name, dependsOn: expect.arrayContaining(['build']) });
    }
  }, 60_000);

  it('would publish each scoped package with its built dist/ and without sources or tests', () => {
    // The packages are built already: this test target depends on every publishable package's
    // build. Building them again here would, with the daemon off, restore every package's dist
    // from the cache while other specs and tasks read it (a CI run failed to load protocols'
    // dist in manifests.spec.ts that way), so the dry run packs the dist as it is.
    const output = nx(['release', 'publish', '--dry-run', '--excludeTaskDependencies']);
    // npm prints each tarball's files under "Tarball Contents", then its name under "Tarball Details"
    const tarballs = output.split(/=== Tarball Contents ===/).slice(1);
    const names = tarballs.map((block) => /name:\s+(\S+)/.exec(block)?.[1]).sort();
    expect(names).toEqual(publishable);
    const manifests = new Map(listProjects(root).map((project) => [project.packageName, project.packageJson]));
    for (const block of tarballs) {
      const files = [...block.matchAll(/^\S+\s+((?:dist|src|bin)\/\S+|package\.json|README\.md)\s*$/gm)].map((m) => m[1] as string);
      // what the manifest points at (main, types) is in the tarball
      const manifest = manifests.get(/name:\s+(\S+)/.exec(block)?.[1] ?? '') ?? {};
      for (const entry of [manifest['main'], manifest['types']]) expect(files).toContain(String(entry).replace(/^\.\//, ''));
      expect(files.filter((file) => file.startsWith('src/') || /\.spec\./.test(file))).toEqual([]);
    }
    // every package is built: what its types publish leaves out what is marked @internal
    for (const project of listProjects(root).filter((candidate) => candidate.tags.includes('publish:npm'))) {
      const declarations = declarationFiles(join(root, project.root, 'dist'));
      expect({ project: project.name, built: declarations.length > 0 }).toEqual({ project: project.name, built: true });
      const leaking = declarations.filter((file) => readFileSync(file, 'utf8').includes('@internal'));
      expect({ project: project.name, leaking }).toEqual({ project: project.name, leaking: [] });
    }
  }, 120_000);
});
