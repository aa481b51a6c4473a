import { compileGlob, matchesAny } from '../glob';
import type { Concept, ImportRule, RegistryData, RuleId } from './schema';

/**
 * The fix lines of the rules whose remedy depends on how a workspace is built; a registry gives
 * its own under `rules.<rule>.hint`. Worded for any codebase: no container or loader is assumed.
 */
export const DEFAULT_RULE_HINTS = {
  'no-module-singletons': 'create the instance where the process starts and pass it to the code that needs it',
  'no-hardcoded-config': 'take the value from the configuration ({{configPackage}})',
} as const;

function formatHint(template: string, data: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => data[key] ?? whole);
}

/** How a declared name relates to the registry. */
export interface NameMatch {
  concept: Concept;
  /** canonical: the concept's own name (or a match of its pattern); alias: one of its legacy names. */
  role: 'canonical' | 'alias';
  /** The name code should use: the concept's name, or the matched name for a pattern concept. */
  canonicalName: string;
}

/**
 * The validated registry with the lookups the rules, the checker and the codemod share.
 * Paths given to the file-role methods are POSIX and relative to `root`.
 */
export class Registry {
  private readonly byName = new Map<string, NameMatch>();
  private readonly patterns: { regexp: RegExp; concept: Concept }[] = [];
  private readonly exactImports = new Map<string, ImportRule>();
  private readonly prefixImports: { prefix: string; rule: ImportRule }[] = [];
  private readonly excluded: RegExp[];
  private readonly testFiles: RegExp[];
  private readonly ruleExcludes = new Map<RuleId, RegExp[]>();
  private readonly allowedUrls: RegExp[];
  private factoriesByName: ReadonlyMap<string, string> | undefined;
  private extensionPoints: ReadonlySet<string> | undefined;

  constructor(
    /** Absolute path of the registry file that was loaded. */
    readonly file: string,
    /** The workspace root: the folder of that file. */
    readonly root: string,
    readonly data: RegistryData,
  ) {
    for (const concept of data.concepts) {
      if (concept.name !== undefined) {
        this.byName.set(concept.name, { concept, role: 'canonical', canonicalName: concept.name });
        for (const alias of concept.aliases ?? []) this.byName.set(alias, { concept, role: 'alias', canonicalName: concept.name });
      } else if (concept.pattern !== undefined) {
        this.patterns.push({ regexp: new RegExp(concept.pattern), concept });
      }
    }
    for (const rule of data.imports) {
      if (rule.specifier.endsWith('/*')) this.prefixImports.push({ prefix: rule.specifier.slice(0, -1), rule });
      else this.exactImports.set(rule.specifier, rule);
    }
    this.excluded = data.workspace.exclude.map(compileGlob);
    this.testFiles = data.workspace.testFiles.map(compileGlob);
    for (const [rule, settings] of Object.entries(data.rules)) {
      if (settings !== undefined) this.ruleExcludes.set(rule as RuleId, settings.exclude.map(compileGlob));
    }
    this.allowedUrls = data.allowedUrls.map((source) => new RegExp(source));
  }

  get concepts(): readonly Concept[] {
    return this.data.concepts;
  }

  get configPackage(): string | undefined {
    return this.data.workspace.configPackage;
  }

  /** The concept a declared name belongs to, by name, alias or pattern. */
  matchName(name: string): NameMatch | undefined {
    const exact = this.byName.get(name);
    if (exact !== undefined) return exact;
    const byPattern = this.patterns.find((entry) => entry.regexp.test(name));
    return byPattern === undefined ? undefined : { concept: byPattern.concept, role: 'canonical', canonicalName: name };
  }

  /** An alias's canonical name; any other name unchanged. */
  canonicalNameOf(name: string): string {
    return this.byName.get(name)?.canonicalName ?? name;
  }

  /** The specifier to import a concept from. */
  entryOf(concept: Concept): string {
    return concept.entry ?? concept.owner;
  }

  /** The factory-only concept a class name (or alias) refers to. */
  factoryOnly(name: string): Concept | undefined {
    const match = this.byName.get(name);
    return match?.concept.factory === undefined ? undefined : match.concept;
  }

  /**
   * The forbidden or deprecated entry a specifier falls under; the longest prefix wins. A listed
   * package also covers its subpaths (`@legacy/core` covers `@legacy/core/manager`): a package
   * that may not be imported may not be imported piecemeal either.
   */
  importRuleFor(specifier: string): ImportRule | undefined {
    const exact = this.exactImports.get(specifier);
    if (exact !== undefined) return exact;
    let best: { prefix: string; rule: ImportRule } | undefined;
    for (const entry of this.prefixImports) {
      if (specifier.startsWith(entry.prefix) && (best === undefined || entry.prefix.length > best.prefix.length)) best = entry;
    }
    for (let cut = specifier.lastIndexOf('/'); cut > 0; cut = specifier.lastIndexOf('/', cut - 1)) {
      const parent = this.exactImports.get(specifier.slice(0, cut));
      if (parent !== undefined) {
        if (best === undefined || cut + 1 > best.prefix.length) best = { prefix: `${specifier.slice(0, cut)}/`, rule: parent };
        break;
      }
    }
    return best?.rule;
  }

  isExcluded(path: string): boolean {
    return matchesAny(path, this.excluded);
  }

  isTestFile(path: string): boolean {
    return matchesAny(path, this.testFiles);
  }

  /** False when the registry's `rules.<rule>.exclude` covers the file. */
  ruleApplies(rule: RuleId, path: string): boolean {
    const excludes = this.ruleExcludes.get(rule);
    return excludes === undefined || !matchesAny(path, excludes);
  }

  /** The registry's own fix text for a rule's findings, else the tool's default. */
  ruleHint(rule: keyof typeof DEFAULT_RULE_HINTS): string {
    return this.data.rules[rule]?.hint ?? formatHint(DEFAULT_RULE_HINTS[rule], { configPackage: this.configPackage ?? 'the configuration package' });
  }

  /** The function names the concepts list as extension points (extension-points.ts), computed once. */
  get extensionPointNames(): ReadonlySet<string> {
    this.extensionPoints ??= new Set(this.concepts.flatMap((concept) => concept.extensionPoints ?? []));
    return this.extensionPoints;
  }

  /** Whether some concept is made only by its factory (factoryOnly): without one, factory-only has nothing to look for. */
  get hasFactories(): boolean {
    return this.concepts.some((concept) => concept.factory !== undefined);
  }

  /** Factory name → class concept name, for the class concepts that have a factory. */
  get classFactories(): ReadonlyMap<string, string> {
    this.factoriesByName ??= new Map(this.concepts.flatMap((concept) => (concept.kind === 'class' && concept.factory !== undefined && concept.name !== undefined ? [[concept.factory, concept.name] as const] : [])));
    return this.factoriesByName;
  }

  /**
   * How to fix a second definition of a concept: its own `fix` text when the registry gives one;
   * else import it from its entry, by name, or for a pattern concept by what the family is (the
   * matched name is the copy's own, which the owner need not have).
   */
  conceptHint(match: NameMatch, action: string, where = ''): string {
    const { concept } = match;
    if (concept.fix !== undefined) return concept.fix;
    const entry = this.entryOf(concept);
    if (concept.name !== undefined) return `${action} and import { ${match.canonicalName} } from '${entry}'${where}`;
    return `${action} and import the ${concept.description ?? `definition matching /${concept.pattern ?? ''}/`} from '${entry}'${where}`;
  }

  isAllowedUrl(url: string): boolean {
    return this.allowedUrls.some((pattern) => pattern.test(url));
  }
}
