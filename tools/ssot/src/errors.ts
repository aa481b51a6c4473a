/**
 * Base of every error this package throws. Callers branch on `code`, which is stable across
 * releases; the message is for people and may change.
 */
export class SsotError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export interface RegistryIssue {
  /** Where in the file, e.g. `concepts[3].owner`; empty for the whole file. */
  path: string;
  message: string;
}

/** ssot.config.json is missing, unreadable, not JSON, or fails its schema; `issues` lists every problem. */
export class RegistryError extends SsotError {
  constructor(
    readonly file: string,
    readonly issues: readonly RegistryIssue[],
  ) {
    super(
      'SSOT_INVALID_REGISTRY',
      `Invalid SSOT registry ${file} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  ${issue.path === '' ? '(file)' : issue.path}: ${issue.message}`).join('\n'),
    );
  }
}

/** No ssot.config.json was found where one was looked for. */
export class RegistryNotFoundError extends SsotError {
  constructor(readonly searchedFrom: string) {
    super('SSOT_REGISTRY_NOT_FOUND', `No ssot.config.json in ${searchedFrom} or any folder above it`);
  }
}

/** The registry's workspace holds no package: nothing would be checked, which must not read as clean. */
export class NoPackagesError extends SsotError {
  constructor(readonly root: string) {
    super(
      'SSOT_NO_PACKAGES',
      `No package found in ${root}: list package folders under workspace.projects in ssot.config.json, or declare them where the ` +
        'package manager looks (package.json workspaces, pnpm-workspace.yaml, lerna.json, rush.json) or with Nx project.json files',
    );
  }
}

/** A baseline file exists but is not one this tool wrote. */
export class BaselineError extends SsotError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super('SSOT_INVALID_BASELINE', `Invalid baseline ${file}: ${reason}`);
  }
}

/** The command line could not be understood. */
export class UsageError extends SsotError {
  constructor(message: string) {
    super('SSOT_USAGE', message);
  }
}
