import { FILE_RULES } from '../analysis';
import { type SsotRuleModule, createRule } from './create-rule';

/**
 * The ESLint rules by name (canonical-definitions, forbidden-imports, factory-only,
 * no-module-singletons, no-hardcoded-config). Each finds its registry by walking up from the
 * linted file to ssot.config.json, or from `settings.ssot.configFile`.
 */
export const rules: Record<string, SsotRuleModule> = Object.fromEntries(FILE_RULES.map((rule) => [rule.id, createRule(rule)]));

/** An ESLint flat-config plugin: `plugins: { ssot: ssotPlugin }`, then `'ssot/<rule>': 'error'`. */
export const ssotPlugin = { meta: { name: '@agentwirejs/ssot' }, rules };

/** Every rule at error, for a flat-config block: `rules: recommendedRules('ssot')`. */
export function recommendedRules(prefix = 'ssot'): Record<string, 'error'> {
  return Object.fromEntries(Object.keys(rules).map((name) => [`${prefix}/${name}`, 'error' as const]));
}

export type { SsotRuleModule } from './create-rule';
export type { SsotLintSettings } from './lint-environment';
