import { writeWorkspace } from '../testing-workspaces.test-helpers';
import { runCheck } from './run-check';

const entry = { specifier: '@agentwirejs/manager/legacy', status: 'deprecated', replacement: '@agentwirejs/manager', shim: 'packages/manager/src/legacy.ts' };
const canonical = 'export class UnifiedWebSocketManager {}\n';
const warning = "process.emitWarning('deprecated', { type: 'DeprecationWarning', code: 'X' });\n";

function problems(shim: string | undefined): string[] {
  const files: Record<string, string> = { 'packages/manager/src/unified.ts': canonical };
  if (shim !== undefined) files['packages/manager/src/legacy.ts'] = shim;
  return runCheck({ cwd: writeWorkspace(files, { imports: [entry] }) })
    .violations.filter((v) => v.category === 'deprecated-entry-points')
    .map((v) => `${v.file}:${v.line} ${v.message}`);
}

describe('deprecated entry points', () => {
  it('accept a shim that marks every export @deprecated and warns at load', () => {
    expect(problems(`import { UnifiedWebSocketManager } from './unified';\n/** @deprecated use UnifiedWebSocketManager */\nexport const WebSocketManager = UnifiedWebSocketManager;\n${warning}`)).toEqual([]);
  });

  it('report an export without @deprecated JSDoc', () => {
    expect(problems(`/** @deprecated */\nexport { UnifiedWebSocketManager } from './unified';\n// @deprecated is not JSDoc here\nexport { UnifiedWebSocketManager as Old } from './unified';\n${warning}`)).toEqual([
      "packages/manager/src/legacy.ts:4 this export of deprecated entry '@agentwirejs/manager/legacy' has no @deprecated JSDoc",
    ]);
  });

  it('report a shim that never warns, or warns with another type', () => {
    const shim = "/** @deprecated */\nexport { UnifiedWebSocketManager } from './unified';\nprocess.emitWarning('old', 'Warning');\n";
    expect(problems(shim)).toEqual(["packages/manager/src/legacy.ts:1 the shim of deprecated entry '@agentwirejs/manager/legacy' does not emit a DeprecationWarning when loaded"]);
  });

  it('report a missing shim at the registry', () => {
    expect(problems(undefined)).toEqual(["ssot.config.json:1 deprecated entry '@agentwirejs/manager/legacy' names the shim packages/manager/src/legacy.ts, which does not exist"]);
  });
});
