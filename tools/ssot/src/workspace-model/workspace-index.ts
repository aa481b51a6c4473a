import { type Dirent, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
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
  /** Its package.json `imports` (`#internal` → files relative to `dir`), read like exportTargets. */
  importTargets: ReadonlyMap<string, readonly string[]>;
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
    /** The root tsconfig's `paths`, each pattern with its targets as absolute paths (`*` kept). */
    private readonly pathAliases: ReadonlyMap<string, readonly string[]> = new Map(),
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
    const listings = new DirectoryListings();
    const dirs = new Set<string>();
    // Only the registry's own globs, one folder level each (`packages/*`), name package folders
    // that may lack a manifest: `packages/**` in a pnpm file means "wherever a package.json is".
    const bare = new Set<string>();
    for (const pattern of registry.data.workspace.projects) {
      for (const dir of expandDirectories(listings, registry.root, pattern)) {
        dirs.add(dir);
        if (!pattern.includes('**')) bare.add(dir);
      }
    }
    const manifestGlobs = manifestProjectGlobs(registry.root);
    for (const pattern of manifestGlobs.include) {
      for (const dir of expandDirectories(listings, registry.root, pattern)) dirs.add(dir);
    }
    // `!pkgs/legacy` in the package manager's list: not a package of the workspace
    for (const pattern of manifestGlobs.exclude) {
      for (const dir of expandDirectories(listings, registry.root, pattern)) dirs.delete(dir);
    }
    for (const dir of nxProjectDirs(listings, registry.root)) dirs.add(dir);
    const packages: WorkspacePackage[] = [];
    const names = new Set<string>();
    for (const dir of [...dirs].sort()) {
      const rel = toPosix(relative(registry.root, dir));
      if (dir === registry.root || rel.startsWith('..') || isExcludedDir(registry, rel)) continue;
      const manifest = listings.hasFile(dir, 'package.json') ? readJsonObject(join(dir, 'package.json')) : undefined;
      const project = listings.hasFile(dir, 'project.json') ? readJsonObject(join(dir, 'project.json')) : undefined;
      const name = typeof manifest?.['name'] === 'string' ? manifest['name'] : typeof project?.['name'] === 'string' ? project['name'] : rel;
      if (manifest === undefined && project === undefined && !(bare.has(dir) && holdsSource(dir))) continue;
      // two folders claiming one name (a copy in a fixture, a template) would make owners ambiguous: the first one keeps it
      if (names.has(name)) continue;
      names.add(name);
      packages.push({ name, dir, rel, exportedSubpaths: exportedSubpaths(manifest?.['exports']), exportTargets: subpathTargets(manifest?.['exports']), importTargets: subpathTargets(manifest?.['imports'], '#'), importable: typeof manifest?.['name'] === 'string' });
    }
    // longest folder first, so a package nested in another's folder wins for its own files
    packages.sort((a, b) => b.dir.length - a.dir.length);
    return new WorkspaceIndex(registry, packages, tsconfigPaths(registry.root));
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
   * Where a bare specifier can lead inside the workspace, as absolute paths still to be matched
   * with files (extensions may be left out): a workspace package's subpath through its
   * package.json `exports`, a `#name` through the importing package's `imports`, and a pattern of
   * the root tsconfig's `paths`.
   */
  specifierTargets(specifier: string, from: WorkspacePackage | undefined): string[] {
    if (specifier.startsWith('#')) return from === undefined ? [] : matchSubpath(from.importTargets, specifier).map((target) => join(from.dir, target));
    const targets: string[] = [];
    const split = this.splitSpecifier(specifier);
    if (split !== undefined) targets.push(...matchSubpath(split.pkg.exportTargets, split.subpath).map((target) => join(split.pkg.dir, target)));
    if (this.pathAliases.size > 0) targets.push(...matchSubpath(this.pathAliases, specifier));
    return targets;
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

/**
 * The workspace globs the package manager's own files declare (npm/yarn, pnpm, lerna, rush), and
 * the negated ones (`!pkgs/legacy`), which take folders out of that list.
 */
function manifestProjectGlobs(root: string): { include: string[]; exclude: string[] } {
  const globs: string[] = [];
  const strings = (list: unknown): string[] => (Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : []);
  const workspaces = readJsonObject(join(root, 'package.json'))?.['workspaces'];
  globs.push(...strings(isObject(workspaces) ? workspaces['packages'] : workspaces));
  globs.push(...strings(readJsonObject(join(root, 'lerna.json'))?.['packages']));
  const rushProjects = readJsonObject(join(root, 'rush.json'))?.['projects'];
  if (Array.isArray(rushProjects)) {
    for (const project of rushProjects) if (isObject(project) && typeof project['projectFolder'] === 'string') globs.push(project['projectFolder']);
  }
  const pnpm = join(root, 'pnpm-workspace.yaml');
  if (existsSync(pnpm)) globs.push(...pnpmPackages(readFileSync(pnpm, 'utf8')));
  const clean = (glob: string): string => glob.replace(/\/+$/, '');
  return {
    include: globs.filter((glob) => !glob.startsWith('!')).map(clean).filter((glob) => glob !== '' && glob !== '.'),
    exclude: globs.filter((glob) => glob.startsWith('!')).map((glob) => clean(glob.slice(1))).filter((glob) => glob !== '' && glob !== '.'),
  };
}

/**
 * The `packages:` list of a pnpm-workspace.yaml, block (`- "pkgs/*"`) or flow (`[ "pkgs/*", '!x' ]`)
 * style; a YAML parser would be a dependency for one list of strings.
 */
export function pnpmPackages(text: string): string[] {
  const items: string[] = [];
  const unquote = (item: string): string => item.trim().replace(/^(['"])(.*)\1$/, '$2');
  let inPackages = false;
  let flow: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    // comments and blank lines end nothing
    const line = raw.replace(/(^|\s)#.*$/, '');
    if (line.trim() === '') continue;
    const item = inPackages && flow === undefined ? /^\s*-\s*(.+?)\s*$/.exec(line) : null;
    if (item?.[1] !== undefined) {
      // a block item, indented or not (`packages:\n- libs/*` is YAML too)
      items.push(unquote(item[1]));
      continue;
    }
    if (flow !== undefined) {
      flow += ` ${line}`;
    } else if (/^\S/.test(line)) {
      const key = /^packages\s*:\s*(.*)$/.exec(line);
      inPackages = key !== null;
      if (key?.[1]?.startsWith('[')) flow = key[1];
      else if (!inPackages) continue;
    } else {
      continue;
    }
    if (flow !== undefined && flow.includes(']')) {
      items.push(...flow.slice(flow.indexOf('[') + 1, flow.indexOf(']')).split(',').map(unquote).filter((item) => item !== ''));
      flow = undefined;
      inPackages = false;
    }
  }
  return items;
}

/** Folders holding an Nx project.json, down to PROJECT_SEARCH_DEPTH. */
function nxProjectDirs(listings: DirectoryListings, root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number): void => {
    if (depth > 0 && listings.hasFile(dir, 'project.json')) found.push(dir);
    if (depth === PROJECT_SEARCH_DEPTH) return;
    for (const child of listings.subdirectories(dir)) visit(join(dir, child), depth + 1);
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

/** A folder, or a link to one (a literal glob segment: `..`, a name in another case, a dangling link). */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function collectFiles(dir: string, into: string[], seen: Set<string>): void {
  if (seen.has(dir)) return;
  seen.add(dir);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    // a package folder that went away, or a file a glob named: nothing to scan there
    return;
  }
  for (const entry of entries) {
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
function expandDirectories(listings: DirectoryListings, root: string, pattern: string): string[] {
  let current = [root];
  for (const segment of pattern.split('/').filter((part) => part !== '' && part !== '.')) {
    const next: string[] = [];
    for (const dir of current) {
      if (segment === '**') {
        next.push(dir, ...listings.allSubdirectories(dir));
      } else if (/[*?{]/.test(segment)) {
        const matcher = compileGlob(segment);
        for (const child of listings.subdirectories(dir)) if (matcher.test(child)) next.push(join(dir, child));
      } else if (isDirectory(join(dir, segment))) {
        next.push(join(dir, segment));
      }
    }
    current = next;
  }
  return current;
}

/**
 * The folder listings of one load: the registry's globs, the package manager's globs and the Nx
 * project search walk the same folders (`packages/**` twice on a pnpm workspace), and whether a
 * folder holds a package.json or project.json is read from its listing instead of a stat each.
 */
class DirectoryListings {
  private readonly listings = new Map<string, readonly Dirent[]>();

  private entries(dir: string): readonly Dirent[] {
    let entries = this.listings.get(dir);
    if (entries === undefined) {
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        // a glob's folder that does not exist (or is a file) lists nothing
        entries = [];
      }
      this.listings.set(dir, entries);
    }
    return entries;
  }

  /** Whether `dir` holds a file (or a link to one) of this name. */
  hasFile(dir: string, name: string): boolean {
    return this.entries(dir).some((entry) => entry.name === name && !entry.isDirectory());
  }

  subdirectories(dir: string): string[] {
    return this.entries(dir)
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name))
      .map((entry) => entry.name);
  }

  allSubdirectories(dir: string): string[] {
    return this.subdirectories(dir).flatMap((name) => [join(dir, name), ...this.allSubdirectories(join(dir, name))]);
  }
}

function exportedSubpaths(exports: unknown): Set<string> | null {
  if (exports === undefined || exports === null) return null;
  if (typeof exports === 'string' || Array.isArray(exports)) return new Set(['.']);
  const keys = Object.keys(exports as Record<string, unknown>);
  // an exports object whose keys are conditions (no leading dot) describes the main entry only
  return new Set(keys.some((key) => key.startsWith('.')) ? keys : ['.']);
}

/**
 * The targets of the keys that match `subpath`, a key's `*` filled with what it matched
 * (`./features/*` with `./features/a/b`), as in package.json `exports`/`imports` and tsconfig `paths`.
 */
function matchSubpath(map: ReadonlyMap<string, readonly string[]>, subpath: string): string[] {
  const matched: string[] = [];
  for (const [key, targets] of map) {
    const star = key.indexOf('*');
    let fill: string | undefined;
    if (star === -1) fill = key === subpath ? '' : undefined;
    else if (subpath.length >= key.length - 1 && subpath.startsWith(key.slice(0, star)) && subpath.endsWith(key.slice(star + 1))) fill = subpath.slice(star, subpath.length - (key.length - star - 1));
    if (fill !== undefined) for (const target of targets) matched.push(target.replace('*', fill));
  }
  return matched;
}

/** compilerOptions.paths of the root tsconfig.base.json or tsconfig.json, targets made absolute (from baseUrl, else the file's folder). */
function tsconfigPaths(root: string): Map<string, string[]> {
  for (const name of ['tsconfig.base.json', 'tsconfig.json']) {
    const options = readJsonObject(join(root, name))?.['compilerOptions'];
    if (!isObject(options)) continue;
    const paths = options['paths'];
    if (!isObject(paths)) continue;
    const base = join(root, typeof options['baseUrl'] === 'string' ? options['baseUrl'] : '.');
    return new Map(Object.entries(paths).map(([pattern, targets]) => [pattern, Array.isArray(targets) ? targets.filter((t): t is string => typeof t === 'string').map((t) => join(base, t)) : []]));
  }
  return new Map();
}

/** package.json `exports` (keys `.`/`./x`, or conditions of the main entry) or `imports` (keys `#x`): each key's string targets. */
function subpathTargets(map: unknown, keyStart: '.' | '#' = '.'): Map<string, string[]> {
  const targets = new Map<string, string[]>();
  const strings = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(strings) : typeof value === 'object' && value !== null ? Object.values(value).flatMap(strings) : [];
  if (keyStart === '.' && (typeof map === 'string' || Array.isArray(map))) targets.set('.', strings(map));
  else if (typeof map === 'object' && map !== null && !Array.isArray(map)) {
    const entries = Object.entries(map);
    if (entries.some(([key]) => key.startsWith(keyStart))) {
      for (const [key, value] of entries) if (key.startsWith(keyStart)) targets.set(key, strings(value));
    } else if (keyStart === '.') targets.set('.', strings(map));
  }
  return targets;
}

export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
