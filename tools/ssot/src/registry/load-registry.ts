import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { RegistryError, RegistryNotFoundError, type RegistryIssue } from '../errors';
import { Registry } from './registry';
import { type RegistryData, RegistryDataSchema, type RegistryFile, RegistryFileSchema } from './schema';

export const REGISTRY_FILE_NAME = 'ssot.config.json';

const CHECK_DEFAULTS = { maxViolations: 0, minScore: 0, structuralMinMembers: 3, scoreScale: 10, nearCopyThreshold: 0.7 };

/** The nearest ssot.config.json at or above `from`. */
export function findRegistryFile(from: string): string {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, REGISTRY_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new RegistryNotFoundError(from);
    dir = parent;
  }
}

/**
 * Reads and validates a registry file, following `extends`. The workspace root is the folder of
 * `file`. Throws RegistryError listing every problem, each with its place in the file.
 */
export function loadRegistry(file: string): Registry {
  const path = resolve(file);
  return consistent(new Registry(path, dirname(path), resolveFile(path, [])));
}

/** Validates registry content that is already in memory (no `extends`); for tests and tools. */
export function parseRegistry(content: unknown, file: string, root: string = dirname(resolve(file))): Registry {
  const raw = validate(RegistryFileSchema, content, file);
  if (raw.extends !== undefined) throw new RegistryError(file, [{ path: 'extends', message: 'extends needs a registry read from disk' }]);
  return consistent(new Registry(resolve(file), root, finish(raw, file)));
}

/** Where the codemod sends imports must not itself be forbidden, or migrate would never settle. */
function consistent(registry: Registry): Registry {
  const issues: RegistryIssue[] = [];
  registry.data.concepts.forEach((concept, index) => {
    const entry = registry.entryOf(concept);
    if (registry.importRuleFor(entry) !== undefined) issues.push({ path: `concepts[${index}]`, message: `its entry '${entry}' is itself a forbidden import` });
  });
  registry.data.imports.forEach((rule, index) => {
    if (rule.replacement !== undefined && registry.importRuleFor(rule.replacement) !== undefined) {
      issues.push({ path: `imports[${index}].replacement`, message: `'${rule.replacement}' is itself a forbidden import` });
    }
  });
  if (issues.length > 0) throw new RegistryError(registry.file, issues);
  return registry;
}

function resolveFile(path: string, chain: string[]): RegistryData {
  if (chain.includes(path)) {
    throw new RegistryError(path, [{ path: 'extends', message: `extends forms a cycle: ${[...chain, path].join(' -> ')}` }]);
  }
  const raw = validate(RegistryFileSchema, readJson(path), path);
  if (raw.extends === undefined) return finish(raw, path);
  const basePath = resolve(dirname(path), raw.extends);
  if (!existsSync(basePath)) throw new RegistryError(path, [{ path: 'extends', message: `no such file: ${basePath}` }]);
  const base = resolveFile(basePath, [...chain, path]);
  return finish(
    {
      ...raw,
      workspace: raw.workspace ?? base.workspace,
      concepts: [...base.concepts, ...(raw.concepts ?? [])],
      imports: [...base.imports, ...(raw.imports ?? [])],
      endpoints: { allowedUrls: [...base.allowedUrls, ...(raw.endpoints?.allowedUrls ?? [])] },
      rules: { ...base.rules, ...raw.rules },
      check: { ...base.check, ...raw.check },
    },
    path,
  );
}

function finish(raw: RegistryFile, file: string): RegistryData {
  return validate(
    RegistryDataSchema,
    {
      // every workspace setting has a default: the packages can come from the workspace's own manifests
      workspace: raw.workspace ?? {},
      concepts: raw.concepts ?? [],
      imports: raw.imports ?? [],
      allowedUrls: raw.endpoints?.allowedUrls ?? [],
      rules: raw.rules ?? {},
      check: { ...CHECK_DEFAULTS, ...raw.check },
    },
    file,
  );
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RegistryError(path, [{ path: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    // JSON.parse names an offset; people look for a line and a column
    const at = /at position (\d+)/.exec(message);
    const offset = at?.[1] === undefined ? undefined : Number(at[1]);
    const before = offset === undefined ? undefined : text.slice(0, offset).split('\n');
    const where = before === undefined ? '' : ` (line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1})`;
    throw new RegistryError(path, [{ path: '', message: `not JSON: ${message}${where}` }]);
  }
}

function validate<S extends z.ZodType>(schema: S, value: unknown, file: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new RegistryError(file, result.error.issues.map(toIssue));
}

function toIssue(issue: z.core.$ZodIssue): RegistryIssue {
  const path = issue.path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
  if (issue.code === 'unrecognized_keys') return { path, message: `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}` };
  return { path, message: issue.message };
}
