import { dirname, relative, resolve, sep } from 'node:path';
import type { Registry } from '../registry';
import { type FileContext, type WorkspaceIndex, type WorkspacePackage, toPosix } from '../workspace-model';
import { type AnalysisInput, type FileFinding, type FileRule, type FileVisit, defineFileRule } from './file-rule';
import ts from 'typescript';
import { type RewriteContext, type RewriteTarget, planRewrite, plainDestination } from './import-rewrite';
import { MODULE_REFERENCE_KINDS, type ModuleReference, moduleReferenceOf } from './module-references';

interface Verdict {
  messageId: 'forbidden' | 'deprecated' | 'deep' | 'relative';
  data: Record<string, string>;
  target: RewriteTarget;
  /** What to do when no automatic fix exists. */
  manualAdvice: string;
}

/**
 * Specifiers the registry forbids or deprecates, deep imports into a workspace package (a
 * subpath its package.json `exports` does not offer, or src/dist/lib when it has no exports
 * map) and relative imports that leave the file's package. Where the destination of every
 * imported name is known, the finding carries the rewrite (`eslint --fix`, `agentwire-ssot migrate`).
 */
export const forbiddenImports: FileRule = defineFileRule({
  id: 'forbidden-imports',
  description: 'Import each concept through its canonical entry: no forbidden or deprecated paths, deep imports or relative imports across packages',
  messages: {
    forbidden: "import path '{{specifier}}' is forbidden{{reason}}: {{advice}}",
    deprecated: "import path '{{specifier}}' is deprecated and kept only for migration{{reason}}: {{advice}}",
    deep: "'{{specifier}}' reaches into the internals of {{package}}: {{advice}}",
    relative: "relative import '{{specifier}}' leaves {{from}}{{into}}: {{advice}}",
  },
  fixable: true,
  appliesTo: () => true,
  visit({ sourceFile, file, registry, workspace }: AnalysisInput): FileVisit {
    const references: ModuleReference[] = [];
    return {
      kinds: MODULE_REFERENCE_KINDS,
      node(node) {
        const reference = moduleReferenceOf(node);
        if (reference !== undefined) references.push(reference);
      },
      findings() {
        const findings: FileFinding[] = [];
        const verdicts = references.map((reference) => ({ reference, verdict: classify(reference.specifier.text, file, registry, workspace) }));
        // where each import will point after the plain rewrites, so a split can join an import of its destination
        const future = new Map<ts.Node, string | undefined>();
        for (const { reference, verdict } of verdicts) {
          if (!ts.isImportDeclaration(reference.holder)) continue;
          future.set(reference.holder, verdict === undefined ? reference.specifier.text : plainDestination(reference.holder, verdict.target, registry));
        }
        const context: RewriteContext = { futureSpecifierOf: (node) => future.get(node) };
        for (const { reference, verdict } of verdicts) {
          const specifier = reference.specifier.text;
          if (verdict === undefined) continue;
          const plan = planRewrite(reference, verdict.target, registry, sourceFile, context);
          const fixed = 'edits' in plan;
          const advice = fixed ? `import from ${plan.destinations.map((d) => `'${d}'`).join(' and ')}` : verdict.manualAdvice;
          findings.push({
            rule: 'forbidden-imports',
            messageId: verdict.messageId,
            data: { ...verdict.data, specifier, advice },
            start: reference.specifier.getStart(sourceFile),
            end: reference.specifier.getEnd(),
            subject: specifier,
            hint: fixed ? `${advice} (agentwire-ssot migrate or eslint --fix rewrites it)` : `${advice} (no safe automatic fix: ${plan.unfixable})`,
            ...(fixed ? { fix: plan.edits } : {}),
          });
        }
        // `/// <reference types="x" />` loads a package's types as an import would; it is a
        // comment, not a node, so no rewrite is offered
        for (const directive of sourceFile.typeReferenceDirectives) {
          const rule = registry.importRuleFor(directive.fileName);
          if (rule === undefined) continue;
          const advice = rule.replacement === undefined ? "reference each name's owner instead" : `reference '${rule.replacement}'`;
          findings.push({
            rule: 'forbidden-imports',
            messageId: rule.status,
            data: { reason: rule.reason === undefined ? '' : ` (${rule.reason})`, specifier: directive.fileName, advice },
            start: directive.pos,
            end: directive.end,
            subject: directive.fileName,
            hint: `${advice} (no automatic fix for a reference directive)`,
          });
        }
        return findings;
      },
    };
  },
});

function classify(specifier: string, file: FileContext, registry: Registry, workspace: WorkspaceIndex): Verdict | undefined {
  const rule = registry.importRuleFor(specifier);
  if (rule !== undefined) {
    const reason = rule.reason === undefined ? '' : ` (${rule.reason})`;
    return {
      messageId: rule.status,
      data: { reason },
      target: { fallback: rule.replacement ?? null, ...(rule.defaultExport === undefined ? {} : { defaultExport: rule.defaultExport }) },
      manualAdvice: rule.replacement === undefined ? "import each name from its owner's entry" : `import from '${rule.replacement}'`,
    };
  }
  if (specifier.startsWith('.')) return classifyRelative(specifier, file, workspace);
  const split = workspace.splitSpecifier(specifier);
  if (split === undefined || isExported(split.pkg, split.subpath)) return undefined;
  const entry = isEntryPath(split.subpath.slice(2));
  return {
    messageId: 'deep',
    data: { package: split.pkg.name },
    target: { fallback: entry ? split.pkg.name : null },
    manualAdvice: `import from its public entry '${split.pkg.name}'`,
  };
}

function classifyRelative(specifier: string, file: FileContext, workspace: WorkspaceIndex): Verdict | undefined {
  if (file.pkg === undefined) return undefined;
  const target = resolve(dirname(file.path), specifier);
  if (target === file.pkg.dir || target.startsWith(file.pkg.dir + sep)) return undefined;
  // the workspace root's own files (a base test or lint config, the root package.json) are shared by design
  if (dirname(target) === workspace.registry.root) return undefined;
  const reached = workspace.packageOf(target);
  // a folder without a package.json cannot be imported by name: the advice is to make it a package
  const into = reached?.importable === true ? reached : undefined;
  const entry = into !== undefined && isEntryPath(toPosix(relative(into.dir, target)));
  return {
    messageId: 'relative',
    data: { from: file.pkg.name, into: into === undefined ? '' : ` into ${into.name}` },
    target: { fallback: entry && into !== undefined ? into.name : null },
    manualAdvice: into === undefined ? 'move the shared code into a package and import it by name' : `import from '${into.name}'`,
  };
}

function isExported(pkg: WorkspacePackage, subpath: string): boolean {
  if (subpath === '.') return true;
  if (pkg.exportedSubpaths === null) return !/^\.\/(src|dist|lib)(\/|$)/.test(subpath);
  for (const key of pkg.exportedSubpaths) {
    if (key === subpath) return true;
    if (key.includes('*')) {
      const [before = '', after = ''] = key.split('*');
      if (subpath.startsWith(before) && subpath.endsWith(after)) return true;
    }
  }
  return false;
}

/** True when a package-relative path is the package's entry (its root, src/ or dist/ index). */
function isEntryPath(path: string): boolean {
  const withoutExtension = path.replace(/(\.d)?\.(ts|tsx|mts|cts|js|mjs|cjs)$/, '').replace(/(^|\/)index$/, '');
  return ['', 'src', 'dist', 'lib'].includes(withoutExtension);
}
