import { join } from 'node:path';
import { RuleTester } from '@typescript-eslint/rule-tester';
import { workspaceRoot } from '../workspace/workspace-root';
import { rules } from './index';

/**
 * The rules read the real ssot.config.json and package manifests of this repository, so each
 * case names a (virtual) file inside a real package: the owner checks and deep-import checks
 * then run against the registry and exports maps that lint uses.
 */
const ruleTester = new RuleTester();
const root = workspaceRoot();

type Tests = Parameters<RuleTester['run']>[2];

/** Runs RuleTester on one of our rules by name. */
export function runRuleTests(name: string, tests: Tests): void {
  const rule = rules[name];
  if (rule === undefined) throw new Error(`no rule ${name}`);
  // @typescript-eslint/rule-tester pins its own copy of @typescript-eslint/utils, whose
  // RuleModule type is nominally different from ours though identical in shape.
  ruleTester.run(name, rule as unknown as Parameters<RuleTester['run']>[1], tests);
}

/** An absolute file name in this repository, e.g. inPackage('packages/router', 'src/x.ts'). */
export function inPackage(packageFolder: string, file = 'src/example.ts'): string {
  return join(root, packageFolder, file);
}
