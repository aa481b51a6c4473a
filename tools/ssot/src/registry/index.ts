export { REGISTRY_FILE_NAME, findRegistryFile, loadRegistry, parseRegistry } from './load-registry';
export { DEFAULT_RULE_HINTS, Registry } from './registry';
export type { NameMatch } from './registry';
export { CONCEPT_KINDS, RULE_IDS, RegistryDataSchema, RegistryFileSchema } from './schema';
export type { Concept, ConceptKind, ImportRule, RegistryData, RegistryFile, RuleId } from './schema';
