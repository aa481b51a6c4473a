import { canonicalDefinitions } from './canonical-definitions';
import { factoryOnly } from './factory-only';
import type { AnalysisInput, FileFinding, FileRule } from './file-rule';
import { forbiddenImports } from './forbidden-imports';
import { hardcodedConfig } from './hardcoded-config';
import { moduleSingletons } from './module-singletons';

/** Every per-file rule, in report order. */
export const FILE_RULES: readonly FileRule[] = [canonicalDefinitions, forbiddenImports, factoryOnly, moduleSingletons, hardcodedConfig];

/** Runs every rule that applies to the file (by role, owner and the registry's per-rule excludes). */
export function analyzeFile(input: AnalysisInput): FileFinding[] {
  if (input.file.excluded) return [];
  return FILE_RULES.filter((rule) => ruleRunsOn(rule, input)).flatMap((rule) => rule.analyze(input));
}

export function ruleRunsOn(rule: FileRule, input: Pick<AnalysisInput, 'file' | 'registry'>): boolean {
  return rule.appliesTo(input.file, input.registry) && input.registry.ruleApplies(rule.id, input.file.rel);
}
