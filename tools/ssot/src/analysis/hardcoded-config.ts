import ts from 'typescript';
import { moduleCallSpecifier, unwrap } from './ast';
import { SUBSTITUTION, findEndpoint, formattedText, isHostLiteral, isPublicWebUrl, neverResolves } from './endpoints';
import { type AnalysisInput, type FileFinding, type FileRule, type FileVisit, defineFileRule } from './file-rule';

/** The method names read like templates, as TypeScript stores them (compared without unescaping each member name). */
const JOIN = ts.escapeLeadingUnderscores('join');
const CONCAT = ts.escapeLeadingUnderscores('concat');
/** `Reflect.get`, `url.port` and `util.format`, compared the same way. */
const GET = ts.escapeLeadingUnderscores('get');
const PORT = ts.escapeLeadingUnderscores('port');
const FORMAT = ts.escapeLeadingUnderscores('format');
/** The modules whose default or namespace export is `process`. */
export const PROCESS_MODULES: ReadonlySet<string> = new Set(['process', 'node:process']);
/** The modules whose `format` is util.format. */
const UTIL_MODULES: ReadonlySet<string> = new Set(['util', 'node:util']);
/**
 * String and template literals (endpoints), numbers (a port passed before a host), and the ways of
 * reaching process.env. Calls are reached from their parts (`join`, `concat`, `Reflect.get`, a first argument), far fewer nodes.
 */
const VISITED_KINDS: readonly ts.SyntaxKind[] = [
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateExpression,
  ts.SyntaxKind.PropertyAccessExpression,
  ts.SyntaxKind.ElementAccessExpression,
  ts.SyntaxKind.VariableDeclaration,
  ts.SyntaxKind.ImportDeclaration,
  ts.SyntaxKind.BinaryExpression,
  ts.SyntaxKind.ObjectLiteralExpression,
  ts.SyntaxKind.NumericLiteral,
];

/**
 * Endpoints and environment reads belong to the config package: outside it, non-test source
 * may not hold a URL with a scheme and a literal host, a host:port pair or a loopback address
 * in a string or template literal, nor read process.env (however it is spelled).
 */
export const hardcodedConfig: FileRule = defineFileRule({
  id: 'no-hardcoded-config',
  description: 'Endpoints and environment variables are read only by the config package',
  messages: {
    url: 'hard-coded endpoint {{value}}: take it from the configuration ({{configPackage}})',
    hostPort: 'hard-coded host:port {{value}}: take it from the configuration ({{configPackage}})',
    loopback: 'hard-coded address {{value}}: take it from the configuration ({{configPackage}})',
    processEnv: 'process.env is read only by {{configPackage}}: take the setting from the configuration instead',
    importMetaEnv: 'import.meta.env is read only by {{configPackage}}: take the setting from the configuration instead',
    literalPort: 'endpoint {{value}} puts a literal port after a host: take both from the configuration ({{configPackage}})',
    hostPortObject: 'hard-coded port {{value}} beside a host: take the endpoint from the configuration ({{configPackage}})',
    urlPort: 'hard-coded port {{value}} set on a URL: take the endpoint from the configuration ({{configPackage}})',
  },
  fixable: false,
  appliesTo: (file, registry) => file.role === 'source' && (registry.configPackage === undefined || file.pkg?.name !== registry.configPackage),
  visit({ sourceFile, registry }: AnalysisInput): FileVisit {
    const configPackage = registry.configPackage ?? 'the config package';
    const hint = registry.ruleHint('no-hardcoded-config');
    const readsAreOwned = registry.configPackage !== undefined;
    // One pass over the top-level statements finds the module's names for process, import.meta
    // and its literal ports:
    // - `const p = process` (or `globalThis.process`, `require('node:process')`), `import proc from
    //   'process'`, `import * as proc from 'node:process'`: p.env is process.env;
    // - `const m = import.meta`: m.env is import.meta.env;
    // - `const PORT = 8080`: a port written once and substituted is still a literal port. Only a
    //   constant named as a port (a TTL or a line number is not one);
    // - `const ports = { http: 8080 }` (`PORTS`, `servicePorts`): a table of ports named as one,
    //   whose numeric entries are literal ports (`${ports.http}`; not `limits.max`).
    // - `import { format } from 'node:util'`, `import util from 'util'`, `const util = require('util')`:
    //   the file's names for util.format and for the util module, whose templates build text like a template literal.
    // Port names count only where no other declaration in the file (a parameter `port`) can be the name meant.
    const processAliases = new Set<string>();
    const metaAliases = new Set<string>();
    const formatNames = new Set<string>();
    const utilAliases = new Set<string>();
    const portConstants = new Map<string, string>();
    const portTables = new Map<string, Map<string, string>>();
    for (const statement of sourceFile.statements) {
      if (ts.isImportDeclaration(statement)) {
        if (!ts.isStringLiteral(statement.moduleSpecifier)) continue;
        if (PROCESS_MODULES.has(statement.moduleSpecifier.text)) addProcessImports(statement, processAliases);
        else if (UTIL_MODULES.has(statement.moduleSpecifier.text)) addUtilImports(statement, utilAliases, formatNames);
        continue;
      }
      if (ts.isImportEqualsDeclaration(statement)) {
        // `import proc = require('process')`
        const reference = statement.moduleReference;
        if (!ts.isExternalModuleReference(reference) || !ts.isStringLiteral(reference.expression)) continue;
        if (PROCESS_MODULES.has(reference.expression.text)) processAliases.add(statement.name.text);
        else if (UTIL_MODULES.has(reference.expression.text)) utilAliases.add(statement.name.text);
        continue;
      }
      if (!ts.isVariableStatement(statement)) continue;
      const isConst = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const declaration of statement.declarationList.declarations) {
        if (declaration.initializer === undefined) continue;
        if (!ts.isIdentifier(declaration.name)) {
          // `const { format } = require('util')`
          if (ts.isObjectBindingPattern(declaration.name) && isUtilRequire(declaration.initializer)) addFormatBindings(declaration.name, formatNames);
          continue;
        }
        const name = declaration.name.text;
        const value = unwrap(declaration.initializer);
        if (isProcess(value)) processAliases.add(name);
        else if (isUtilRequire(value)) utilAliases.add(name);
        else if (ts.isPropertyAccessExpression(value) && value.name.escapedText === FORMAT && isUtilRequire(value.expression)) formatNames.add(name);
        else if (isImportMeta(value)) metaAliases.add(name);
        else if (!isConst) continue;
        else if (ts.isNumericLiteral(value)) {
          if (isPortName(name) && isPort(value.text)) portConstants.set(name, value.getText(sourceFile));
        } else if (isPortTableName(name)) {
          const table = portTable(value);
          if (table !== undefined) portTables.set(name, table);
        }
      }
    }
    if (portConstants.size > 0 || portTables.size > 0) {
      for (const name of declaredMoreThanOnce(sourceFile, new Set([...portConstants.keys(), ...portTables.keys()]))) {
        portConstants.delete(name);
        portTables.delete(name);
      }
    }
    const isProcessLike = (expression: ts.Expression): boolean => {
      const target = operand(expression);
      return isProcess(target) || (ts.isIdentifier(target) && processAliases.has(target.text));
    };
    const isImportMetaLike = (expression: ts.Expression): boolean => {
      const target = operand(expression);
      return isImportMeta(target) || (ts.isIdentifier(target) && metaAliases.has(target.text));
    };
    // `format(…)` imported from util, `util.format(…)` on a name of the util module, `require('util').format(…)`
    const isUtilFormat = (callee: ts.Expression): boolean => {
      const target = unwrap(callee);
      if (ts.isIdentifier(target)) return formatNames.has(target.text);
      if (!ts.isPropertyAccessExpression(target) || target.name.escapedText !== FORMAT) return false;
      const module = unwrap(target.expression);
      return ts.isIdentifier(module) ? utilAliases.has(module.text) : isUtilRequire(module);
    };
    // the text a substituted part stands for in an endpoint: a literal (`${8443}`, `${'9200'}`, `+ 3000`,
    // `${Number('9200')}`) as written, a port constant or a port table's entry as its port, anything else a substitution
    const substitute = (expression: ts.Expression): string => {
      const value = unwrap(expression);
      if (ts.isNumericLiteral(value) || ts.isStringLiteralLike(value)) return value.text;
      if (ts.isCallExpression(value)) return numberOfLiteral(value) ?? SUBSTITUTION;
      // `${fileName}:120` is a position in a file, not a host and a port
      if (namesFilePosition(value)) return FILE_POSITION;
      if (ts.isIdentifier(value)) return portConstants.get(value.text) ?? SUBSTITUTION;
      if (portTables.size > 0 && (ts.isPropertyAccessExpression(value) || ts.isElementAccessExpression(value))) {
        const table = ts.isIdentifier(value.expression) ? portTables.get(value.expression.text) : undefined;
        const key = ts.isPropertyAccessExpression(value) ? value.name.text : ts.isStringLiteralLike(value.argumentExpression) ? value.argumentExpression.text : undefined;
        return (key === undefined ? undefined : table?.get(key)) ?? SUBSTITUTION;
      }
      return SUBSTITUTION;
    };
    const checkLiteralPort = (node: ts.Node, text: string): void => {
      const match = literalPortAfterHost(text);
      if (match !== undefined) report(node, 'literalPort', match, match);
    };
    const findings: FileFinding[] = [];
    const report = (node: ts.Node, messageId: string, subject: string, value: string): void => {
      findings.push({
        rule: 'no-hardcoded-config',
        messageId,
        data: { value, configPackage },
        start: node.getStart(sourceFile),
        end: node.getEnd(),
        subject,
        hint,
      });
    };
    // `net.connect(6379, host)`, `new Redis(6379, host)`, `server.listen(8080, bindAddress)`
    const checkPortBeforeHost = (node: ts.NumericLiteral | ts.StringLiteral): void => {
      const port = literalPortBeforeHost(node);
      if (port !== undefined) report(node, 'hostPortObject', `port ${port}`, port);
    };
    // a printf-style template of util.format read like a template literal, its arguments in the placeholders
    const checkFormat = (template: ts.StringLiteralLike): void => {
      const call = template.parent;
      if (!ts.isCallExpression(call) || !isUtilFormat(call.expression) || call.arguments.some(ts.isSpreadElement)) return;
      checkLiteralPort(call, formattedText(template.text, call.arguments.slice(1).map(substitute)));
    };
    const checkText = (node: ts.Node, text: string): void => {
      if (isInType(node) || isUrlBase(node)) return;
      const match = findEndpoint(text, (url) => registry.isAllowedUrl(url) || isReference(url, text, node));
      // a bare loopback word in a sentence ("this certificate only points to localhost") is a mention
      if (match && !(match.kind === 'loopback' && isProse(text))) report(node, match.kind, match.value, match.value);
    };

    return {
      kinds: VISITED_KINDS,
      node(node) {
        if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
          const before = findings.length;
          if (!isModuleName(node)) checkText(node, node.text);
          // a port as a string (`'6379'`): two to five characters before anything else is looked at
          if (node.text.length >= 2 && node.text.length <= 5 && ts.isStringLiteral(node) && isFirstArgument(node)) checkPortBeforeHost(node);
          // `util.format('http://%s:%d', host, 7000)`, unless the template alone is the finding
          if (findings.length === before && isFirstArgument(node) && node.text.includes('%')) checkFormat(node);
        } else if (ts.isNumericLiteral(node)) {
          if (isFirstArgument(node)) checkPortBeforeHost(node);
        } else if (ts.isTemplateExpression(node)) {
          const before = findings.length;
          checkText(node, [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(SUBSTITUTION));
          if (findings.length === before && !isInType(node)) checkLiteralPort(node, node.head.text + node.templateSpans.map((span) => substitute(span.expression) + span.literal.text).join(''));
        } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && !ts.isBinaryExpression(node.parent)) {
          // `'http://' + host + ':8080'`: the outermost + of a chain, read like a template
          const text = concatenationText(node, substitute);
          if (text !== undefined) checkLiteralPort(node, text);
        } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && isPortMember(node.left)) {
          // `url.port = '7000'` on a URL object: an endpoint built from the URL's host and a literal port
          const port = literalPortSetOnUrl(node.left, node.right, substitute);
          if (port !== undefined) report(node.right, 'urlPort', `port ${port}`, port);
        } else if (ts.isObjectLiteralExpression(node)) {
          const port = literalPortBesideHost(node, sourceFile, substitute);
          if (port !== undefined) report(port.node, 'hostPortObject', `port ${port.value}`, port.value);
        } else if (ts.isPropertyAccessExpression(node) && (node.name.escapedText === JOIN || node.name.escapedText === CONCAT) && ts.isCallExpression(node.parent) && node.parent.expression === node) {
          // `[host, '8080'].join(':')`, `String(host).concat(':', '8080')`: read like a template
          const text = joinedText(node.parent, substitute);
          if (text !== undefined) checkLiteralPort(node.parent, text);
        } else if (!readsAreOwned) {
          // without a config package in the registry, the workspace has no owner of environment reads to send them to
        } else if (ts.isPropertyAccessExpression(node) && node.name.text === 'env' && isProcessLike(node.expression)) {
          report(node, 'processEnv', 'process.env', 'process.env');
        } else if (ts.isPropertyAccessExpression(node) && node.name.text === 'env' && isImportMetaLike(node.expression)) {
          report(node, 'importMetaEnv', 'import.meta.env', 'import.meta.env');
        } else if (ts.isPropertyAccessExpression(node) && node.name.escapedText === GET && ts.isCallExpression(node.parent) && node.parent.expression === node) {
          // `Reflect.get(process, 'env')` is process.env
          const object = reflectGetOf(node.parent, 'env');
          if (object !== undefined && isProcessLike(object)) report(node.parent, 'processEnv', 'process.env', 'process.env');
          else if (object !== undefined && isImportMetaLike(object)) report(node.parent, 'importMetaEnv', 'import.meta.env', 'import.meta.env');
        } else if (ts.isElementAccessExpression(node) && isStringValue(node.argumentExpression, 'env')) {
          if (isProcessLike(node.expression)) report(node, 'processEnv', 'process.env', 'process.env');
          else if (isImportMetaLike(node.expression)) report(node, 'importMetaEnv', 'import.meta.env', 'import.meta.env');
        } else if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer) {
          // `const { env } = process` (or `= require('process')`, `= import.meta`)
          const meta = isImportMetaLike(node.initializer);
          if (!meta && !isProcessLike(node.initializer)) return;
          for (const element of node.name.elements) {
            const key = element.propertyName ?? element.name;
            if ((ts.isIdentifier(key) || ts.isStringLiteral(key)) && key.text === 'env') {
              if (meta) report(element, 'importMetaEnv', 'import.meta.env', 'import.meta.env');
              else report(element, 'processEnv', 'process.env', 'process.env');
            }
          }
        } else if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && PROCESS_MODULES.has(node.moduleSpecifier.text)) {
          const bindings = node.importClause?.namedBindings;
          if (bindings && ts.isNamedImports(bindings)) {
            for (const element of bindings.elements) {
              if ((element.propertyName ?? element.name).text === 'env') report(element, 'processEnv', 'process.env', 'process.env');
            }
          }
        }
      },
      findings: () => findings,
    };
  },
});

/** Hosts whose URLs are identifiers (XML namespaces, schema ids, RFCs), never fetched by the code that writes them. */
const IDENTIFIER_HOSTS = /^(www\.)?(w3\.org|json-schema\.org|schemas\.xmlsoap\.org|schemas\.microsoft\.com|schemas\.openxmlformats\.org|purl\.org|schema\.org|json\.schemastore\.org|xmlns\.com|ns\.adobe\.com|iana\.org|tools\.ietf\.org|datatracker\.ietf\.org|opensource\.org|spdx\.org)$/i;
/** Hosts that serve documents and code for people: code hosting, package registries, reference sites, docs subdomains, link shorteners of docs. */
const DOCUMENT_HOSTS = /^((www|gist|raw)\.)?(github\.com|gitlab\.com|bitbucket\.org|npmjs\.com|npmjs\.org|developer\.mozilla\.org|stackoverflow\.com|[a-z]+\.wikipedia\.org|learn\.microsoft\.com|docs\.microsoft\.com|aka\.ms|pris\.ly|bit\.ly|goo\.gl)$|^docs?\.|\.readthedocs\.io$|\.github\.io$/i;
/** First labels of hosts that are services whatever their path: an API, a registry, a socket, sign-in. */
const SERVICE_HOST = /^(api|apis|registry|rpc|ws|wss|gateway|auth|login|oauth|sso|graphql|grpc|events?|queue|mq|broker|db|redis|cache|storage|upload|cdn|ingest|telemetry|metrics|hooks?)\./i;
/** Keys that make an object literal a description for people (a rule's or command's metadata), whose `url` is a link. */
const DESCRIPTIVE_KEYS = new Set(['description', 'title', 'name', 'label', 'summary', 'text', 'message', 'command', 'children', 'alt']);
/** Names under which a URL is a link for people or an identifier: docs, help, homepage, schema ids, namespaces, licences. */
const REFERENCE_NAME = /^(to|@context)$|doc|link|href|homepage|help|readme|issue|website|reference|learn|guide|namespace|xmlns|schema|\$id|licen[cs]e|author|repository|bugs|funding|changelog|example|citation|source(url)?$/i;
/** Paths that lead to documents: docs, code browsers, issue trackers, wikis, pages, anchors. */
const DOCUMENT_PATH = /\/(docs?|documentation|blob|tree|issues|pulls?|discussions|wiki|rules|guides?|reference|handbook|manual|faq|help|learn|tutorials?|articles?|blog|spec|rfc\d*)(\/|$|#|\?)|\.(md|html?|pdf|txt|svg|png|jpe?g|gif|ico|webp)([?#]|$)|\.schema\.json$|\/(json-)?schemas?\/|#./i;
/** Calls whose string argument is a message for people or a namespace, not a connection. */
const MESSAGE_CALLEE = /Error$|^(warn|error|info|log|debug|trace|fatal|assert|fail|describe|it|test)$|NS$/;

/**
 * True when a public web URL is written as a reference rather than as a service to connect to:
 * inside prose (an error message saying "see https://…"), under a docs/link/schema/namespace
 * name, on a namespace or standards host, on a document path, or as the message of an error or
 * a log call. An endpoint with a port, an address or a private host is never a reference.
 */
function isReference(url: string, text: string, node: ts.Node): boolean {
  if (!isPublicWebUrl(url)) return false;
  const authority = url.slice(url.indexOf('://') + 3).split(/[/?#]/)[0] ?? '';
  // without the scheme's own port (`https://docs.x.dev:443/guide`), the only one a public web URL may have
  const host = authority.replace(/:\d+$/, '');
  if (IDENTIFIER_HOSTS.test(host) || DOCUMENT_HOSTS.test(host) || DOCUMENT_PATH.test(url.slice(url.indexOf('://') + 3 + authority.length))) return true;
  if (/[A-Za-z]{2,}\s/.test(text.replace(url, ' '))) return true;
  // a Markdown or HTML link around it
  if (/\]\(\s*$|\(\s*$|href=["']?\s*$/.test(text.slice(0, text.indexOf(url)))) return true;
  // a site's home page (no path) on a host that does not name a service (api., registry., auth., …)
  if (/^https?:\/\/[^/?#]+\/?$/i.test(url) && !SERVICE_HOST.test(host)) return true;
  for (let current: ts.Node = node, depth = 0; depth < 4 && current.parent !== undefined; current = current.parent, depth += 1) {
    const parent = current.parent;
    const name = nameOf(parent);
    if (name !== undefined && REFERENCE_NAME.test(name)) return true;
    if (ts.isPropertyAssignment(parent) && ts.isObjectLiteralExpression(parent.parent) && hasDescriptiveSibling(parent.parent)) return true;
    if ((ts.isCallExpression(parent) || ts.isNewExpression(parent)) && MESSAGE_CALLEE.test(calleeName(parent.expression))) return true;
  }
  return false;
}

function hasDescriptiveSibling(object: ts.ObjectLiteralExpression): boolean {
  return object.properties.some((property) => property.name !== undefined && ts.isIdentifier(property.name) && DESCRIPTIVE_KEYS.has(property.name.text));
}

/** Literal types (`const URI: 'http://…' = …`) describe values; the value itself is checked where it is written. */
function isInType(node: ts.Node): boolean {
  return ts.isLiteralTypeNode(node.parent);
}

/** The base of `new URL(path, 'http://localhost')` only lets a relative path parse: nothing connects to it. */
function isUrlBase(node: ts.Node): boolean {
  const parent = node.parent;
  return ts.isNewExpression(parent) && ts.isIdentifier(parent.expression) && parent.expression.text === 'URL' && parent.arguments?.[1] === node;
}

/** Three words or more: a sentence for people. */
function isProse(text: string): boolean {
  return (text.match(/[A-Za-z]{2,}/g) ?? []).length >= 3 && /\s/.test(text.trim());
}

/** The name a value is bound to or keyed by, where the node has one. */
function nameOf(node: ts.Node): string | undefined {
  if ((ts.isPropertyAssignment(node) || ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node) || ts.isParameter(node)) && node.name !== undefined) {
    return ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) ? node.name.text : undefined;
  }
  if (ts.isJsxAttribute(node)) return node.name.getText();
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const left = unwrap(node.left);
    return ts.isIdentifier(left) ? left.text : ts.isPropertyAccessExpression(left) ? left.name.text : undefined;
  }
  return undefined;
}

function calleeName(expression: ts.Expression): string {
  const callee = unwrap(expression);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return '';
}

/** Module specifiers and ambient module names are paths, not endpoints. */
function isModuleName(node: ts.StringLiteralLike): boolean {
  const parent = node.parent;
  return (
    ((ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) && parent.moduleSpecifier === node) ||
    ts.isExternalModuleReference(parent) ||
    (ts.isModuleDeclaration(parent) && parent.name === node) ||
    (ts.isLiteralTypeNode(parent) && ts.isImportTypeNode(parent.parent)) ||
    (ts.isCallExpression(parent) && moduleCallSpecifier(parent) === node)
  );
}

/** An expression through parentheses, assertions and comma operators: `(0, process)` is process. */
function operand(expression: ts.Expression): ts.Expression {
  let current = unwrap(expression);
  while (ts.isBinaryExpression(current) && current.operatorToken.kind === ts.SyntaxKind.CommaToken) current = unwrap(current.right);
  return current;
}

/**
 * `process`, `globalThis.process` (or `global.process`, `globalThis['process']`, `Reflect.get(globalThis, 'process')`), `require('process')`
 * (or `'node:process'`), `await import('node:process')` (or its `.default`); also after a comma, `(0, process)`.
 */
function isProcess(expression: ts.Expression): boolean {
  const target = operand(expression);
  if (ts.isIdentifier(target)) return target.text === 'process';
  if (ts.isCallExpression(target)) return isProcessModuleCall(target, ts.SyntaxKind.Identifier) || isGlobalObject(reflectGetOf(target, 'process'));
  if (ts.isAwaitExpression(target)) return isProcessImport(target);
  if (!ts.isPropertyAccessExpression(target) && !ts.isElementAccessExpression(target)) return false;
  const key = ts.isPropertyAccessExpression(target) ? target.name.text : ts.isStringLiteralLike(target.argumentExpression) ? target.argumentExpression.text : undefined;
  const object = operand(target.expression);
  if (key === 'process') return isGlobalObject(object);
  return key === 'default' && ts.isAwaitExpression(object) && isProcessImport(object);
}

/** `globalThis` or `global` (through parentheses and commas); false for undefined. */
function isGlobalObject(expression: ts.Expression | undefined): boolean {
  if (expression === undefined) return false;
  const target = operand(expression);
  return ts.isIdentifier(target) && (target.text === 'globalThis' || target.text === 'global');
}

/** `Reflect.get(object, 'key')` (a receiver may follow): the object when the key read is `key`, else undefined. */
function reflectGetOf(call: ts.CallExpression, key: string): ts.Expression | undefined {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.escapedText !== GET || !ts.isIdentifier(callee.expression) || callee.expression.text !== 'Reflect') return undefined;
  const [object, name] = call.arguments;
  return object !== undefined && name !== undefined && !ts.isSpreadElement(object) && isStringValue(name, key) ? object : undefined;
}

/** `await import('process')` (or `'node:process'`): the module namespace, whose env is process.env. */
function isProcessImport(expression: ts.AwaitExpression): boolean {
  const call = operand(expression.expression);
  return ts.isCallExpression(call) && isProcessModuleCall(call, ts.SyntaxKind.ImportKeyword);
}

/** `require('process')` (callee an identifier) or `import('node:process')` (callee the import keyword) with the process module's name. */
function isProcessModuleCall(call: ts.CallExpression, callee: ts.SyntaxKind.Identifier | ts.SyntaxKind.ImportKeyword): boolean {
  const [specifier] = call.arguments;
  if (call.arguments.length !== 1 || specifier === undefined || !ts.isStringLiteralLike(specifier) || !PROCESS_MODULES.has(specifier.text)) return false;
  return callee === ts.SyntaxKind.ImportKeyword ? call.expression.kind === ts.SyntaxKind.ImportKeyword : ts.isIdentifier(call.expression) && call.expression.text === 'require';
}

function isImportMeta(expression: ts.Expression): boolean {
  const target = operand(expression);
  return ts.isMetaProperty(target) && target.keywordToken === ts.SyntaxKind.ImportKeyword && target.name.text === 'meta';
}

/** The names an import of the process module binds to the module itself: `import proc from 'process'`, `import * as proc from 'node:process'`, `import { default as proc } …`. */
function addProcessImports(declaration: ts.ImportDeclaration, aliases: Set<string>): void {
  const clause = declaration.importClause;
  if (clause === undefined || clause.isTypeOnly) return;
  if (clause.name !== undefined) aliases.add(clause.name.text);
  const bindings = clause.namedBindings;
  if (bindings !== undefined && ts.isNamespaceImport(bindings)) aliases.add(bindings.name.text);
  else if (bindings !== undefined) for (const element of bindings.elements) if (element.propertyName?.text === 'default' && !element.isTypeOnly) aliases.add(element.name.text);
}

/** The names an import of util binds to the module (`import util from 'util'`, `import * as util …`) and to its format (`import { format as fmt } …`). */
function addUtilImports(declaration: ts.ImportDeclaration, moduleNames: Set<string>, formatNames: Set<string>): void {
  const clause = declaration.importClause;
  if (clause === undefined || clause.isTypeOnly) return;
  if (clause.name !== undefined) moduleNames.add(clause.name.text);
  const bindings = clause.namedBindings;
  if (bindings !== undefined && ts.isNamespaceImport(bindings)) moduleNames.add(bindings.name.text);
  else if (bindings !== undefined) {
    for (const element of bindings.elements) {
      const imported = (element.propertyName ?? element.name).text;
      if (element.isTypeOnly) continue;
      if (imported === 'format') formatNames.add(element.name.text);
      else if (imported === 'default') moduleNames.add(element.name.text);
    }
  }
}

/** `require('util')` (or `'node:util'`). */
function isUtilRequire(expression: ts.Expression): boolean {
  const call = unwrap(expression);
  if (!ts.isCallExpression(call) || call.arguments.length !== 1 || !ts.isIdentifier(call.expression) || call.expression.text !== 'require') return false;
  const [specifier] = call.arguments;
  return specifier !== undefined && ts.isStringLiteralLike(specifier) && UTIL_MODULES.has(specifier.text);
}

/** The names `const { format } = require('util')` (or `{ format: fmt }`) binds to util.format. */
function addFormatBindings(pattern: ts.ObjectBindingPattern, formatNames: Set<string>): void {
  for (const element of pattern.elements) {
    const key = element.propertyName ?? element.name;
    if ((ts.isIdentifier(key) || ts.isStringLiteral(key)) && key.text === 'format' && ts.isIdentifier(element.name) && element.dotDotDotToken === undefined) formatNames.add(element.name.text);
  }
}

/** `x.port` or `x['port']`, the target of an assignment. */
function isPortMember(target: ts.Expression): target is ts.PropertyAccessExpression | ts.ElementAccessExpression {
  return ts.isPropertyAccessExpression(target) ? target.name.escapedText === PORT : ts.isElementAccessExpression(target) && isStringValue(target.argumentExpression, 'port');
}

/**
 * `url.port = '7000'` (or `7000`, `String(7000)`, `` `${PORT}` ``, a port constant) where `url` is a URL
 * object (made by `new URL(…)` or declared as a URL where the name is declared): the port, else undefined.
 * Only a URL's port: a `port` of any other object has no host beside it (`server.port = 3000` is as
 * clean as `{ port: 3000 }`), and `''` or `'0'` is no port.
 */
function literalPortSetOnUrl(target: ts.PropertyAccessExpression | ts.ElementAccessExpression, assigned: ts.Expression, substitute: (expression: ts.Expression) => string): string | undefined {
  let value = unwrap(assigned);
  // `String(7000)` is 7000 as text
  const [argument] = ts.isCallExpression(value) && ts.isIdentifier(value.expression) && value.expression.text === 'String' && value.arguments.length === 1 ? value.arguments : [];
  if (argument !== undefined) value = unwrap(argument);
  const digits = ts.isTemplateExpression(value) ? templateText(value, substitute) : substitute(value);
  if (!/^\d{1,5}$/.test(digits) || !isPort(digits)) return undefined;
  const object = unwrap(target.expression);
  return ts.isIdentifier(object) ? (declaredAsUrl(object) ? digits : undefined) : isUrlConstruction(object) ? digits : undefined;
}

/** `new URL(…)` (or `new url.URL(…)`, `URL.parse(…)`). */
function isUrlConstruction(expression: ts.Expression): boolean {
  const value = unwrap(expression);
  const callee = ts.isNewExpression(value) ? unwrap(value.expression) : ts.isCallExpression(value) && ts.isPropertyAccessExpression(value.expression) && value.expression.name.text === 'parse' ? unwrap(value.expression.expression) : undefined;
  return callee !== undefined && (ts.isIdentifier(callee) ? callee.text === 'URL' : ts.isPropertyAccessExpression(callee) && callee.name.text === 'URL');
}

/** A type that is URL (`URL`, `url.URL`, `URL | undefined`). */
function isUrlType(type: ts.TypeNode | undefined): boolean {
  if (type === undefined) return false;
  if (ts.isUnionTypeNode(type)) return type.types.some(isUrlType) && type.types.every((member) => isUrlType(member) || member.kind === ts.SyntaxKind.UndefinedKeyword || (ts.isLiteralTypeNode(member) && member.literal.kind === ts.SyntaxKind.NullKeyword));
  if (!ts.isTypeReferenceNode(type) || type.typeArguments !== undefined) return false;
  const name = type.typeName;
  return (ts.isIdentifier(name) ? name.text : name.right.text) === 'URL';
}

/**
 * Whether the nearest declaration of `name`, looking outward through the blocks, loops and
 * functions around it, makes it a URL: `const url = new URL(…)`, a parameter `url: URL`. A name
 * declared any other way nearer (a parameter of another type, a loop variable, a destructured
 * binding), or not found, is not one.
 */
function declaredAsUrl(name: ts.Identifier): boolean {
  const text = name.text;
  for (let scope: ts.Node | undefined = name.parent; scope !== undefined; scope = scope.parent) {
    let declarations: readonly (ts.VariableDeclaration | ts.ParameterDeclaration)[] = [];
    if (ts.isFunctionLike(scope)) declarations = scope.parameters;
    else if (ts.isCatchClause(scope) && scope.variableDeclaration !== undefined) declarations = [scope.variableDeclaration];
    else if ((ts.isForStatement(scope) || ts.isForInStatement(scope) || ts.isForOfStatement(scope)) && scope.initializer !== undefined && ts.isVariableDeclarationList(scope.initializer)) declarations = scope.initializer.declarations;
    else if (ts.isBlock(scope) || ts.isSourceFile(scope) || ts.isModuleBlock(scope) || ts.isCaseClause(scope) || ts.isDefaultClause(scope)) {
      for (const statement of scope.statements) {
        if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name?.text === text) return false;
        if (!ts.isVariableStatement(statement)) continue;
        for (const declaration of statement.declarationList.declarations) {
          if (declares(declaration.name, text)) return isUrlDeclaration(declaration);
        }
      }
      continue;
    }
    for (const declaration of declarations) if (declares(declaration.name, text)) return isUrlDeclaration(declaration);
  }
  return false;
}

/** `url: URL` or `url = new URL(…)`; a destructured binding is not one. */
function isUrlDeclaration(declaration: ts.VariableDeclaration | ts.ParameterDeclaration): boolean {
  if (!ts.isIdentifier(declaration.name)) return false;
  return isUrlType(declaration.type) || (declaration.initializer !== undefined && isUrlConstruction(declaration.initializer));
}

/** Whether a binding name (an identifier, or a destructuring pattern at any depth) binds `text`. */
function declares(name: ts.BindingName, text: string): boolean {
  if (ts.isIdentifier(name)) return name.text === text;
  for (const element of name.elements) if (!ts.isOmittedExpression(element) && declares(element.name, text)) return true;
  return false;
}

function isStringValue(expression: ts.Expression, value: string): boolean {
  return ts.isStringLiteralLike(expression) && expression.text === value;
}

/**
 * `${host}:8080`, `http://${host}:3000/x`: a port written as a literal right after a substituted
 * host. The host may come from configuration, the port does not. Stack-trace positions
 * (`${file}:${line}`) have no literal digits after the colon; a time such as `${hours}:30` has
 * no scheme, so a bare one counts only when the substitution starts the text or follows `//` or `@`.
 */
export function literalPortAfterHost(text: string): string | undefined {
  // a percentage (`${label}:50%`) is no port
  const match = /(^|\/\/|@)\uFFFF:(\d{2,5})(?![\d\uFFFF%])/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? `…:${match[2]}` : undefined;
}

/** What a substituted file name or path stands for in the text literalPortAfterHost reads (not a host). */
const FILE_POSITION = 'file';

/** The words of a name that holds a file, a path or a line rather than a host (`fileName`, `sourcePath`, `LINE`). */
const FILE_WORDS: ReadonlySet<string> = new Set(['file', 'filename', 'filepath', 'path', 'pathname', 'line', 'location', 'loc', 'module', 'dir']);

/** An identifier or member (`fileName`, `this.sourcePath`, `node.loc`) whose name says it is a file, path or line. */
function namesFilePosition(expression: ts.Expression): boolean {
  const name = ts.isIdentifier(expression) ? expression.text : ts.isPropertyAccessExpression(expression) ? expression.name.text : undefined;
  // most substituted names hold none of these letters at all
  return name !== undefined && /file|path|line|loc|module|dir/i.test(name) && nameWords(name).some((word) => FILE_WORDS.has(word));
}

/** A name's words, lower case: split at `_`, `$` and camelCase humps (`REDIS_PORT`, `httpPort` → redis port, http port). */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[_$]+/)
    .map((word) => word.toLowerCase());
}

/** A name that says it holds a port, one of its words being "port": PORT, REDIS_PORT, httpPort, portNumber (not PORTAL, support). */
export function isPortName(name: string): boolean {
  return hasNameWord(name, 'port');
}

/** A name that says it holds ports, one of its words being "port" or "ports": ports, PORTS, servicePorts, DEFAULT_PORT (not reports, viewport, limits). */
function isPortTableName(name: string): boolean {
  return hasNameWord(name, 'port', 'ports');
}

/** Whether one of the name's words (split at `_`, `$` and camelCase humps) is one of `words` (lower case, each containing "port"). */
function hasNameWord(name: string, ...words: string[]): boolean {
  // every import binding of every file comes here: most names cannot hold the word at all
  if (!/port/i.test(name)) return false;
  return nameWords(name).some((word) => words.includes(word));
}

/**
 * The entries of a port table (`{ http: 8080, 'admin': 9090 }`, also `as const` or
 * `Object.freeze({ … })`) whose value is a numeric literal port, by key; undefined when none is.
 */
function portTable(value: ts.Expression): Map<string, string> | undefined {
  let object = value;
  if (ts.isCallExpression(object) && object.arguments.length === 1 && ts.isPropertyAccessExpression(object.expression) && object.expression.name.text === 'freeze' && ts.isIdentifier(object.expression.expression) && object.expression.expression.text === 'Object') {
    object = unwrap(object.arguments[0] as ts.Expression);
  }
  if (!ts.isObjectLiteralExpression(object)) return undefined;
  let table: Map<string, string> | undefined;
  for (const property of object.properties) {
    if (!ts.isPropertyAssignment(property) || !(ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) continue;
    const entry = unwrap(property.initializer);
    if (ts.isNumericLiteral(entry) && isPort(entry.text)) (table ??= new Map()).set(property.name.text, entry.text);
  }
  return table;
}

/** Of `names`, those the file declares more than once (a parameter, a local, a destructured binding of the same name). */
function declaredMoreThanOnce(sourceFile: ts.SourceFile, names: ReadonlySet<string>): Set<string> {
  const seen = new Map<string, number>();
  const visit = (node: ts.Node): void => {
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node) || ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name !== undefined && ts.isIdentifier(node.name) && names.has(node.name.text)) {
      seen.set(node.name.text, (seen.get(node.name.text) ?? 0) + 1);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return new Set([...seen].filter(([, count]) => count > 1).map(([name]) => name));
}

/** A port number: 1 to 65535. */
function isPort(text: string): boolean {
  const port = Number(text);
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/**
 * A chain of `+` as template text: literals as written, a template's parts as written with its
 * substitutions as `substitute` gives them, anything else as `substitute` gives it; undefined
 * without a literal, and undefined when one of its templates puts a literal port after a host by
 * itself (that template is the finding).
 */
export function concatenationText(node: ts.BinaryExpression, substitute: (expression: ts.Expression) => string): string | undefined {
  const parts: string[] = [];
  let literal = false;
  let portInTemplate = false;
  const flatten = (expression: ts.Expression): void => {
    const value = unwrap(expression);
    if (ts.isBinaryExpression(value) && value.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      flatten(value.left);
      flatten(value.right);
    } else if (ts.isStringLiteralLike(value)) {
      parts.push(value.text);
      literal = true;
    } else if (ts.isTemplateExpression(value)) {
      // `` `http://${host}:` + 8080 ``
      const text = templateText(value, substitute);
      if (literalPortAfterHost(text) !== undefined) portInTemplate = true;
      parts.push(text);
      literal = true;
    } else if (ts.isNumericLiteral(value)) {
      // `':' + 3000`: a number written in the chain is literal text
      parts.push(value.text);
    } else {
      parts.push(substitute(value));
    }
  };
  flatten(node);
  return literal && !portInTemplate ? parts.join('').replace(/\uFFFF+/g, SUBSTITUTION) : undefined;
}

/** A template's text with each substitution as `substitute` gives it. */
function templateText(node: ts.TemplateExpression, substitute: (expression: ts.Expression) => string): string {
  return node.head.text + node.templateSpans.map((span) => substitute(span.expression) + span.literal.text).join('');
}

/**
 * `[host, '8080'].join(':')` and `String(host).concat(':', '8080')` (or `host.concat(…)`,
 * `'http://'.concat(host, …)`) as template text, as a `+` chain is read; undefined for any other call.
 */
function joinedText(call: ts.CallExpression, substitute: (expression: ts.Expression) => string): string | undefined {
  const callee = call.expression;
  const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  if ((method !== 'join' && method !== 'concat') || !ts.isPropertyAccessExpression(callee) || call.arguments.some(ts.isSpreadElement)) return undefined;
  const receiver = unwrap(callee.expression);
  const part = (expression: ts.Expression): string => {
    const value = unwrap(expression);
    if (ts.isTemplateExpression(value)) return templateText(value, substitute);
    // `String(host)` is host (and `String(fileName)` still a file name)
    const [argument] = ts.isCallExpression(value) && ts.isIdentifier(value.expression) && value.expression.text === 'String' && value.arguments.length === 1 ? value.arguments : [value];
    return substitute(argument ?? value);
  };
  if (method === 'join') {
    const [separator] = call.arguments;
    if (!ts.isArrayLiteralExpression(receiver) || call.arguments.length > 1 || (separator !== undefined && !ts.isStringLiteralLike(separator)) || receiver.elements.some((element) => ts.isSpreadElement(element) || ts.isOmittedExpression(element))) return undefined;
    return receiver.elements.map(part).join(separator?.text ?? ',');
  }
  if (ts.isArrayLiteralExpression(receiver) || call.arguments.length === 0) return undefined;
  return [receiver, ...call.arguments].map(part).join('');
}

/** `Number('5432')`, `parseInt('5432', 10)`, `Number.parseInt('5432')` (or of a number): the digits of a literal read as a number. */
function numberOfLiteral(call: ts.CallExpression): string | undefined {
  const callee = unwrap(call.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Number' ? `Number.${callee.name.text}` : '';
  if (!['Number', 'parseInt', 'Number.parseInt', 'parseFloat', 'Number.parseFloat'].includes(name) || call.arguments.length === 0) return undefined;
  const value = unwrap(call.arguments[0] as ts.Expression);
  return ts.isNumericLiteral(value) ? value.text : ts.isStringLiteralLike(value) && /^\d{1,5}$/.test(value.text) ? value.text : undefined;
}

/**
 * A port written as a literal: a number (as written, `5_432`), a string of digits (`'8080'`), or
 * one read as a number (`Number('5432')`); undefined for anything else and for a string or
 * reading that is no port (1 to 65535).
 */
function literalPort(expression: ts.Expression, sourceFile: ts.SourceFile): string | undefined {
  const value = unwrap(expression);
  if (ts.isNumericLiteral(value)) return value.getText(sourceFile);
  const digits = ts.isStringLiteralLike(value) ? value.text : ts.isCallExpression(value) ? numberOfLiteral(value) : undefined;
  return digits !== undefined && /^\d{1,5}$/.test(digits) && isPort(digits) ? digits : undefined;
}

/** Whether a literal is the first argument of a call or a `new` (cheap: most are not). */
function isFirstArgument(node: ts.Node): boolean {
  const parent = node.parent;
  return (parent.kind === ts.SyntaxKind.CallExpression || parent.kind === ts.SyntaxKind.NewExpression) && (parent as ts.CallExpression | ts.NewExpression).arguments?.[0] === node;
}

/** The words of a name that holds a host: `host`, `apiHost`, `HOSTNAME`, `redis_host`. */
const HOST_WORDS: ReadonlySet<string> = new Set(['host', 'hostname']);
/** The other words a name ending in address (or addr) may have when it holds a network address: `bindAddress`, `ipAddr`, `remoteAddress` (not `emailAddress`). */
const NETWORK_ADDRESS_WORDS: ReadonlySet<string> = new Set(['ip', 'ipv4', 'ipv6', 'v4', 'v6', 'bind', 'listen', 'server', 'remote', 'local', 'socket', 'net', 'network', 'peer', 'public', 'private', 'upstream', 'target', 'host']);

/** An identifier or member (`host`, `cfg.apiHost`, `bindAddress`) whose name says it holds a host or a network address. */
function namesHost(expression: ts.Expression): boolean {
  const name = ts.isIdentifier(expression) ? expression.text : ts.isPropertyAccessExpression(expression) ? expression.name.text : undefined;
  if (name === undefined || !/host|addr/i.test(name)) return false;
  const words = nameWords(name);
  if (words.some((word) => HOST_WORDS.has(word))) return true;
  const last = words[words.length - 1];
  return (last === 'address' || last === 'addr') && words.slice(0, -1).every((word) => NETWORK_ADDRESS_WORDS.has(word));
}

/**
 * `net.connect(6379, host)`, `new Redis(6379, cfg.redisHost)`, `server.listen(8080, bindAddress)`,
 * `net.createConnection(5432, 'db.internal')`: a literal port (two digits or more, as a number or a
 * string) that is a call's first argument, when the second is a host, by its name or as a literal
 * private host or IPv4 address (a loopback one is reported as itself); the port, else undefined.
 */
function literalPortBeforeHost(port: ts.NumericLiteral | ts.StringLiteral): string | undefined {
  const args = (port.parent as ts.CallExpression | ts.NewExpression).arguments;
  if (args === undefined || args.length < 2 || !/^\d{2,5}$/.test(port.text) || !isPort(port.text)) return undefined;
  const host = unwrap(args[1] as ts.Expression);
  return namesHost(host) || (ts.isStringLiteralLike(host) && isHostLiteral(host.text)) ? port.text : undefined;
}

/**
 * `{ host: cfg.host, port: 6379 }` (or `port: PORT`, a port constant): a literal port in an object
 * that also names a host. Not when the host is a literal that never resolves (`'db.example.invalid'`,
 * as for hosts in strings).
 */
export function literalPortBesideHost(object: ts.ObjectLiteralExpression, sourceFile: ts.SourceFile, substitute: (expression: ts.Expression) => string): { node: ts.Node; value: string } | undefined {
  let port: { node: ts.Node; value: string } | undefined;
  let host = false;
  for (const property of object.properties) {
    if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
    const key = property.name !== undefined && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : '';
    if (/^(host|hostname|address|server)$/i.test(key)) {
      const value = ts.isPropertyAssignment(property) ? unwrap(property.initializer) : undefined;
      if (value !== undefined && ts.isStringLiteralLike(value) && neverResolves(value.text)) return undefined;
      host = true;
    }
    if (!/^port$/i.test(key)) continue;
    const value = ts.isPropertyAssignment(property) ? unwrap(property.initializer) : property.name;
    // as written (`6379`, `'8080'`, `Number('5432')`), the key of a finding a baseline may hold
    const text = literalPort(value, sourceFile) ?? (ts.isStringLiteralLike(value) ? '' : substitute(value));
    if (Number(text.replace(/_/g, '')) > 0) port = { node: value, value: text };
  }
  return host ? port : undefined;
}
