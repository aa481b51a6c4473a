import type ts from 'typescript';
import { allNodes, isGeneratedSource, visitNodes } from './ast';
import { canonicalDefinitions } from './canonical-definitions';
import { factoryOnly } from './factory-only';
import type { AnalysisInput, FileFinding, FileRule } from './file-rule';
import { forbiddenImports } from './forbidden-imports';
import { hardcodedConfig } from './hardcoded-config';
import { moduleSingletons } from './module-singletons';

/** Every per-file rule, in report order. */
export const FILE_RULES: readonly FileRule[] = [canonicalDefinitions, forbiddenImports, factoryOnly, moduleSingletons, hardcodedConfig];

/**
 * Runs every rule that applies to the file (by role, owner and the registry's per-rule excludes)
 * in one loop over its nodes; the findings come rule by rule, in FILE_RULES order, each rule's
 * as its analyze() would return them. `nodes` is the file's node list when the caller has it
 * (the checker's parseFile makes it while setting parent pointers); `rules` narrows the rules
 * (the checker runs a test file's source-only rules only once production code imports it).
 */
export function analyzeFile(input: AnalysisInput, nodes?: readonly ts.Node[], rules: readonly FileRule[] = FILE_RULES): FileFinding[] {
  if (input.file.excluded || isGeneratedSource(input.sourceFile.text)) return [];
  const visits = rules.filter((rule) => ruleRunsOn(rule, input)).map((rule) => rule.visit(input));
  visitNodes(nodes ?? allNodes(input.sourceFile), visits);
  return visits.flatMap((visit) => visit.findings());
}

export function ruleRunsOn(rule: FileRule, input: Pick<AnalysisInput, 'file' | 'registry'>): boolean {
  return rule.appliesTo(input.file, input.registry) && input.registry.ruleApplies(rule.id, input.file.rel);
}
