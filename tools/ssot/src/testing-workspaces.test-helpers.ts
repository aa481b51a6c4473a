import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { workspaceRoot } from './workspace/workspace-root';

export const REPO_ROOT = workspaceRoot();
export const ROOT_REGISTRY = join(REPO_ROOT, 'ssot.config.json');
export const LEGACY_FIXTURE = join(REPO_ROOT, 'tools/ssot/fixtures/legacy-workspace');

const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A copy of the legacy fixture that a test may change; its registry still extends the repository's. */
export function copyLegacyFixture(): string {
  const dir = join(scratch('ssot-legacy-'), 'legacy-workspace');
  cpSync(LEGACY_FIXTURE, dir, { recursive: true });
  const registryFile = join(dir, 'ssot.config.json');
  const registry = JSON.parse(readFileSync(registryFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(registryFile, JSON.stringify({ ...registry, extends: ROOT_REGISTRY }, null, 2));
  return dir;
}

/**
 * A throw-away workspace: `files` by relative path. Unless given, ssot.config.json extends the
 * repository's registry with projects under packages/*, and each packages/<name> folder gets a
 * package.json named @agentwirejs/<name>.
 */
export function writeWorkspace(files: Record<string, string>, registry: Record<string, unknown> = {}): string {
  const dir = scratch('ssot-ws-');
  const all: Record<string, string> = {
    'ssot.config.json': JSON.stringify({
      version: 1,
      extends: ROOT_REGISTRY,
      workspace: { projects: ['packages/*'], testFiles: ['**/*.spec.ts'], configPackage: '@agentwirejs/config' },
      ...registry,
    }),
    ...files,
  };
  for (const path of Object.keys(files)) {
    const match = /^packages\/([^/]+)\//.exec(path);
    const manifest = match === null ? undefined : `packages/${match[1]}/package.json`;
    if (manifest !== undefined && all[manifest] === undefined) all[manifest] = JSON.stringify({ name: `@agentwirejs/${match?.[1]}` });
  }
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
