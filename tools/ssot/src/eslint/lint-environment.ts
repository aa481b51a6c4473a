import { dirname, isAbsolute, resolve } from 'node:path';
import { findRegistryFile, loadRegistry, type Registry } from '../registry';
import { WorkspaceIndex } from '../workspace-model';

export interface LintEnvironment {
  registry: Registry;
  workspace: WorkspaceIndex;
}

/** `settings.ssot` in an ESLint config: where the registry is, when not found by walking up from each file. */
export interface SsotLintSettings {
  configFile?: string;
}

// ESLint creates rule listeners per file; loading the registry and the package list once per
// registry file keeps a lint run at one read of each. Keyed by absolute path, never cleared:
// a lint process is short-lived.
const environments = new Map<string, LintEnvironment>();
const registryFileByDir = new Map<string, string>();

/** The registry and workspace a linted file belongs to. */
export function lintEnvironment(filename: string, cwd: string, settings: SsotLintSettings | undefined): LintEnvironment {
  const configured = settings?.configFile;
  const file = configured === undefined ? registryFileFor(dirname(filename)) : isAbsolute(configured) ? configured : resolve(cwd, configured);
  let environment = environments.get(file);
  if (environment === undefined) {
    const registry = loadRegistry(file);
    environment = { registry, workspace: WorkspaceIndex.load(registry) };
    environments.set(file, environment);
  }
  return environment;
}

function registryFileFor(dir: string): string {
  let file = registryFileByDir.get(dir);
  if (file === undefined) {
    file = findRegistryFile(dir);
    registryFileByDir.set(dir, file);
  }
  return file;
}
