import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { compileGlob } from '../glob';
import type { Registry } from '../registry';

export interface WorkspacePackage {
  /** The package.json name, e.g. @agentwire/types. */
  name: string;
  /** Absolute folder. */
  dir: string;
  /** Folder relative to the workspace root, POSIX. */
  rel: string;
  /** Subpaths its package.json `exports` allows ('.', './testing'); null when it has no exports map. */
  exportedSubpaths: ReadonlySet<string> | null;
}

/** What the rules need to know about one file. */
export interface FileContext {
  /** Absolute path. */
  path: string;
  /** Relative to the workspace root, POSIX. */
  rel: string;
  /** The package the file belongs to, if any. */
  pkg: WorkspacePackage | undefined;
  role: 'source' | 'test';
  excluded: boolean;
}

const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'out-tsc', 'coverage']);
const SOURCE_FILE = /\.(?:ts|tsx|mts|cts)$/;

/** The packages of a workspace (from the registry's project globs) and the role of each file. */
export class WorkspaceIndex {
  private readonly byName = new Map<string, WorkspacePackage>();
  private readonly byDir = new Map<string, WorkspacePackage>();

  private constructor(
    readonly registry: Registry,
    readonly packages: readonly WorkspacePackage[],
  ) {
    for (const pkg of packages) {
      this.byName.set(pkg.name, pkg);
      this.byDir.set(pkg.dir, pkg);
    }
  }

  static load(registry: Registry): WorkspaceIndex {
    const dirs = new Set<string>();
    for (const pattern of registry.data.workspace.projects) {
      for (const dir of expandDirectories(registry.root, pattern)) dirs.add(dir);
    }
    const packages: WorkspacePackage[] = [];
    for (const dir of [...dirs].sort()) {
      const manifestFile = join(dir, 'package.json');
      if (!existsSync(manifestFile)) continue;
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { name?: unknown; exports?: unknown };
      if (typeof manifest.name !== 'string') continue;
      packages.push({ name: manifest.name, dir, rel: toPosix(relative(registry.root, dir)), exportedSubpaths: exportedSubpaths(manifest.exports) });
    }
    // longest folder first, so a package nested in another's folder wins for its own files
    packages.sort((a, b) => b.dir.length - a.dir.length);
    return new WorkspaceIndex(registry, packages);
  }

  packageByName(name: string): WorkspacePackage | undefined {
    return this.byName.get(name);
  }

  /** The package whose folder holds `path` (an absolute, normalized path); the innermost when packages nest. */
  packageOf(path: string): WorkspacePackage | undefined {
    // The innermost package folder is the nearest of path and its ancestors that is one, so
    // look each up instead of testing every package.
    for (let dir = path; ; ) {
      const pkg = this.byDir.get(dir);
      if (pkg !== undefined && (path === dir || path.startsWith(dir + sep))) return pkg;
      const parent = dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }

  /** The workspace package a bare specifier names (`@scope/name/sub` → @scope/name) and the subpath. */
  splitSpecifier(specifier: string): { pkg: WorkspacePackage; subpath: string } | undefined {
    const parts = specifier.split('/');
    const nameLength = specifier.startsWith('@') ? 2 : 1;
    const pkg = this.byName.get(parts.slice(0, nameLength).join('/'));
    if (pkg === undefined) return undefined;
    const rest = parts.slice(nameLength).join('/');
    return { pkg, subpath: rest === '' ? '.' : `./${rest}` };
  }

  fileContext(path: string): FileContext {
    const rel = toPosix(relative(this.registry.root, path));
    return {
      path,
      rel,
      pkg: this.packageOf(path),
      role: this.registry.isTestFile(rel) ? 'test' : 'source',
      excluded: rel.startsWith('..') || this.registry.isExcluded(rel),
    };
  }

  /** Every TypeScript file of every package that the registry does not exclude, sorted. */
  sourceFiles(): string[] {
    return this.sourceFileContexts().map((context) => context.path);
  }

  /** The context of every file sourceFiles() lists, in the same order. */
  sourceFileContexts(): FileContext[] {
    const files: string[] = [];
    const seen = new Set<string>();
    for (const pkg of this.packages) collectFiles(pkg.dir, files, seen);
    return files
      .sort()
      .map((file) => this.fileContext(file))
      .filter((context) => !context.excluded);
  }
}

function collectFiles(dir: string, into: string[], seen: Set<string>): void {
  if (seen.has(dir)) return;
  seen.add(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) collectFiles(path, into, seen);
    } else if (entry.isFile() && SOURCE_FILE.test(entry.name)) {
      into.push(path);
    }
  }
}

/** Folders under root matching a glob of folder names (segments may use *, ? and **). */
function expandDirectories(root: string, pattern: string): string[] {
  let current = [root];
  for (const segment of pattern.split('/').filter((part) => part !== '' && part !== '.')) {
    const next: string[] = [];
    for (const dir of current) {
      if (segment === '**') {
        next.push(dir, ...allSubdirectories(dir));
      } else if (/[*?{]/.test(segment)) {
        const matcher = compileGlob(segment);
        for (const child of subdirectories(dir)) if (matcher.test(child)) next.push(join(dir, child));
      } else if (existsSync(join(dir, segment))) {
        next.push(join(dir, segment));
      }
    }
    current = next;
  }
  return current;
}

function subdirectories(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name))
    .map((entry) => entry.name);
}

function allSubdirectories(dir: string): string[] {
  return subdirectories(dir).flatMap((name) => [join(dir, name), ...allSubdirectories(join(dir, name))]);
}

function exportedSubpaths(exports: unknown): Set<string> | null {
  if (exports === undefined || exports === null) return null;
  if (typeof exports === 'string' || Array.isArray(exports)) return new Set(['.']);
  const keys = Object.keys(exports as Record<string, unknown>);
  // an exports object whose keys are conditions (no leading dot) describes the main entry only
  return new Set(keys.some((key) => key.startsWith('.')) ? keys : ['.']);
}

export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
