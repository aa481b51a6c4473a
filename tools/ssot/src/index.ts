/**
 * @agentwirejs/ssot: one definition of each concept. The registry (ssot.config.json) names every
 * canonical concept and its owner; the ESLint rules, the workspace checker and the import
 * codemod all read it and share one analysis of each file.
 */
export { BaselineError, NoPackagesError, RegistryError, RegistryNotFoundError, SsotError, UsageError } from './errors';
export type { RegistryIssue } from './errors';
export {
  CONCEPT_KINDS,
  DEFAULT_RULE_HINTS,
  REGISTRY_FILE_NAME,
  RULE_IDS,
  Registry,
  RegistryDataSchema,
  RegistryFileSchema,
  findRegistryFile,
  loadRegistry,
  parseRegistry,
} from './registry';
export type { Concept, ConceptKind, ImportRule, NameMatch, RegistryData, RegistryFile, RuleId } from './registry';
export { WorkspaceIndex } from './workspace-model';
export type { FileContext, WorkspacePackage } from './workspace-model';
export { FILE_RULES, analyzeFile, findEndpoint, planRewrite } from './analysis';
export type { AnalysisInput, EndpointMatch, FileFinding, FileRule, FileVisit, RewritePlan, RewriteTarget, TextEdit } from './analysis';
export { recommendedRules, rules, ssotPlugin } from './eslint';
export type { SsotLintSettings, SsotRuleModule } from './eslint';
export { CATEGORIES, CATEGORY_DESCRIPTIONS, CheckErrorReportSchema, CheckReportSchema, SCORE_FORMULA, formatTextReport, runCheck, toJsonReport, toSarif } from './checker';
export type { BaselineEntry, Category, CheckOptions, CheckReport, CheckResult, Location, RelatedLocation, Violation } from './checker';
export { applyEdits, formatMigrateReport, runMigrate } from './codemod';
export type { MigrateOptions, MigrateResult, MigratedFile, UnfixedImport } from './codemod';
export { EXIT, USAGE, runCli } from './cli';
export type { CliIo } from './cli';
