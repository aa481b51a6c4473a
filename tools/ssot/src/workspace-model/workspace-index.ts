import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { compileGlob } from '../glob';
import type { Registry } from '../registry';

export interface WorkspacePackage {
  /** The package.json name, e.g. @agentwirejs/types. */
  name: string;
  /** Absolute folder. */
  dir: string;
  /** Folder relative to the workspace root, POSIX. */
  rel: string;
  /** Subpaths its package.json `exports` allows ('.', './testing'); null when it has no exports map. */
  exportedSubpaths: ReadonlySet<string> | null;
  /** The files each exported subpath points to, relative to `dir` (every condition's target; `*` kept as written). */
  exportTargets: ReadonlyMap<string, readonly string[]>;
  /** True when `name` comes from a package.json, so other code can import it by that name. */
  importable: boolean;
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
/** Every file kind a package's code comes in: TypeScript, JSX and JavaScript in all module flavours, declaration files included. */
export const SOURCE_FILE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
/** How deep to look for Nx project.json files below the root (deeper folders are fixtures, not projects). */
const PROJECT_SEARCH_DEPTH = 5;

/** The packages of a workspace (from the registry's project globs) and the role of each file. */
export class WorkspaceIndex {
  private readonly byName = new Map<string, WorkspacePackage>();
  private readonly byDir = new Map<string, WorkspacePackage>();

  private constructor(
    readonly registry: Registry,
    readonly packages: readonly WorkspacePackage[],
  ) {
    for (const pkg of packages) {
      if (pkg.importable) this.byName.set(pkg.name, pkg);
      this.byDir.set(pkg.dir, pkg);
    }
  }

  /**
   * The packages are every folder that the registry's `workspace.projects` globs, the root
   * package.json `workspaces`, pnpm-workspace.yaml, lerna.json, rush.json or an Nx project.json
   * name; a package folder is a package whether or not it has a manifest yet (its name is then
   * the project.json name, else its folder), so new code is scanned from the day it appears.
   */
  static load(registry: Registry): WorkspaceIndex {
    const dirs = new Set<string>();
    // Only the registry's own globs, one folder level each (`packages/*`), name package folders
    // that may lack a manifest: `packages/**` in a pnpm file means "wherever a package.json is".
    const bare = new Set<string>();
    for (const pattern of registry.data.workspace.projects) {
      for (const dir of expandDirectories(registry.root, pattern)) {
        dirs.add(dir);
        if (!pattern.includes('**')) bare.add(dir);
      }
    }
    for (const pattern of manifestProjectGlobs(registry.root)) {
      for (const dir of expandDirectories(registry.root, pattern)) dirs.add(dir);
    }
    for (const dir of nxProjectDirs(registry.root)) dirs.add(dir);
    const packages: WorkspacePackage[] = [];
    const names = new Set<string>();
    for (const dir of [...dirs].sort()) {
      const rel = toPosix(relative(registry.root, dir));
      if (dir === registry.root || rel.startsWith('..') || isExcludedDir(registry, rel)) continue;
      const manifest = readJsonObject(join(dir, 'package.json'));
      const project = readJsonObject(join(dir, 'project.json'));
      const name = typeof manifest?.['name'] === 'string' ? manifest['name'] : typeof project?.['name'] === 'string' ? project['name'] : rel;
      if (manifest === undefined && project === undefined && !(bare.has(dir) && holdsSource(dir))) continue;
      // two folders claiming one name (a copy in a fixture, a template) would make owners ambiguous: the first one keeps it
      if (names.has(name)) continue;
      names.add(name);
      packages.push({ name, dir, rel, exportedSubpaths: exportedSubpaths(manifest?.['exports']), exportTargets: exportTargets(manifest?.['exports']), importable: typeof manifest?.['name'] === 'string' });
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

  /**
   * The files of the workspace a bare specifier of a workspace package names through its
   * package.json `exports` (`@scope/pkg/helpers` → its `./helpers` target), among `known`.
   */
  exportedFiles(specifier: string, known: ReadonlySet<string>): string[] {
    const split = this.splitSpecifier(specifier);
    if (split === undefined) return [];
    const { pkg, subpath } = split;
    const files: string[] = [];
    for (const [key, targets] of pkg.exportTargets) {
      const star = key.indexOf('*');
      let fill: string | undefined;
      if (star === -1) fill = key === subpath ? '' : undefined;
      else if (subpath.startsWith(key.slice(0, star)) && subpath.endsWith(key.slice(star + 1)) && subpath.length >= key.length - 1) fill = subpath.slice(star, subpath.length - (key.length - star - 1));
      if (fill === undefined) continue;
      for (const target of targets) {
        const path = join(pkg.dir, target.replace('*', fill));
        if (known.has(path)) files.push(path);
      }
    }
    return files;
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

/** The workspace globs the package manager's own files declare (npm/yarn, pnpm, lerna, rush). */
function manifestProjectGlobs(root: string): string[] {
  const globs: string[] = [];
  const workspaces = readJsonObject(join(root, 'package.json'))?.['workspaces'];
  const list = Array.isArray(workspaces) ? workspaces : isObject(workspaces) && Array.isArray(workspaces['packages']) ? workspaces['packages'] : [];
  globs.push(...list.filter((item): item is string => typeof item === 'string'));
  const lerna = readJsonObject(join(root, 'lerna.json'))?.['packages'];
  if (Array.isArray(lerna)) globs.push(...lerna.filter((item): item is string => typeof item === 'string'));
  const rushProjects = readJsonObject(join(root, 'rush.json'))?.['projects'];
  if (Array.isArray(rushProjects)) {
    for (const project of rushProjects) if (isObject(project) && typeof project['projectFolder'] === 'string') globs.push(project['projectFolder']);
  }
  const pnpm = join(root, 'pnpm-workspace.yaml');
  if (existsSync(pnpm)) {
    // the `packages:` list only: a YAML parser would be a dependency for one list of strings
    let inPackages = false;
    for (const line of readFileSync(pnpm, 'utf8').split(/\r?\n/)) {
      if (/^\S/.test(line)) inPackages = /^packages\s*:/.test(line);
      const item = inPackages ? /^\s+-\s*['"]?([^'"#]+?)['"]?\s*(#.*)?$/.exec(line) : null;
      if (item?.[1] !== undefined) globs.push(item[1]);
    }
  }
  // negated globs (`!**/test/**`) exclude; the registry's workspace.exclude is the place for that
  return globs.filter((glob) => !glob.startsWith('!')).map((glob) => glob.replace(/\/+$/, '')).filter((glob) => glob !== '' && glob !== '.');
}

/** Folders holding an Nx project.json, down to PROJECT_SEARCH_DEPTH. */
function nxProjectDirs(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number): void => {
    if (depth > 0 && existsSync(join(dir, 'project.json'))) found.push(dir);
    if (depth === PROJECT_SEARCH_DEPTH) return;
    for (const child of subdirectories(dir)) visit(join(dir, child), depth + 1);
  };
  visit(root, 0);
  return found;
}

/** A folder the registry excludes as a whole (fixtures, generated output). */
function isExcludedDir(registry: Registry, rel: string): boolean {
  return registry.isExcluded(rel) || registry.isExcluded(`${rel}/`) || registry.isExcluded(`${rel}/index.ts`);
}

/** True when a folder without any manifest holds code: a package someone has started. */
function holdsSource(dir: string): boolean {
  const files: string[] = [];
  collectFiles(dir, files, new Set());
  return files.length > 0;
}

function readJsonObject(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  for (const candidate of [text, stripJsonComments(text)]) {
    try {
      const value: unknown = JSON.parse(candidate);
      return isObject(value) ? value : undefined;
    } catch {
      // rush.json and some lerna.json files carry comments: try again without them
    }
  }
  return undefined;
}

/** JSON with line and block comments and trailing commas (rush.json) to JSON, leaving strings alone. */
function stripJsonComments(text: string): string {
  return text
    .replace(/"(?:[^"\\]|\\.)*"|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (match) => (match.startsWith('"') ? match : ''))
    .replace(/,(\s*[}\]])/g, '$1');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

function exportTargets(exports: unknown): Map<string, string[]> {
  const targets = new Map<string, string[]>();
  const strings = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(strings) : typeof value === 'object' && value !== null ? Object.values(value).flatMap(strings) : [];
  if (typeof exports === 'string' || Array.isArray(exports)) targets.set('.', strings(exports));
  else if (typeof exports === 'object' && exports !== null) {
    const entries = Object.entries(exports);
    if (entries.some(([key]) => key.startsWith('.'))) for (const [key, value] of entries) targets.set(key, strings(value));
    else targets.set('.', strings(exports));
  }
  return targets;
}

export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
