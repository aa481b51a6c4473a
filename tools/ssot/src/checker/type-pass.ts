import { dirname, resolve } from 'node:path';
import ts from 'typescript';
import { hasModifier, isJavaScriptPath, unwrap } from '../analysis/ast';
import { SUBSTITUTION } from '../analysis/endpoints';
import { PROCESS_MODULES, concatenationText, isPortName, literalPortAfterHost, literalPortBesideHost } from '../analysis/hardcoded-config';
import { reflectiveTarget } from '../analysis/factory-only';
import type { Concept, NameMatch, Registry } from '../registry';
import type { WorkspaceIndex } from '../workspace-model';
import { type MemberProfile, mayMatch, memberProfile, unasserted } from './member-profile';
import { type Shape, mergedNames } from './near-copies';
import { type ParsedFile, locationOf } from './parsed-file';
import { type Violation, violationKey } from './violation';

/**
 * What the type checker adds to the syntactic rules: a class, object or type outside a
 * contract's owner that structurally satisfies the contract, a copy whose members are all
 * renamed (the same member types under other names), and factory-only classes or `process`
 * reached through a name bound in another module (an alias exported elsewhere, a default export,
 * a class handed over in a variable).
 *
 * One Program per run, built only from the files that hold a candidate plus what they import
 * (parsed again: the scan keeps no tree): the syntactic pass picks the
 * candidates, so the checker is asked about a few hundred nodes, not the whole workspace. No
 * default library and no node_modules: the contracts compared are the workspace's own, and a
 * type from outside (Promise, a third-party class) is compared as written.
 */
export interface TypePassInput {
  registry: Registry;
  workspace: WorkspaceIndex;
  /** Every scanned file's path: one is parsed again only if it holds a candidate or a candidate's file imports it. */
  known: ReadonlySet<string>;
  /** Parses a scanned file again (the closure of the candidates' imports). */
  parse(path: string): ParsedFile;
  /** exportedAliasNames over every scanned file, gathered during the scan. */
  aliasNames: ReadonlySet<string>;
  shapes: readonly Shape[];
  /** typeCandidates of every scanned file, in the files' order. */
  candidates: readonly TypeCandidates[];
  /** Violations found so far: a pair the syntactic pass reported is not reported twice. */
  found: readonly Violation[];
}

/**
 * A construction or an `.env` read whose root is an imported name: it reaches a factory-only
 * class or `process` when the name is bound in another module (`via` is then one of the
 * scan's alias names, or null when any binding of it does: a default or namespace import, the
 * process module). Or an exported module-level value made by calling or constructing an
 * imported name (`instance`, `via` null): a singleton when the checker finds it an instance of
 * a registry class. Positions, not nodes: the scan keeps no tree it does not need.
 */
export interface RouteCandidate {
  path: string;
  /** `port`: an endpoint whose port is a name imported from a workspace module and named as a port (`${host}:${DEFAULT_PORT}`): a literal port when the checker finds it a number constant. */
  kind: 'construct' | 'env' | 'instance' | 'port';
  syntaxKind: ts.SyntaxKind;
  start: number;
  end: number;
  via: string | null;
}

/** What one file offers the type pass, found without the checker (plain data). */
export interface TypeCandidates {
  /** Top-level objects that may implement a contract (objectShapes). */
  objects: Shape[];
  routes: RouteCandidate[];
  /**
   * The file's path when it changes what other files' types are, so the Program holds it
   * whatever the candidates: a script (its declarations, and a JavaScript script's JSDoc
   * typedefs, are global), `export as namespace`, a `declare global` or a `declare module '…'`.
   */
  ambient: string | undefined;
  /**
   * Whether a `declare module '…'` block of the file declares an interface or a class: it adds
   * members to the module's type that its export of that name stands for (under any local name).
   */
  augments: boolean;
}

/** Extensions a relative specifier may leave out, and the TypeScript files a `.js` specifier stands for. */
const RESOLVE_SUFFIXES = ['', '.ts', '.tsx', '.mts', '.cts', '.d.ts', '.js', '.jsx', '.mjs', '.cjs', '/index.ts', '/index.tsx', '/index.js', '/index.mjs'];

/** The scanned file a relative specifier names, if any. */
export function resolveRelative(fromPath: string, specifier: string, known: { has(path: string): boolean }): string | undefined {
  const base = resolve(dirname(fromPath), specifier);
  const stem = base.replace(/\.[cm]?jsx?$/, '');
  for (const suffix of RESOLVE_SUFFIXES) if (known.has(base + suffix)) return base + suffix;
  for (const suffix of RESOLVE_SUFFIXES.slice(1)) if (known.has(stem + suffix)) return stem + suffix;
  return undefined;
}

const TYPE_KINDS: ReadonlySet<string> = new Set(['class', 'interface', 'type']);

/** The contracts a copy or an implementation is compared with: canonical classes, interfaces and object types in their owner, large enough to copy. */
function contractsOf(shapes: readonly Shape[], registry: Registry): Shape[] {
  const minMembers = registry.data.check.structuralMinMembers;
  return shapes.filter((shape) => {
    const match = registry.matchName(shape.name);
    return TYPE_KINDS.has(shape.kind) && match !== undefined && match.role === 'canonical' && shape.packageName === match.concept.owner && shape.members.size >= minMembers;
  });
}

/**
 * Whether a shape (a type or an object) may copy or implement one of `contracts`: the type pass
 * asks the checker about these only. `augmented`: some file augments a workspace module's
 * interface or class, so the profile of any interface or class may miss members.
 */
function isCopyCandidate(shape: Shape, contracts: readonly Shape[], registry: Registry, augmented: boolean): boolean {
  const threshold = registry.data.check.nearCopyThreshold;
  const minMembers = registry.data.check.structuralMinMembers;
  const profileOf = (candidate: Shape): MemberProfile | undefined => (augmented && (candidate.kind === 'interface' || candidate.kind === 'class') ? undefined : candidate.profile);
  const profile = profileOf(shape);
  return (
    shape.namesOnly !== true &&
    (TYPE_KINDS.has(shape.kind) || shape.kind === 'object') &&
    shape.members.size >= minMembers &&
    registry.matchName(shape.name)?.role !== 'canonical' &&
    contracts.some((contract) => {
      if (contract.packageName === shape.packageName || shape.members.size < Math.floor(threshold * contract.members.size)) return false;
      const bound = profileOf(contract);
      return profile === undefined || bound === undefined || mayMatch(profile, bound, contractKind(contract), threshold, minMembers);
    })
  );
}

export function typePass(input: TypePassInput): Violation[] {
  const { registry, shapes } = input;
  const threshold = registry.data.check.nearCopyThreshold;
  const minMembers = registry.data.check.structuralMinMembers;

  // --- candidates, chosen without the checker
  const contracts = contractsOf(shapes, registry);
  const augmented = input.candidates.some((candidates) => candidates.augments);
  const copies = [...shapes, ...input.candidates.flatMap((candidates) => candidates.objects)].filter((shape) => isCopyCandidate(shape, contracts, registry, augmented));
  const aliasNames = input.aliasNames;
  const routes = input.candidates.flatMap((candidates) => candidates.routes).filter((route) => route.via === null || aliasNames.has(route.via));
  if ((contracts.length === 0 || copies.length === 0) && routes.length === 0) return [];

  // --- one Program over the candidates' files and what they import
  const roots = new Set<string>();
  const pathOf = (rel: string): string => resolve(registry.root, rel);
  for (const shape of [...contracts, ...copies]) roots.add(pathOf(shape.location.file));
  for (const route of routes) roots.add(route.path);
  // whatever the candidates, every file sees the same globals and augmentations
  for (const { ambient } of input.candidates) if (ambient !== undefined) roots.add(ambient);
  const parsedAgain = new Map<string, ParsedFile>();
  const load = (path: string): ParsedFile | undefined => {
    const kept = parsedAgain.get(path);
    if (kept !== undefined || !input.known.has(path)) return kept;
    const file = input.parse(path);
    parsedAgain.set(path, file);
    return file;
  };
  const program = createProgram([...roots], input, load);
  const checker = program.getTypeChecker();

  const violations: Violation[] = [];
  const reported = new Set(input.found.filter((v) => v.category === 'near-copies' || v.category === 'structural-duplicates').map((v) => v.subject));
  violations.push(...contractFindings(checker, program, registry, contracts, copies, reported, threshold, minMembers));

  const relatedFile = (declaration: ts.Node): ParsedFile | undefined => load(declaration.getSourceFile().fileName);
  const singletonsFound = new Set(input.found.filter((v) => v.category === 'no-module-singletons').map((v) => `${v.file}|${v.subject}`));
  for (const route of routes) {
    const file = load(route.path);
    const node = file?.nodes.find((candidate) => candidate.kind === route.syntaxKind && candidate.end === route.end && candidate.getStart(file.sourceFile) === route.start);
    if (file === undefined || node === undefined) continue;
    if (route.kind === 'port') {
      // the imported names' values, where the checker finds each a number constant (`export const DEFAULT_PORT = 8080`)
      const names: string[] = [];
      const value = endpointPort(node, file.sourceFile, (expression) => {
        const type = checker.getTypeAtLocation(expression);
        if (!type.isNumberLiteral()) return SUBSTITUTION;
        names.push(expression.getText(file.sourceFile));
        return String(type.value);
      });
      if (value === undefined || names.length === 0) continue;
      const location = locationOf(file, node.getStart(file.sourceFile), node.getEnd());
      const configPackage = registry.configPackage ?? 'the config package';
      violations.push({
        ...location,
        category: 'cross-module-bypasses',
        message: `endpoint ${value} takes a literal port from ${names.join(', ')} (a constant of another module): take the endpoint from the configuration (${configPackage})`,
        hint: registry.ruleHint('no-hardcoded-config'),
        subject: value,
        key: violationKey('cross-module-bypasses', location.file, value),
        fixable: false,
        baselined: false,
        related: [],
      });
    } else if (route.kind === 'instance') {
      const made = instanceOf(checker, node);
      const match = made?.name === undefined ? undefined : registry.matchName(made.name.text);
      const declared = made === undefined ? undefined : relatedFile(made);
      if (made?.name === undefined || match?.role !== 'canonical' || match.concept.kind !== 'class' || declared?.context.pkg?.name !== match.concept.owner) continue;
      const name = ts.isIdentifier(node) ? node.text : 'default';
      const location = locationOf(file, node.getStart(file.sourceFile), node.getEnd());
      // the per-file rule found it already (a memoized instance)
      if (singletonsFound.has(`${location.file}|${name}`)) continue;
      violations.push({
        ...location,
        category: 'cross-module-singletons',
        message: `exported ${name} is one instance of ${made.name.text} (owned by ${match.concept.owner}) shared by every importer: the type checker finds it made through another module`,
        hint: registry.ruleHint('no-module-singletons'),
        subject: name,
        key: violationKey('cross-module-singletons', location.file, name),
        fixable: false,
        baselined: false,
        related: [{ ...locationOf(declared, made.getStart(declared.sourceFile), made.getEnd()), message: `class ${made.name.text}` }],
      });
    } else if (route.kind === 'construct') {
      const declaration = classOf(checker, node as ts.Expression);
      if (declaration?.name === undefined) continue;
      const concept = registry.factoryOnly(declaration.name.text);
      const owner = relatedFile(declaration)?.context.pkg?.name;
      if (concept === undefined || owner !== concept.owner || file.context.pkg?.name === concept.owner) continue;
      violations.push(routedViolation(file, node, concept, `${node.getText(file.sourceFile)} is factory-only ${declaration.name.text} (bound in another module): get it from ${concept.factory ?? 'its factory'} ('${registry.entryOf(concept)}'), never with new`, concept.fix ?? `use ${concept.factory ?? 'the factory'} from '${registry.entryOf(concept)}'`, declaration, relatedFile(declaration)));
    } else if (ts.isPropertyAccessExpression(node) && reachesProcess(checker, node.expression, 0)) {
      const hint = registry.ruleHint('no-hardcoded-config');
      violations.push(routedViolation(file, node, undefined, `${node.getText(file.sourceFile)} is process.env reached through a name bound in another module: process.env is read only by ${registry.configPackage ?? 'the config package'}`, hint, undefined, undefined));
    }
  }
  return violations;
}

function routedViolation(file: ParsedFile, node: ts.Node, concept: Concept | undefined, message: string, hint: string, declaration: ts.Node | undefined, declared: ParsedFile | undefined): Violation {
  const location = locationOf(file, node.getStart(file.sourceFile), node.getEnd());
  const subject = concept?.name ?? 'process.env';
  const related = declaration !== undefined && declared !== undefined ? [{ ...locationOf(declared, declaration.getStart(declared.sourceFile), declaration.getEnd()), message: 'the class it constructs' }] : [];
  return { ...location, category: 'cross-module-bypasses', message, hint, subject, key: violationKey('cross-module-bypasses', location.file, subject), fixable: false, baselined: false, related: related.slice(0, 1) };
}

/**
 * What a file offers the type pass, in the scan: its object shapes, its constructions and `.env`
 * reads of imported names, and what it declares for every file (ambientDeclarations).
 */
export function typeCandidates(file: ParsedFile, registry: Registry, workspace: WorkspaceIndex): TypeCandidates {
  return { objects: objectShapes(file, registry.data.check.structuralMinMembers), routes: routeCandidates(file, registry, workspace), ...ambientDeclarations(file, workspace) };
}

/** A JavaScript file that calls `require` or assigns `module.exports`/`exports.x` is a CommonJS module, not a script (as TypeScript's binder decides). */
function isCommonJs(file: ParsedFile): boolean {
  return file.nodes.some((node) => {
    if (ts.isCallExpression(node)) {
      const [specifier, ...rest] = node.arguments;
      return ts.isIdentifier(node.expression) && node.expression.text === 'require' && specifier !== undefined && rest.length === 0 && ts.isStringLiteralLike(specifier);
    }
    if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isPropertyAccessExpression(node.left)) return false;
    const target = node.left.expression;
    return ts.isIdentifier(target) ? target.text === 'exports' || (target.text === 'module' && node.left.name.text === 'exports') : ts.isPropertyAccessExpression(target) && ts.isIdentifier(target.expression) && target.expression.text === 'module' && target.name.text === 'exports';
  });
}

/** JSDoc that declares a type: in a JavaScript script, global like a type alias. */
const JSDOC_TYPE_DECLARATION = /@(typedef|callback)\b/;

function declaresGlobal(statement: ts.Statement): boolean {
  return (
    ts.isVariableStatement(statement) ||
    ts.isFunctionDeclaration(statement) ||
    ts.isClassDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isEnumDeclaration(statement) ||
    ts.isModuleDeclaration(statement) ||
    ts.isImportEqualsDeclaration(statement)
  );
}

/**
 * A script's declarations (a test's `describe(…)` declares nothing), `declare global`, and a
 * module's `declare module '…'` of a module the Program can resolve (a relative path or a
 * workspace package: augmenting a package it cannot see changes nothing there).
 */
function ambientDeclarations(file: ParsedFile, workspace: WorkspaceIndex): Pick<TypeCandidates, 'ambient' | 'augments'> {
  const { sourceFile } = file;
  const javascript = isJavaScriptPath(sourceFile.fileName);
  const script = !ts.isExternalModule(sourceFile) && !(javascript && isCommonJs(file));
  let ambient = script && (sourceFile.statements.some(declaresGlobal) || (javascript && JSDOC_TYPE_DECLARATION.test(sourceFile.text)));
  let augments = false;
  for (const statement of sourceFile.statements) {
    // `export as namespace X`: the module's exports are global as X
    if (ts.isNamespaceExportDeclaration(statement)) ambient = true;
    if (!ts.isModuleDeclaration(statement)) continue;
    const global = (statement.flags & ts.NodeFlags.GlobalAugmentation) !== 0;
    const name = ts.isStringLiteral(statement.name) ? statement.name.text : undefined;
    if (!global && (name === undefined || !(name.startsWith('.') || workspace.splitSpecifier(name) !== undefined))) continue;
    ambient = true;
    if (global || statement.body === undefined || !ts.isModuleBlock(statement.body)) continue;
    if (statement.body.statements.some((declared) => ts.isInterfaceDeclaration(declared) || ts.isClassDeclaration(declared))) augments = true;
  }
  return { ambient: ambient ? file.context.path : undefined, augments };
}

function routeCandidates(file: ParsedFile, registry: Registry, workspace: WorkspaceIndex): RouteCandidate[] {
  const hasFactories = registry.data.concepts.some((concept) => concept.factory !== undefined);
  const hasClasses = registry.data.concepts.some((concept) => concept.kind === 'class');
  const readsOwned = registry.configPackage !== undefined;
  // every route starts from an imported name; only a file that mentions a construction or `.env` is walked for those
  if (file.context.excluded) return [];
  const imported = importedBindings(file.sourceFile);
  if (imported.size === 0) return [];
  const mentionsRoute = (hasFactories || readsOwned) && /\bnew\b|Reflect\.construct|\.env\b/.test(file.sourceFile.text);
  const routes: RouteCandidate[] = [];
  // a name another module may bind to something else: `import { Ctor } from './ctor'` where ctor.ts says `export const Ctor = X`
  const route = (expression: ts.Expression, node: ts.Node, kind: RouteCandidate['kind']): void => {
    const target = unwrap(expression);
    const root = ts.isPropertyAccessExpression(target) && ts.isIdentifier(target.expression) ? target.expression : target;
    if (!ts.isIdentifier(root)) return;
    const binding = imported.get(root.text);
    if (binding === undefined) return;
    // the process module imported whole (`import proc from 'process'`) is no-hardcoded-config's, per file
    if (kind === 'env' && PROCESS_MODULES.has(binding.module)) return;
    const name = root === target ? binding.name : (target as ts.PropertyAccessExpression).name.text;
    const via = PROCESS_MODULES.has(binding.module) || name === 'default' || name === '*' ? null : name;
    routes.push({ path: file.context.path, kind, syntaxKind: node.kind, start: node.getStart(file.sourceFile), end: node.end, via });
  };
  if (hasClasses && file.context.role === 'source') {
    for (const statement of file.sourceFile.statements) {
      const exported: { node: ts.Node; value: ts.Expression }[] = [];
      if (ts.isExportAssignment(statement) && !statement.isExportEquals) exported.push({ node: statement.expression, value: statement.expression });
      else if (ts.isVariableStatement(statement) && statement.declarationList.flags & ts.NodeFlags.Const && hasModifier(statement, ts.SyntaxKind.ExportKeyword)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name) && declaration.initializer !== undefined) exported.push({ node: declaration.name, value: declaration.initializer });
        }
      }
      for (const { node, value } of exported) {
        const made = madeFrom(value);
        // `export const x = new X()` of a registry class by its own name is no-module-singletons' (per file)
        if (made === undefined || (ts.isIdentifier(node) && ts.isNewExpression(made.call) && ts.isIdentifier(made.callee) && registry.matchName(made.callee.text)?.concept.kind === 'class')) continue;
        // a call into a package outside the workspace returns what this Program cannot see (and zod's `z.object(…)` is in every other module)
        const root = rootName(made.callee);
        const module = root === undefined ? undefined : imported.get(root.text)?.module;
        if (module !== undefined && (module.startsWith('.') || workspace.splitSpecifier(module) !== undefined)) routes.push({ path: file.context.path, kind: 'instance', syntaxKind: node.kind, start: node.getStart(file.sourceFile), end: node.end, via: null });
      }
    }
  }
  const importsPortName = [...imported].some(([local, binding]) => isPortName(local) || binding.name === '*');
  if (file.context.role === 'source' && file.context.pkg?.name !== registry.configPackage && importsPortName) {
    // a port name imported from a workspace module, where only its value can make the endpoint's port literal
    const importedPort = (expression: ts.Expression): boolean => {
      const value = unwrap(expression);
      const name = ts.isIdentifier(value) ? value : ts.isPropertyAccessExpression(value) ? value.name : undefined;
      const root = rootName(value);
      const module = root === undefined ? undefined : imported.get(root.text)?.module;
      return name !== undefined && isPortName(name.text) && module !== undefined && (module.startsWith('.') || workspace.splitSpecifier(module) !== undefined);
    };
    for (const node of file.nodes) {
      const port = endpointPort(node, file.sourceFile, (expression) => (importedPort(expression) ? '1000' : SUBSTITUTION));
      if (port !== undefined && endpointPort(node, file.sourceFile, () => SUBSTITUTION) === undefined) {
        routes.push({ path: file.context.path, kind: 'port', syntaxKind: node.kind, start: node.getStart(file.sourceFile), end: node.end, via: null });
      }
    }
  }
  if (!mentionsRoute) return routes;
  for (const node of file.nodes) {
    if (hasFactories && ts.isNewExpression(node)) route(node.expression, node.expression, 'construct');
    else if (hasFactories && ts.isCallExpression(node) && isReflectConstruct(node) && node.arguments[0] !== undefined) route(node.arguments[0], node.arguments[0], 'construct');
    else if (readsOwned && file.context.role === 'source' && file.context.pkg?.name !== registry.configPackage && ts.isPropertyAccessExpression(node) && node.name.text === 'env') route(node.expression, node, 'env');
  }
  return routes;
}

/**
 * Top-level `const x = { … }` objects with methods or computed values (shapesOf keeps only
 * literal records, which copy enums), the objects such a const holds by property (`drivers.memory`
 * in `const drivers = { memory: { … } }`), and the object a top-level function or a method of a
 * top-level class returns (`function makeDriver() { return { … } }`, `const make = () => ({ … })`,
 * `static create() { return { … } }`; named `makeDriver()`, `DriverFactory.create()`): an object
 * can implement a contract as well as a class. Every one but the const itself is found again by
 * its position (declarationOf).
 */
function objectShapes(file: ParsedFile, minMembers: number): Shape[] {
  const shapes: Shape[] = [];
  const merged = mergedNames(file.sourceFile);
  const add = (name: string, display: string, value: ts.ObjectLiteralExpression, written: ts.Expression, at: ts.Node, open: boolean): void => {
    if (value.properties.length < minMembers) return;
    // literal records (every value a string or number) are shapesOf's, compared with enums
    if (value.properties.every((property) => ts.isPropertyAssignment(property) && (ts.isStringLiteralLike(unwrap(property.initializer)) || ts.isNumericLiteral(unwrap(property.initializer))))) return;
    const members = value.properties.flatMap((property) => (property.name !== undefined && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? [property.name.text] : []));
    shapes.push({
      name,
      display,
      kind: 'object',
      packageName: file.context.pkg?.name ?? '',
      location: locationOf(file, at.getStart(file.sourceFile), at.getEnd()),
      heritage: new Set(),
      members: new Set(members.map((member) => member.toLowerCase().replace(/[^a-z0-9=]/g, ''))),
      signature: [...members].sort().join(';'),
      // `{…} as T` has the type T, which the literal does not bound
      ...(unasserted(written) === undefined ? {} : { profile: memberProfile(value, open) }),
    });
  };
  const isOpen = (name: string): boolean => merged === undefined || merged.has(name);
  for (const statement of file.sourceFile.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
      const returned = returnedObject(statement);
      if (returned !== undefined) add(`${statement.name.text}()`, `returned by ${statement.name.text}()`, returned.value, returned.written, returned.value, isOpen(statement.name.text));
      continue;
    }
    if (ts.isClassDeclaration(statement) && statement.name !== undefined) {
      // static methods only: a factory (`static create()`), where an instance method returning a literal is usually a view of the instance (`toJSON()`)
      for (const member of statement.members) {
        if (!ts.isMethodDeclaration(member) || !ts.isIdentifier(member.name) || !hasModifier(member, ts.SyntaxKind.StaticKeyword)) continue;
        const returned = returnedObject(member);
        const name = `${statement.name.text}.${member.name.text}()`;
        if (returned !== undefined) add(name, `returned by ${name}`, returned.value, returned.written, returned.value, true);
      }
      continue;
    }
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const value = declaration.initializer === undefined ? undefined : unwrap(declaration.initializer);
      if (!ts.isIdentifier(declaration.name) || value === undefined || declaration.initializer === undefined) continue;
      const name = declaration.name.text;
      if (ts.isObjectLiteralExpression(value)) {
        add(name, name, value, declaration.initializer, declaration.name, isOpen(name));
        for (const property of value.properties) {
          const held = ts.isPropertyAssignment(property) && ts.isIdentifier(property.name) ? unwrap(property.initializer) : undefined;
          if (held !== undefined && ts.isObjectLiteralExpression(held)) add(`${name}.${(property.name as ts.Identifier).text}`, `${name}.${(property.name as ts.Identifier).text}`, held, (property as ts.PropertyAssignment).initializer, held, true);
        }
      } else if (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) {
        const returned = returnedObject(value);
        if (returned !== undefined) add(`${name}()`, `returned by ${name}()`, returned.value, returned.written, returned.value, isOpen(name));
      }
    }
  }
  return shapes;
}

/**
 * The object literal a function returns: its arrow body, or the first `return { … }` of its own
 * body, looked for among its statements (blocks, branches, loops, try), never inside expressions,
 * so a nested function's return is not its own and the walk stays short.
 */
function returnedObject(fn: ts.FunctionLikeDeclaration): { value: ts.ObjectLiteralExpression; written: ts.Expression } | undefined {
  const body = fn.body;
  if (body === undefined) return undefined;
  if (!ts.isBlock(body)) {
    const value = unwrap(body);
    return ts.isObjectLiteralExpression(value) ? { value, written: body } : undefined;
  }
  const inStatements = (statements: readonly ts.Statement[]): { value: ts.ObjectLiteralExpression; written: ts.Expression } | undefined => {
    for (const statement of statements) {
      const found = inStatement(statement);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const inStatement = (statement: ts.Statement | undefined): { value: ts.ObjectLiteralExpression; written: ts.Expression } | undefined => {
    if (statement === undefined) return undefined;
    if (ts.isReturnStatement(statement)) {
      const value = statement.expression === undefined ? undefined : unwrap(statement.expression);
      return value !== undefined && statement.expression !== undefined && ts.isObjectLiteralExpression(value) ? { value, written: statement.expression } : undefined;
    }
    if (ts.isBlock(statement)) return inStatements(statement.statements);
    if (ts.isIfStatement(statement)) return inStatement(statement.thenStatement) ?? inStatement(statement.elseStatement);
    if (ts.isTryStatement(statement)) return inStatements(statement.tryBlock.statements) ?? inStatements(statement.catchClause?.block.statements ?? []) ?? inStatements(statement.finallyBlock?.statements ?? []);
    if (ts.isSwitchStatement(statement)) return statement.caseBlock.clauses.reduce<ReturnType<typeof inStatement>>((found, clause) => found ?? inStatements(clause.statements), undefined);
    if (ts.isIterationStatement(statement, false) || ts.isLabeledStatement(statement)) return inStatement(statement.statement);
    return undefined;
  };
  return inStatements(body.statements);
}

/** Names some module binds to another value (`export const Y = X`, `export { X as Y }`, `export default X`): the only routes an import can take to a class or to `process` under a name the file cannot see. */
export function collectAliasNames(file: ParsedFile, names: Set<string>): void {
  {
    for (const statement of file.sourceFile.statements) {
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          const value = declaration.initializer === undefined ? undefined : unwrap(declaration.initializer);
          if (ts.isIdentifier(declaration.name) && value !== undefined && (ts.isIdentifier(value) || ts.isPropertyAccessExpression(value) || ts.isConditionalExpression(value))) names.add(declaration.name.text);
        }
      } else if (ts.isExportDeclaration(statement) && statement.exportClause !== undefined && ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements) if (element.propertyName !== undefined) names.add(element.name.text);
      }
    }
  }
}

/** Local name → the module and the name it imports (`default`, `*` for a namespace). */
function importedBindings(sourceFile: ts.SourceFile): Map<string, { module: string; name: string }> {
  const bindings = new Map<string, { module: string; name: string }>();
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || statement.importClause === undefined) continue;
    const module = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    if (clause.name !== undefined) bindings.set(clause.name.text, { module, name: 'default' });
    const named = clause.namedBindings;
    if (named !== undefined && ts.isNamespaceImport(named)) bindings.set(named.name.text, { module, name: '*' });
    else if (named !== undefined) for (const element of named.elements) bindings.set(element.name.text, { module, name: (element.propertyName ?? element.name).text });
  }
  return bindings;
}

/**
 * The literal port an endpoint puts after a substituted host (a template or a `+` chain) or
 * beside a host (an object literal), with `substitute` giving each non-literal part's text.
 */
function endpointPort(node: ts.Node, sourceFile: ts.SourceFile, substitute: (expression: ts.Expression) => string): string | undefined {
  if (ts.isTemplateExpression(node)) return literalPortAfterHost(node.head.text + node.templateSpans.map((span) => substitute(span.expression) + span.literal.text).join(''));
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && !ts.isBinaryExpression(node.parent)) {
    const text = concatenationText(node, substitute);
    return text === undefined ? undefined : literalPortAfterHost(text);
  }
  if (ts.isObjectLiteralExpression(node)) {
    const port = literalPortBesideHost(node, sourceFile, substitute);
    return port === undefined ? undefined : `port ${port.value}`;
  }
  return undefined;
}

/** The call or construction that makes a value (through `await` and parentheses), and what it calls: the class of `Reflect.construct(X, …)`. */
function madeFrom(value: ts.Expression): { call: ts.CallExpression | ts.NewExpression; callee: ts.Expression } | undefined {
  let made = unwrap(value);
  if (ts.isAwaitExpression(made)) made = unwrap(made.expression);
  if (ts.isNewExpression(made)) return { call: made, callee: unwrap(made.expression) };
  if (!ts.isCallExpression(made)) return undefined;
  const constructed = isReflectConstruct(made) ? made.arguments[0] : undefined;
  return { call: made, callee: unwrap(constructed ?? made.expression) };
}

/** The identifier an expression starts from (`core.make` → core). */
function rootName(expression: ts.Expression): ts.Identifier | undefined {
  let current = unwrap(expression);
  while (ts.isPropertyAccessExpression(current) || ts.isCallExpression(current) || ts.isElementAccessExpression(current)) current = unwrap(current.expression);
  return ts.isIdentifier(current) ? current : undefined;
}

/** `Reflect.construct(X, …)`, also `Reflect['construct']` (factory-only's reading of reflective calls). */
function isReflectConstruct(node: ts.CallExpression): boolean {
  return reflectiveTarget(node)?.route === 'Reflect.construct';
}

/**
 * The class whose instance an exported name (or a default export's expression) holds: the class
 * constructed (`new`, `Reflect.construct`, through aliases), else the class of the value's type.
 */
function instanceOf(checker: ts.TypeChecker, node: ts.Node): ts.ClassLikeDeclaration | undefined {
  const value = ts.isIdentifier(node) && ts.isVariableDeclaration(node.parent) ? node.parent.initializer : ts.isExpression(node) ? node : undefined;
  const made = value === undefined ? undefined : madeFrom(value);
  if (made !== undefined && (ts.isNewExpression(made.call) || made.callee !== unwrap(made.call.expression))) return classOf(checker, made.callee);
  let type = checker.getTypeAtLocation(node);
  // without the default library `Promise` is unknown: `await f()` is what f's written `Promise<T>` holds
  if (made !== undefined && value !== undefined && ts.isAwaitExpression(unwrap(value))) {
    const written = checker.getResolvedSignature(made.call)?.getDeclaration()?.type;
    const held = written !== undefined && ts.isTypeReferenceNode(written) && ts.isIdentifier(written.typeName) && /^(Promise|PromiseLike)$/.test(written.typeName.text) ? written.typeArguments?.[0] : undefined;
    if (held !== undefined) type = checker.getTypeFromTypeNode(held);
  }
  // a class itself (`typeof X`, something that can be constructed) is no instance of it
  if (type.getConstructSignatures().length > 0) return undefined;
  const declarations = type.getSymbol()?.declarations ?? [];
  return declarations.find((declaration): declaration is ts.ClassDeclaration => ts.isClassDeclaration(declaration));
}

/** The class an expression evaluates to, through imports, re-exports, const aliases and declared types (`typeof X`). */
function classOf(checker: ts.TypeChecker, expression: ts.Expression): ts.ClassLikeDeclaration | undefined {
  let current: ts.Expression = unwrap(expression);
  for (let depth = 0; depth < 8; depth += 1) {
    let symbol = checker.getSymbolAtLocation(current);
    if (symbol !== undefined && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    if (declaration === undefined) break;
    if (ts.isClassLike(declaration)) return declaration;
    if (ts.isExportAssignment(declaration)) {
      current = unwrap(declaration.expression);
      continue;
    }
    if (ts.isVariableDeclaration(declaration) && declaration.initializer !== undefined && declaration.type === undefined) {
      current = unwrap(declaration.initializer);
      continue;
    }
    break;
  }
  // a variable typed `typeof X`, or a call that returns the class: its type's symbol is the class
  const typeSymbol = checker.getTypeAtLocation(expression).getSymbol();
  const declaration = typeSymbol !== undefined && typeSymbol.flags & ts.SymbolFlags.Class ? typeSymbol.valueDeclaration : undefined;
  return declaration !== undefined && ts.isClassLike(declaration) ? declaration : undefined;
}

/** Whether an expression is `process` (or `globalThis.process`), through imports and const aliases in any module. */
function reachesProcess(checker: ts.TypeChecker, expression: ts.Expression, depth: number): boolean {
  const target = unwrap(expression);
  if (depth > 8) return false;
  if (ts.isIdentifier(target) && target.text === 'process' && checker.getSymbolAtLocation(target) === undefined) return true;
  if (ts.isPropertyAccessExpression(target) && target.name.text === 'process' && ts.isIdentifier(target.expression) && ['globalThis', 'global'].includes(target.expression.text)) return true;
  let symbol = checker.getSymbolAtLocation(target);
  const direct = symbol?.declarations?.[0];
  // `import process from 'node:process'`, `import * as proc from 'process'`
  if (direct !== undefined && (ts.isImportClause(direct) || ts.isNamespaceImport(direct))) {
    const declaration = ts.isImportClause(direct) ? direct.parent : direct.parent.parent;
    if (ts.isStringLiteral(declaration.moduleSpecifier) && PROCESS_MODULES.has(declaration.moduleSpecifier.text)) return true;
  }
  if (symbol !== undefined && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  if (declaration === undefined) return false;
  if (ts.isVariableDeclaration(declaration) && declaration.initializer !== undefined) return reachesProcess(checker, declaration.initializer, depth + 1);
  if (ts.isExportAssignment(declaration)) return reachesProcess(checker, declaration.expression, depth + 1);
  return false;
}

/** The Program over `roots` and what they import among the scanned files. */
function createProgram(roots: string[], input: TypePassInput, load: (path: string) => ParsedFile | undefined): ts.Program {
  const { workspace } = input;
  const options: ts.CompilerOptions = {
    noLib: true,
    types: [],
    allowJs: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.Latest,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    jsx: ts.JsxEmit.Preserve,
    allowArbitraryExtensions: true,
  };
  const host = ts.createCompilerHost(options, true);
  host.getSourceFile = (fileName) => load(fileName)?.sourceFile;
  host.fileExists = (fileName) => input.known.has(fileName);
  host.readFile = () => undefined;
  const packageEntry = (specifier: string): string | undefined => {
    const split = workspace.splitSpecifier(specifier);
    if (split === undefined) return undefined;
    const sub = split.subpath === '.' ? 'index' : split.subpath.slice(2);
    for (const folder of ['src/', '', 'lib/']) {
      const hit = resolveRelative(`${split.pkg.dir}/x`, `./${folder}${sub}`, input.known);
      if (hit !== undefined) return hit;
    }
    return undefined;
  };
  host.resolveModuleNameLiterals = (literals, containingFile) =>
    literals.map((literal) => {
      const target = literal.text.startsWith('.') ? resolveRelative(containingFile, literal.text, input.known) : packageEntry(literal.text);
      if (target === undefined) return { resolvedModule: undefined };
      const extension = /\.d\.ts$/.test(target) ? ts.Extension.Dts : /\.tsx$/.test(target) ? ts.Extension.Tsx : /\.mts$/.test(target) ? ts.Extension.Mts : /\.cts$/.test(target) ? ts.Extension.Cts : /\.jsx$/.test(target) ? ts.Extension.Jsx : /\.mjs$/.test(target) ? ts.Extension.Mjs : /\.cjs$/.test(target) ? ts.Extension.Cjs : /\.js$/.test(target) ? ts.Extension.Js : ts.Extension.Ts;
      return { resolvedModule: { resolvedFileName: target, extension, isExternalLibraryImport: false } };
    });
  return ts.createProgram({ rootNames: roots, options, host });
}

interface TypedShape {
  shape: Shape;
  type: ts.Type;
  declaration: ts.Node;
  /** Member type signatures (names left out), with how often each occurs. */
  signatures: Map<string, number>;
}

/**
 * Contracts satisfied by classes, objects and types outside the owner (not listed among the
 * concept's implementations), and copies whose member types match a contract's under other
 * names (multiset Jaccard of the member signatures, from the registry's threshold).
 */
function contractFindings(
  checker: ts.TypeChecker,
  program: ts.Program,
  registry: Registry,
  contracts: readonly Shape[],
  copies: readonly Shape[],
  reported: ReadonlySet<string>,
  threshold: number,
  minMembers: number,
): Violation[] {
  // a copy that refers to the contract where the contract refers to itself (`listener: (cart: CartProtocol) => void`) keeps the same signature
  const contractNames = contracts.map((contract) => contract.name);
  const typed = (shape: Shape): TypedShape | undefined => {
    const sourceFile = program.getSourceFile(resolve(registry.root, shape.location.file));
    const declaration = sourceFile === undefined ? undefined : declarationOf(sourceFile, shape);
    if (declaration === undefined) return undefined;
    const type = typeOfDeclaration(checker, declaration);
    // a type the Program cannot resolve is `any`, which satisfies every contract: nothing can be said about it
    if (type === undefined || type.flags & ts.TypeFlags.Any || checker.getPropertiesOfType(type).length === 0) return undefined;
    return { shape, type, declaration, signatures: memberSignatures(checker, type, declaration, [shape.name, ...contractNames]) };
  };
  const typedContracts = contracts.flatMap((contract) => {
    const entry = typed(contract);
    const match = registry.matchName(contract.name);
    return entry === undefined || match === undefined ? [] : [{ ...entry, match }];
  });
  const violations: Violation[] = [];
  for (const copy of copies) {
    const candidates = typedContracts.filter((contract) => contract.shape.packageName !== copy.packageName && !copy.heritage.has(contract.shape.name));
    if (candidates.length === 0) continue;
    const entry = typed(copy);
    if (entry === undefined) continue;
    let best: { contract: (typeof typedContracts)[number]; similarity: number; shared: number; satisfies: boolean } | undefined;
    for (const contract of candidates) {
      const subject = `${copy.name}~${contract.shape.name}`;
      if (reported.has(subject) || isListedImplementation(contract.match, copy)) continue;
      // a class on a base that already satisfies the contract: the base is the one to report
      const satisfies = contractKind(contract.shape) && requiredMembers(checker, contract.type) >= minMembers && checker.isTypeAssignableTo(entry.type, contract.type) && !baseSatisfies(checker, entry.declaration, contract.type);
      const { similarity, shared } = multisetSimilarity(entry.signatures, contract.signatures);
      const renamed = similarity >= threshold && shared >= minMembers && distinctive(entry.signatures, contract.signatures) >= 2 && nameSimilarity(copy, contract.shape) < threshold;
      if (!satisfies && !renamed) continue;
      if (best === undefined || Number(satisfies) > Number(best.satisfies) || similarity > best.similarity) best = { contract, similarity, shared, satisfies };
    }
    if (best === undefined) continue;
    const { contract, similarity, shared, satisfies } = best;
    const concept = contract.match.concept;
    const percent = Math.round(similarity * 100);
    const display = `${copy.kind === 'object' ? 'object' : copy.kind} ${copy.display}`;
    const message = satisfies
      ? `${display} structurally satisfies ${contract.shape.kind} ${contract.shape.name} of ${concept.owner} (the type checker finds every member it requires) without naming it: ` +
        `a second implementation outside the registry's list of ${contract.shape.name}'s implementations`
      : `${display} has the member types of ${contract.shape.kind} ${contract.shape.name} of ${concept.owner} under other names ` +
        `(${percent}% of the member signatures, ${shared} shared; the registry's threshold is ${Math.round(threshold * 100)}%): it is a renamed copy of ${contract.shape.name}`;
    const entryPoint = registry.entryOf(concept);
    const subject = `${copy.name}~${contract.shape.name}`;
    violations.push({
      ...copy.location,
      category: 'near-copies',
      message,
      hint: concept.fix ?? (satisfies ? `implement ${contract.shape.name} from '${entryPoint}' by name and list the class under its implementations (with a reason), or use the canonical one` : `use ${contract.shape.name} from '${entryPoint}'`),
      subject,
      key: violationKey('near-copies', copy.location.file, subject),
      fixable: false,
      baselined: false,
      related: [{ ...contract.shape.location, message: `${contract.shape.kind} ${contract.shape.name}` }],
    });
  }
  return violations;
}

/** Interfaces and object types are contracts a class can satisfy; a class concept is compared by its member types only. */
function contractKind(shape: Shape): boolean {
  return shape.kind === 'interface' || shape.kind === 'type';
}

/** The node of a kind that starts at `position` (an object literal, a class), descending only into the nodes around it. */
function nodeAt<T extends ts.Node>(sourceFile: ts.SourceFile, position: number, isKind: (node: ts.Node) => node is T): T | undefined {
  let found: T | undefined;
  const visit = (child: ts.Node): void => {
    if (found !== undefined || position < child.pos || position >= child.end) return;
    if (isKind(child) && child.getStart(sourceFile) === position) found = child;
    else ts.forEachChild(child, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return found;
}

function isListedImplementation(match: NameMatch, copy: Shape): boolean {
  // an object or class a function returns is listed by the function's name (`makeCart` for `makeCart()`)
  const name = copy.name.endsWith('()') ? copy.name.slice(0, -2) : copy.name;
  return (match.concept.implementations ?? []).some((listed) => listed.name === name && listed.package === copy.packageName);
}

function declarationOf(sourceFile: ts.SourceFile, shape: Shape): ts.Node | undefined {
  const position = (): number => sourceFile.getPositionOfLineAndCharacter(shape.location.line - 1, shape.location.column - 1);
  // an object a function returns or a const holds (objectShapes): the literal at its location
  if (shape.kind === 'object' && /[.()]/.test(shape.name)) return nodeAt(sourceFile, position(), ts.isObjectLiteralExpression);
  // a class a function returns (shapesOf, `makeCart()`): the class at its location
  if (shape.kind === 'class' && shape.name.endsWith('()')) return nodeAt(sourceFile, position(), ts.isClassLike);
  for (const statement of sourceFile.statements) {
    if ((ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && (statement.name?.text ?? 'default') === shape.name) return statement;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) if (ts.isIdentifier(declaration.name) && declaration.name.text === shape.name) return declaration;
    }
  }
  return undefined;
}

function typeOfDeclaration(checker: ts.TypeChecker, declaration: ts.Node): ts.Type | undefined {
  // the object's own shape, not its annotation: `const X: Record<string, T> = {…}` is annotated with a type this Program may not see
  // (widened, so the literal is not fresh: excess members are what an implementation may have)
  if (ts.isVariableDeclaration(declaration)) {
    return declaration.type === undefined || declaration.initializer === undefined ? checker.getTypeAtLocation(declaration.name) : checker.getWidenedType(checker.getTypeAtLocation(declaration.initializer));
  }
  if (ts.isObjectLiteralExpression(declaration)) return checker.getWidenedType(checker.getTypeAtLocation(declaration));
  // an anonymous class (a default export, a class expression a function returns) has its symbol on its type
  const symbol = ts.isClassLike(declaration) && declaration.name === undefined ? checker.getTypeAtLocation(declaration).getSymbol() : checker.getSymbolAtLocation((declaration as ts.DeclarationStatement).name as ts.Identifier);
  return symbol === undefined ? undefined : checker.getDeclaredTypeOfSymbol(symbol);
}

function requiredMembers(checker: ts.TypeChecker, type: ts.Type): number {
  return checker.getPropertiesOfType(type).filter((property) => !(property.flags & ts.SymbolFlags.Optional)).length;
}

function baseSatisfies(checker: ts.TypeChecker, declaration: ts.Node, contract: ts.Type): boolean {
  if (!ts.isClassLike(declaration)) return false;
  const base = declaration.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
  if (base === undefined) return false;
  const baseType = checker.getTypeAtLocation(base);
  // a base the Program cannot see may supply any member: the class cannot be judged, so it is not reported
  return baseType.flags & ts.TypeFlags.Any || checker.isTypeAssignableTo(baseType, contract) ? true : false;
}

const PRIMITIVE_SIGNATURE = /^\??(string|number|boolean|bigint|symbol|any|unknown|undefined|null|void|never|true|false|"[^"]*"|-?\d[\d.]*)$/;

/** Shared signatures that say something (a method, an object type): two records of strings and numbers share a shape by chance. */
function distinctive(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let count = 0;
  for (const [signature, times] of a) if (!PRIMITIVE_SIGNATURE.test(signature)) count += Math.min(times, b.get(signature) ?? 0);
  return count;
}

function multisetSimilarity(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): { similarity: number; shared: number } {
  let shared = 0;
  let union = 0;
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? 0;
    const y = b.get(key) ?? 0;
    shared += Math.min(x, y);
    union += Math.max(x, y);
  }
  return { similarity: union === 0 ? 0 : shared / union, shared };
}

function nameSimilarity(a: Shape, b: Shape): number {
  let shared = 0;
  for (const member of a.members) if (b.members.has(member)) shared += 1;
  return shared / (a.members.size + b.members.size - shared);
}

/**
 * `this.x = …` among the statements of `at`'s constructor: in JavaScript the checker makes it a
 * member of the class itself, as shapesOf counts it (a `_x` field is internal there too).
 */
function isConstructorField(declaration: ts.Node, at: ts.ClassLikeDeclaration): boolean {
  if (!ts.isBinaryExpression(declaration) || !ts.isPropertyAccessExpression(declaration.left) || declaration.left.expression.kind !== ts.SyntaxKind.ThisKeyword || declaration.left.name.text.startsWith('_')) return false;
  // the statement itself, or the tail of a chain `this.a = this.b = …`
  let statement: ts.Node = declaration.parent;
  while (ts.isBinaryExpression(statement)) statement = statement.parent;
  const constructor = ts.isExpressionStatement(statement) && ts.isBlock(statement.parent) ? statement.parent.parent : undefined;
  return constructor !== undefined && ts.isConstructorDeclaration(constructor) && constructor.parent === at;
}

/**
 * Each public member's type without its name: `(string) => void`, `?number`. A type the
 * Program cannot see (no default library, no node_modules) is taken as written, so two
 * unresolved types only match when they are spelled alike; the type's own name is `Self`.
 */
export function memberSignatures(checker: ts.TypeChecker, type: ts.Type, at: ts.Node, selfNames: readonly string[]): Map<string, number> {
  const signatures = new Map<string, number>();
  const names = selfNames.filter((name) => name !== 'default' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name));
  const self = names.length === 0 ? undefined : new RegExp(`(?<![A-Za-z0-9_$])(${names.map((name) => name.replace(/\$/g, '\\$')).join('|')})(?![A-Za-z0-9_$])`, 'g');
  const text = (memberType: ts.Type, written: ts.TypeNode | undefined): string => {
    const shown = memberType.flags & ts.TypeFlags.Any && written !== undefined ? written.getText().replace(/\s+/g, '') : checker.typeToString(memberType, undefined, ts.TypeFormatFlags.NoTruncation);
    return self === undefined ? shown : shown.replace(self, 'Self');
  };
  for (const property of checker.getPropertiesOfType(type)) {
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    // a subclass is compared by what it adds: what it inherits is its base's design (a test double on the real implementation)
    if (ts.isClassLike(at) && declaration !== undefined && declaration.parent !== at && !(ts.isParameter(declaration) && declaration.parent.parent === at) && !isConstructorField(declaration, at)) continue;
    if (declaration === undefined || property.name.startsWith('#') || property.name.startsWith('__')) continue;
    if (ts.getCombinedModifierFlags(declaration as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static)) continue;
    const memberType = checker.getTypeOfSymbolAtLocation(property, at);
    const calls = memberType.getCallSignatures();
    let signature: string;
    if (calls.length > 0 && memberType.getProperties().length === 0) {
      signature = calls
        .map((call) => {
          const parameters = call.getParameters().map((parameter) => {
            const parameterDeclaration = parameter.valueDeclaration;
            const written = parameterDeclaration !== undefined && ts.isParameter(parameterDeclaration) ? parameterDeclaration.type : undefined;
            return text(checker.getTypeOfSymbolAtLocation(parameter, at), written);
          });
          const returnWritten = call.getDeclaration() !== undefined && 'type' in call.getDeclaration() ? (call.getDeclaration() as ts.SignatureDeclarationBase).type : undefined;
          return `(${parameters.join(',')})=>${text(call.getReturnType(), returnWritten)}`;
        })
        .join('|');
    } else {
      const written = 'type' in declaration ? (declaration as ts.PropertyDeclaration).type : undefined;
      signature = text(memberType, written);
    }
    const key = `${property.flags & ts.SymbolFlags.Optional ? '?' : ''}${signature}`;
    signatures.set(key, (signatures.get(key) ?? 0) + 1);
  }
  return signatures;
}
