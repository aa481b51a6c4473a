import { RULE_IDS, type RuleId } from '../registry';

/** The checker's categories: the five per-file rules plus what only a whole-workspace scan sees. */
export const CATEGORIES = [...RULE_IDS, 'duplicate-names', 'structural-duplicates', 'deprecated-entry-points', 'syntax-errors', 'near-copies', 'cross-module-bypasses', 'cross-module-singletons'] as const;
export type Category = (typeof CATEGORIES)[number];
export type CrossFileCategory = Exclude<Category, RuleId>;

export const CATEGORY_DESCRIPTIONS: Record<Category, string> = {
  'canonical-definitions': 'A canonical concept or legacy alias declared outside its owner package',
  'forbidden-imports': 'An import through a forbidden or deprecated path, a deep import, or a relative import that leaves its package',
  'factory-only': 'A factory-only class constructed (or extended) outside its owner package',
  'no-module-singletons': 'A module-level mutable holder of an instance',
  'no-hardcoded-config': 'A hard-coded endpoint or a process.env read outside the config package',
  'duplicate-names': 'The same exported type name declared in two packages',
  'structural-duplicates': 'Two exported types with different names and the same members',
  'deprecated-entry-points': 'A deprecated entry point that is missing, or does not mark its exports @deprecated and warn once at run time',
  'near-copies': "A type, enum copy or schema outside a concept's owner that shares most of the concept's members (similarity over the registry's check.nearCopyThreshold)",
  'cross-module-bypasses':
    'A factory-only class constructed, or process.env read, through a name another module binds (an alias exported elsewhere, a default export, a class handed over in a variable), or an endpoint whose literal port is a constant of another module: followed with the type checker, which a per-file rule cannot do',
  'cross-module-singletons':
    'An exported module-level instance of a registry class made through another module (a factory call, an alias of the class, Reflect.construct): one instance shared by every importer, found with the type checker',
  'syntax-errors': 'A file that does not parse: the rules saw only what the parser recovered, so findings in it may be missing',
};

/** A place in a file; lines and columns start at 1, paths are relative to the workspace root. */
export interface Location {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface RelatedLocation extends Location {
  message: string;
}

export interface Violation extends Location {
  category: Category;
  message: string;
  /** How to fix it, in one line. */
  hint: string;
  /** The name or specifier it is about. */
  subject: string;
  /** `category|file|subject`: how the baseline recognises it across edits that move lines. */
  key: string;
  /** True when an automatic fix exists (eslint --fix, agentwire-ssot migrate). */
  fixable: boolean;
  /** True when the baseline already records it. */
  baselined: boolean;
  /** The other side of a duplicate pair. */
  related: RelatedLocation[];
}

export function violationKey(category: Category, file: string, subject: string): string {
  return `${category}|${file}|${subject}`;
}

/** Sorts by file, then position, then category: the order of every report. */
export function compareViolations(a: Violation, b: Violation): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.category.localeCompare(b.category);
}
