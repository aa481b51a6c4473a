import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './paths';

/**
 * The Node flags in an npm script that runs node: the `--…` words right after `node`, up to the
 * script it runs. Throws for a script that does not run node, so a start script of another shape
 * fails the benchmark rather than starting the gateway without its flags.
 */
export function nodeFlagsOf(script: string): string[] {
  const words = script.trim().split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) throw new Error(`the start script does not run node: ${script}`);
  const flags: string[] = [];
  for (const word of words.slice(node + 1)) {
    if (!word.startsWith('--')) break;
    flags.push(word);
  }
  return flags;
}

/** The Node flags `npm start` gives the gateway (the root package.json's start script): the benchmark runs it with the same. */
export function gatewayNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const start = manifest.scripts?.['start'];
  if (start === undefined) throw new Error('the root package.json has no start script');
  return nodeFlagsOf(start);
}
