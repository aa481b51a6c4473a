import { dirname, isAbsolute, resolve } from 'node:path';
import { RegistryNotFoundError, SsotError } from '../errors';
import { REGISTRY_FILE_NAME, findRegistryFile, loadRegistry, type Registry } from '../registry';
import { WorkspaceIndex } from '../workspace-model';

export interface LintEnvironment {
  registry: Registry;
  workspace: WorkspaceIndex;
}

/** `settings.ssot` in an ESLint config: where the registry is, when not found by walking up from each file. */
export interface SsotLintSettings {
  configFile?: string;
}

/** Why the rules cannot run on a file: no registry above it, or one that does not validate. */
export interface LintEnvironmentProblem {
  problem: string;
}

// ESLint creates rule listeners per file; loading the registry and the package list once per
// registry file keeps a lint run at one read of each. Keyed by absolute path, never cleared:
// a lint process is short-lived.
const environments = new Map<string, LintEnvironment | LintEnvironmentProblem>();
const registryFileByDir = new Map<string, string | LintEnvironmentProblem>();

/** The registry and workspace a linted file belongs to, or why there is none (never throws for a missing or invalid registry). */
export function lintEnvironment(filename: string, cwd: string, settings: SsotLintSettings | undefined): LintEnvironment | LintEnvironmentProblem {
  const configured = settings?.configFile;
  const file = configured === undefined ? registryFileFor(dirname(filename)) : isAbsolute(configured) ? configured : resolve(cwd, configured);
  if (typeof file !== 'string') return file;
  let environment = environments.get(file);
  if (environment === undefined) {
    try {
      const registry = loadRegistry(file);
      environment = { registry, workspace: WorkspaceIndex.load(registry) };
    } catch (error) {
      if (!(error instanceof SsotError)) throw error;
      environment = { problem: `ssot rules are off for this file: ${error.message}` };
    }
    environments.set(file, environment);
  }
  return environment;
}

function registryFileFor(dir: string): string | LintEnvironmentProblem {
  let file = registryFileByDir.get(dir);
  if (file === undefined) {
    try {
      file = findRegistryFile(dir);
    } catch (error) {
      if (!(error instanceof RegistryNotFoundError)) throw error;
      file = {
        problem: `ssot rules are off for this file: no ${REGISTRY_FILE_NAME} in its folder or any folder above it (add one, or set settings.ssot.configFile)`,
      };
    }
    registryFileByDir.set(dir, file);
  }
  return file;
}
