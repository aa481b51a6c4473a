import { z } from 'zod';
import { compileGlob } from '../glob';

/** What a concept is in code; shown in messages, and checked against nothing (a zod schema is a `const`). */
export const CONCEPT_KINDS = ['class', 'interface', 'type', 'enum', 'const', 'function', 'schema'] as const;
export type ConceptKind = (typeof CONCEPT_KINDS)[number];

/** The per-file rules; their ids are also the checker's categories for the same findings. */
export const RULE_IDS = [
  'canonical-definitions',
  'forbidden-imports',
  'factory-only',
  'no-module-singletons',
  'no-hardcoded-config',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

const identifier = z.string().regex(/^[A-Za-z_$][\w$]*$/, { error: 'expected a TypeScript identifier' });
const packageName = z
  .string()
  .regex(/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/, { error: 'expected an npm package name such as @scope/name' });
const specifier = z
  .string()
  .regex(/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.@-]+)*$/, { error: 'expected a bare module specifier such as @scope/name/sub' });
const specifierPattern = z
  .string()
  .regex(/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.@-]+)*(\/\*)?$/, {
    error: 'expected a module specifier, optionally ending in /* for every subpath',
  });
const regexSource = z.string().refine(compilesAsRegExp, { error: 'not a valid regular expression' });
const glob = z.string().min(1).refine(compilesAsGlob, { error: 'not a valid glob' });

const ConceptSchema = z
  .strictObject({
    /** The canonical name; give either name or pattern. */
    name: identifier.optional(),
    /** A family of names (e.g. the wire message schemas), as a regular expression. */
    pattern: regexSource.optional(),
    kind: z.enum(CONCEPT_KINDS),
    /** The package that holds the one definition. */
    owner: packageName,
    /** Where to import it from, when not the owner's main entry (e.g. @agentwirejs/manager/testing). */
    entry: specifier.optional(),
    /** Set for factory-only classes: `new` is allowed in the owner package only. */
    factory: identifier.optional(),
    /** Legacy names: only the owner may define them, as aliases of the canonical symbol. */
    aliases: z.array(identifier).optional(),
    description: z.string().optional(),
    /** How to fix a second definition or a bypass of this concept, shown as the finding's hint (default: import it from its entry). */
    fix: z.string().min(1).optional(),
    /**
     * For contracts (interfaces, classes): the classes outside the owner that may implement it
     * (the canonical implementation, adapters, test doubles), each with why. Any other
     * implementation is a second implementation of the concept.
     */
    implementations: z
      .array(z.strictObject({ name: identifier, package: packageName.optional(), reason: z.string().min(1, { error: 'say why this implementation is allowed' }) }))
      .optional(),
    /**
     * Functions of the owner (imported from it or its entry) through which applications register
     * their own members of this concept, e.g. `defineProtocolExtensions` for the wire schemas. A
     * declaration a file passes to one of them is that application's own, not a second definition.
     */
    extensionPoints: z.array(identifier).min(1).optional(),
  })
  .superRefine((concept, ctx) => {
    if ((concept.name === undefined) === (concept.pattern === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of name and pattern' });
    }
    if (concept.pattern !== undefined && (concept.factory !== undefined || concept.aliases !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a pattern concept cannot have a factory or aliases' });
    }
  });

const ImportRuleSchema = z.strictObject({
  /** Exact specifier, or `prefix/*` for every subpath of prefix. */
  specifier: specifierPattern,
  /** forbidden: must not be imported; deprecated: still served by a shim for migration, must not be imported. */
  status: z.enum(['forbidden', 'deprecated']),
  /** Where names that are not registry concepts go; concepts always go to their owner's entry. */
  replacement: specifier.optional(),
  /** The canonical name the old module's default export stood for. */
  defaultExport: identifier.optional(),
  /** For deprecated entries: the workspace file that still serves the old specifier. */
  shim: z.string().min(1).optional(),
  reason: z.string().optional(),
});

const WorkspaceSchema = z.strictObject({
  /**
   * Folders that each hold one package, as globs, beside those the workspace's own files name
   * (package.json workspaces, pnpm-workspace.yaml, lerna.json, rush.json, Nx project.json files).
   */
  projects: z.array(glob).default([]),
  /** Files never scanned nor linted by these rules. */
  exclude: z.array(glob).default([]),
  /** Test code: only canonical-definitions, forbidden-imports and factory-only apply to it. */
  testFiles: z.array(glob).default([]),
  /** The one package that may read process.env and hold endpoints. */
  configPackage: packageName.optional(),
});

const RuleSettingsSchema = z.strictObject({
  exclude: z.array(glob).default([]),
  /** The fix line of this rule's findings, in this workspace's words (default: DEFAULT_RULE_HINTS). */
  hint: z.string().min(1).optional(),
});

const CheckSettingsSchema = z.strictObject({
  /** New (not baselined) violations allowed before the checker exits non-zero. */
  maxViolations: z.int().min(0).optional(),
  /** Lowest acceptable score, 0..100. */
  minScore: z.number().min(0).max(100).optional(),
  /** Smallest member count for a structural duplicate (smaller shapes match by accident). */
  structuralMinMembers: z.int().min(1).optional(),
  /** K in the score, 100 * K / (K + violations): the number of violations that halves it. */
  scoreScale: z.number().positive().optional(),
  /** Share of member names (shared / all distinct, 0..1) from which a shape is a near copy of a concept. */
  nearCopyThreshold: z.number().min(0).max(1).optional(),
});

/** One ssot.config.json file as written: every section optional, so a file can extend another. */
export const RegistryFileSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1, { error: 'expected version 1' }),
  /** Path (relative to this file) of a registry whose concepts and imports this one adds to. */
  extends: z.string().min(1).optional(),
  workspace: WorkspaceSchema.optional(),
  concepts: z.array(ConceptSchema).optional(),
  imports: z.array(ImportRuleSchema).optional(),
  endpoints: z.strictObject({ allowedUrls: z.array(regexSource).default([]) }).optional(),
  rules: z.partialRecord(z.enum(RULE_IDS), RuleSettingsSchema).optional(),
  check: CheckSettingsSchema.optional(),
});
export type RegistryFile = z.output<typeof RegistryFileSchema>;

/** The registry after `extends` is resolved; names must be unique across concepts and aliases. */
export const RegistryDataSchema = z
  .strictObject({
    workspace: WorkspaceSchema,
    concepts: z.array(ConceptSchema).min(1, { error: 'list at least one concept' }),
    imports: z.array(ImportRuleSchema),
    allowedUrls: z.array(regexSource),
    rules: z.partialRecord(z.enum(RULE_IDS), RuleSettingsSchema),
    check: z.strictObject({
      maxViolations: z.int().min(0),
      minScore: z.number().min(0).max(100),
      structuralMinMembers: z.int().min(1),
      scoreScale: z.number().positive(),
      nearCopyThreshold: z.number().min(0).max(1),
    }),
  })
  .superRefine((data, ctx) => {
    const seen = new Map<string, string>();
    data.concepts.forEach((concept, index) => {
      for (const name of [concept.name, ...(concept.aliases ?? [])]) {
        if (name === undefined) continue;
        const earlier = seen.get(name);
        if (earlier !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['concepts', index], message: `${name} is already listed by ${earlier}` });
        }
        seen.set(name, `concepts[${index}]`);
      }
    });
    const specifiers = new Set<string>();
    data.imports.forEach((rule, index) => {
      if (specifiers.has(rule.specifier)) {
        ctx.addIssue({ code: 'custom', path: ['imports', index, 'specifier'], message: `${rule.specifier} is listed twice` });
      }
      specifiers.add(rule.specifier);
      if (rule.status === 'deprecated' && rule.shim === undefined) {
        ctx.addIssue({ code: 'custom', path: ['imports', index, 'shim'], message: 'a deprecated entry names the shim that serves it' });
      }
    });
  });
export type RegistryData = z.output<typeof RegistryDataSchema>;
export type Concept = RegistryData['concepts'][number];
export type ImportRule = RegistryData['imports'][number];

function compilesAsRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

function compilesAsGlob(pattern: string): boolean {
  try {
    compileGlob(pattern);
    return true;
  } catch {
    return false;
  }
}
