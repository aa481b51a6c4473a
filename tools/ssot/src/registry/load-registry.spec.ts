import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryError, RegistryNotFoundError } from '../errors';
import { ROOT_REGISTRY, writeWorkspace } from '../testing-workspaces.test-helpers';
import { findRegistryFile, loadRegistry, parseRegistry } from './load-registry';

const workspace = { projects: ['packages/*'] };
const concept = { name: 'ConnectionInfo', kind: 'class', owner: '@agentwirejs/types' };

function problems(content: unknown): string[] {
  try {
    parseRegistry(content, '/virtual/ssot.config.json');
  } catch (error) {
    if (error instanceof RegistryError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('the registry', () => {
  it("loads the repository's ssot.config.json with every concept DESIGN.md lists", () => {
    const registry = loadRegistry(ROOT_REGISTRY);
    const owners = Object.fromEntries(registry.concepts.map((c) => [c.name ?? c.description, c.owner]));
    expect(owners).toMatchObject({
      ConnectionInfo: '@agentwirejs/types',
      UserExecutionContext: '@agentwirejs/types',
      WebSocketManagerProtocol: '@agentwirejs/protocols',
      'the wire message schemas': '@agentwirejs/protocols',
      UnifiedWebSocketManager: '@agentwirejs/manager',
      MockWebSocketManager: '@agentwirejs/manager',
      MessageRouter: '@agentwirejs/router',
      AgentExecutionTracker: '@agentwirejs/execution-tracker',
      loadConfig: '@agentwirejs/config',
    });
    expect(registry.matchName('QualityMessageRouter')).toMatchObject({ role: 'alias', canonicalName: 'MessageRouter' });
    expect(registry.factoryOnly('WebSocketManager')?.factory).toBe('WebSocketManagerFactory');
    expect(registry.factoryOnly('AgentExecutionTracker')?.factory).toBe('getExecutionTracker');
    expect(registry.matchName('ServerEnvelopeSchema')?.concept.owner).toBe('@agentwirejs/protocols');
  });

  it('accepts a minimal registry and fills the defaults', () => {
    const registry = parseRegistry({ version: 1, workspace, concepts: [concept] }, '/virtual/ssot.config.json');
    expect(registry.data.check).toEqual({ maxViolations: 0, minScore: 0, structuralMinMembers: 3, scoreScale: 10, nearCopyThreshold: 0.7 });
    expect(registry.root).toBe('/virtual');
  });

  it('lists every problem with its place in the file', () => {
    expect(
      problems({
        version: 2,
        workspace: { projects: [] },
        concepts: [
          { name: 'ConnectionInfo', kind: 'klass', owner: 'Not A Package' },
          { name: 'A', pattern: '^A', kind: 'class', owner: '@x/y' },
          { kind: 'class', owner: '@x/y', pattern: '(' },
        ],
        imports: [{ specifier: '@x/old', status: 'deprecated' }],
        colour: 'blue',
      }),
    ).toEqual([
      'version: expected version 1',
      'concepts[0].kind: Invalid option: expected one of "class"|"interface"|"type"|"enum"|"const"|"function"|"schema"',
      'concepts[0].owner: expected an npm package name such as @scope/name',
      'concepts[1]: give exactly one of name and pattern',
      'concepts[2].pattern: not a valid regular expression',
      ': unknown key colour',
    ]);
  });

  it('rejects a name listed twice, as a name or an alias', () => {
    expect(
      problems({
        version: 1,
        workspace,
        concepts: [concept, { name: 'MessageRouter', kind: 'class', owner: '@x/router', aliases: ['ConnectionInfo'] }],
      }),
    ).toEqual(['concepts[1]: ConnectionInfo is already listed by concepts[0]']);
  });

  it('requires the shim of a deprecated entry and unique specifiers', () => {
    expect(
      problems({
        version: 1,
        workspace,
        concepts: [concept],
        imports: [
          { specifier: '@x/old', status: 'deprecated', replacement: '@x/new' },
          { specifier: '@x/old', status: 'forbidden' },
        ],
      }),
    ).toEqual(['imports[0].shim: a deprecated entry names the shim that serves it', 'imports[1].specifier: @x/old is listed twice']);
  });

  it('rejects a replacement or an entry that is itself forbidden', () => {
    expect(
      problems({
        version: 1,
        workspace,
        concepts: [{ ...concept, entry: '@x/old' }],
        imports: [
          { specifier: '@x/old', status: 'forbidden', replacement: '@x/older' },
          { specifier: '@x/older', status: 'forbidden', replacement: '@agentwirejs/types' },
        ],
      }),
    ).toEqual(["concepts[0]: its entry '@x/old' is itself a forbidden import", "imports[0].replacement: '@x/older' is itself a forbidden import"]);
  });

  it('says what is wrong with a file that is not JSON, and where no registry is', () => {
    const dir = writeWorkspace({});
    writeFileSync(join(dir, 'ssot.config.json'), '{ "version": 1,');
    expect(() => loadRegistry(join(dir, 'ssot.config.json'))).toThrow(/SSOT registry .*\n {2}\(file\): not JSON/);
    expect(() => findRegistryFile('/')).toThrow(RegistryNotFoundError);
  });

  it('follows extends: the base concepts and imports plus its own, its own workspace', () => {
    const dir = writeWorkspace({}, { imports: [{ specifier: '@legacy/core', status: 'forbidden', replacement: '@agentwirejs/manager' }] });
    const registry = loadRegistry(join(dir, 'ssot.config.json'));
    expect(registry.root).toBe(dir);
    expect(registry.data.workspace.projects).toEqual(['packages/*']);
    expect(registry.importRuleFor('@legacy/core')?.replacement).toBe('@agentwirejs/manager');
    expect(registry.importRuleFor('@agentwire/ws-types')?.replacement).toBe('@agentwirejs/types');
    expect(registry.matchName('ConnectionInfo')?.concept.owner).toBe('@agentwirejs/types');
  });

  it('reports a cycle of extends', () => {
    const dir = writeWorkspace({ 'other.json': JSON.stringify({ version: 1, extends: './ssot.config.json' }) }, { extends: './other.json' });
    expect(() => loadRegistry(join(dir, 'ssot.config.json'))).toThrow(/extends forms a cycle/);
  });

  it('matches import rules exactly or by the longest /* prefix', () => {
    const registry = parseRegistry(
      {
        version: 1,
        workspace,
        concepts: [concept],
        imports: [
          { specifier: '@legacy/core/*', status: 'forbidden', replacement: '@x/a' },
          { specifier: '@legacy/core/deep/*', status: 'forbidden', replacement: '@x/b' },
          { specifier: '@legacy/core', status: 'forbidden', replacement: '@x/c' },
        ],
      },
      '/virtual/ssot.config.json',
    );
    expect(['@legacy/core', '@legacy/core/x', '@legacy/core/deep/y', '@legacy/corex'].map((s) => registry.importRuleFor(s)?.replacement)).toEqual([
      '@x/c',
      '@x/a',
      '@x/b',
      undefined,
    ]);
  });
});
