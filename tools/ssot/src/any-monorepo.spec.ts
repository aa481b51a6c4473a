import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tsParser from '@typescript-eslint/parser';
import { type ESLint, Linter } from 'eslint';
import ts from 'typescript';
import { moduleReferences } from './analysis';
import { runCheck } from './checker';
import { recommendedRules, ssotPlugin } from './eslint';
import { DEFAULT_RULE_HINTS } from './registry';
import { REPO_ROOT } from './testing-workspaces.test-helpers';

const FIXTURE = join(REPO_ROOT, 'tools/ssot/fixtures/any-monorepo');
const PACKAGE_ROOT = join(REPO_ROOT, 'tools/ssot');

const lintConfig: Linter.Config[] = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tsParser },
    plugins: { ssot: ssotPlugin as unknown as ESLint.Plugin },
    rules: recommendedRules(),
  },
];

describe('in a monorepo that is not this one', () => {
  const result = runCheck({ cwd: FIXTURE });
  const hintOf = (category: string) => result.violations.find((v) => v.category === category)?.hint;

  it("gives each concept's own fix text from the registry", () => {
    expect(hintOf('factory-only')).toBe('use the Cart that openCart() from @shop/cart returns');
  });

  it("names a pattern concept's family and owner, never a schema the owner does not have", () => {
    expect(hintOf('canonical-definitions')).toBe("delete this const and import the order schemas of @shop/orders from '@shop/orders'");
    expect(hintOf('canonical-definitions')).not.toContain('RefundOrderSchema');
  });

  it("takes the rules' hints from the registry", () => {
    expect(hintOf('no-module-singletons')).toBe("provide it through the shop's service locator (see docs/services.md)");
    expect(hintOf('no-hardcoded-config')).toBe('add it to settings.yaml and read it through @shop/settings');
  });

  it('mentions nothing of agentwire in any message or hint', () => {
    const text = result.violations.map((v) => `${v.message} ${v.hint}`).join('\n');
    expect(text).not.toMatch(/agentwire|tsyringe|loadConfig|container/i);
  });

  it('defaults, when the registry gives no hint, to advice that assumes no particular library', () => {
    expect(Object.values(DEFAULT_RULE_HINTS).join(' ')).not.toMatch(/agentwire|tsyringe|loadConfig|container/i);
  });

  it('reports a file that does not parse, with the first error, instead of scanning it silently', () => {
    const broken = result.violations.filter((v) => v.category === 'syntax-errors');
    expect(broken).toEqual([expect.objectContaining({ file: 'libs/web/src/broken.ts', line: 2, message: expect.stringMatching(/does not parse \(TS1005/) })]);
  });
});

describe('a registry that leaves the workspace to the package manager', () => {
  const workspaceWith = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ssot-manifests-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };
  const registry = JSON.stringify({ version: 1, concepts: [{ name: 'Cart', kind: 'class', owner: '@shop/cart' }] });

  it('needs no workspace section: the packages come from package.json workspaces', () => {
    const dir = workspaceWith({
      'ssot.config.json': registry,
      'package.json': JSON.stringify({ private: true, workspaces: ['libs/*'] }),
      'libs/cart/package.json': JSON.stringify({ name: '@shop/cart' }),
      'libs/cart/src/index.ts': 'export class Cart { add(): void {} }\n',
      'libs/web/package.json': JSON.stringify({ name: '@shop/web' }),
      'libs/web/src/cart.ts': 'export class Cart { add(): void {} }\n',
    });
    try {
      const result = runCheck({ cwd: dir });
      expect(result.files.scanned).toBe(2);
      expect(result.violations.map((v) => `${v.file} ${v.category}`)).toEqual(['libs/web/src/cart.ts canonical-definitions']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so when no package is found at all, rather than passing with nothing checked', () => {
    const dir = workspaceWith({ 'ssot.config.json': registry, 'src/cart.ts': 'export class Cart {}\n' });
    try {
      expect(() => runCheck({ cwd: dir })).toThrow(expect.objectContaining({ code: 'SSOT_NO_PACKAGES', message: expect.stringContaining('No package found in') }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the line and column of a registry that is not JSON', () => {
    const dir = workspaceWith({ 'ssot.config.json': '{\n  "version": 1,\n  "concepts": [],\n}\n' });
    try {
      expect(() => runCheck({ cwd: dir })).toThrow(/not JSON: .*\(line 4, column 1\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ESLint with the plugin and no registry', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ssot-no-registry-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports one finding per file saying why the rules are off, and does not crash', () => {
    const file = join(dir, 'src/a.ts');
    mkdirSync(join(dir, 'src'));
    writeFileSync(file, 'export class UnifiedWebSocketManager {}\n');
    const messages = new Linter({ configType: 'flat', cwd: dir }).verify(readFileSync(file, 'utf8'), lintConfig, file);
    expect(messages).toEqual([
      expect.objectContaining({ ruleId: 'ssot/canonical-definitions', line: 1, message: expect.stringMatching(/^ssot rules are off for this file: no ssot\.config\.json in its folder or any folder above it/) }),
    ]);
  });

  it('reports an invalid registry the same way, with its problems', () => {
    const sub = join(dir, 'invalid');
    mkdirSync(join(sub, 'src'), { recursive: true });
    writeFileSync(join(sub, 'ssot.config.json'), JSON.stringify({ version: 1, concepts: [] }));
    const file = join(sub, 'src/a.ts');
    writeFileSync(file, 'export const a = 1;\n');
    const messages = new Linter({ configType: 'flat', cwd: sub }).verify(readFileSync(file, 'utf8'), lintConfig, file);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.message).toMatch(/^ssot rules are off for this file: Invalid SSOT registry .*concepts: list at least one concept/s);
  });
});

describe('the published package', () => {
  const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const declared = new Set([...Object.keys(manifest['dependencies'] ?? {}), ...Object.keys(manifest['peerDependencies'] ?? {})]);
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

  /** Bare specifiers of the shipped code (sources that are not tests), as a consumer's install resolves them. */
  function shippedSpecifiers(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && /\.ts$/.test(entry.name) && !/\.(spec|test-helpers)\.ts$/.test(entry.name))
      .flatMap((entry) => {
        const path = join(entry.parentPath, entry.name);
        const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
        return moduleReferences(source).map((reference) => reference.specifier.text);
      })
      .filter((specifier) => !specifier.startsWith('.') && !builtins.has(specifier));
  }

  it('declares every package its code and its types import', () => {
    const undeclared = [...new Set(shippedSpecifiers(join(PACKAGE_ROOT, 'src')).map(packageOf))].filter((name) => !declared.has(name));
    expect(undeclared).toEqual([]);
  });
});
