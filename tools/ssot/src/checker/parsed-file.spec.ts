import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { FILE_RULES, analyzeFile, ruleRunsOn } from '../analysis';
import { loadRegistry } from '../registry';
import { LEGACY_FIXTURE, writeWorkspace } from '../testing-workspaces.test-helpers';
import { WorkspaceIndex } from '../workspace-model';
import { parseFile } from './parsed-file';

/** Source that exercises every rule, with JSDoc, nesting and the odd forms the rules follow. */
const EVERYTHING = `
import { UnifiedWebSocketManager as Manager } from '@agentwirejs/manager';
import * as legacy from '@agentwire/ws-manager';
import { env } from 'node:process';
/** @deprecated kept for the test */
export interface ConnectionInfo { id: string }
export { Manager as WebSocketManager };
namespace Outer.Inner { export class MessageRouter {} }
let shared: Manager | undefined;
var counter = 0;
(() => { let inner = new Map(); })();
export const make = () => (shared ??= new Manager());
export class Registry2 extends legacy.WebSocketManager {
  static instance = new Registry2();
  static getInstance(): Registry2 { return Registry2.instance; }
}
globalThis['tracker'] = new Map();
const { env: settings } = process;
export const url = \`ws://\${settings.HOST}:80/path\`;
export const hosts = ['LOCALHOST', 'http://127.0.0.1:9000/x', 'https://json.schemastore.org/sarif-2.1.0.json', 'a:1', 'plain'];
export function read(): string | undefined { return process.env['HOME'] ?? (globalThis.process).env.PATH; }
const lazy = import('@agentwire/ws-types');
`;

function workspaceOf(root: string): { registry: ReturnType<typeof loadRegistry>; workspace: WorkspaceIndex } {
  const registry = loadRegistry(`${root}/ssot.config.json`);
  return { registry, workspace: WorkspaceIndex.load(registry) };
}

/** Every node with its parent, as positions: the two trees are different objects. */
function shapeOf(nodes: readonly ts.Node[]): string[] {
  return nodes.map((node) => `${node.kind}@${node.pos}-${node.end} in ${node.parent.kind}@${node.parent.pos}-${node.parent.end}`);
}

function depthFirst(sourceFile: ts.SourceFile): ts.Node[] {
  const nodes: ts.Node[] = [];
  const recurse = (node: ts.Node): void => {
    nodes.push(node);
    ts.forEachChild(node, recurse);
  };
  ts.forEachChild(sourceFile, recurse);
  return nodes;
}

describe('parseFile', () => {
  const root = writeWorkspace({ 'packages/app/src/everything.ts': EVERYTHING });
  const files = [root, LEGACY_FIXTURE].flatMap((dir) => {
    const { registry, workspace } = workspaceOf(dir);
    return workspace.sourceFileContexts().map((context) => ({ context, registry, workspace }));
  });

  it('covers both workspaces', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files.map((file) => [file.context.rel, file] as const))('%s: lists every node depth first with the parents a setParentNodes parse sets', (_, { context }) => {
    const text = readFileSync(context.path, 'utf8');
    const parsed = parseFile(context, text);
    const reference = ts.createSourceFile(context.path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    expect(shapeOf(parsed.nodes)).toEqual(shapeOf(depthFirst(reference)));
    expect(parsed.nodes).toEqual(depthFirst(parsed.sourceFile));
  });

  it.each(files.map((file) => [file.context.rel, file] as const))('%s: one pass over all rules finds what each rule finds alone on a full parse', (_, { context, registry, workspace }) => {
    const text = readFileSync(context.path, 'utf8');
    const parsed = parseFile(context, text);
    const together = analyzeFile({ sourceFile: parsed.sourceFile, file: context, registry, workspace }, parsed.nodes);
    const reference = ts.createSourceFile(context.path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const input = { sourceFile: reference, file: context, registry, workspace };
    const alone = context.excluded ? [] : FILE_RULES.filter((rule) => ruleRunsOn(rule, input)).flatMap((rule) => rule.analyze(input));
    expect(together).toEqual(alone);
  });

  it('finds something in the file that exercises every rule', () => {
    const everything = files.find((file) => file.context.rel.endsWith('everything.ts'));
    if (everything === undefined) throw new Error('everything.ts not scanned');
    const { context, registry, workspace } = everything;
    const parsed = parseFile(context, readFileSync(context.path, 'utf8'));
    const rules = new Set(analyzeFile({ sourceFile: parsed.sourceFile, file: context, registry, workspace }, parsed.nodes).map((finding) => finding.rule));
    expect([...rules].sort()).toEqual(FILE_RULES.map((rule) => rule.id).sort());
  });
});
