import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './paths';

/**
 * The Node flags in an npm script that runs node: the `--…` words right after `node`, up to the
 * script it runs (the first other word, a .js, .mjs or .cjs file). Throws for a script that does
 * not run node, and for one whose flags it cannot read so (a short flag such as `-r`, or a flag
 * whose value is a word of its own, which would pass for the script): a start script of another
 * shape fails the benchmark rather than starting the gateway without some of its flags.
 */
export function nodeFlagsOf(script: string): string[] {
  const words = script.trim().split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) throw new Error(`the start script does not run node: ${script}`);
  const flags: string[] = [];
  for (const word of words.slice(node + 1)) {
    if (word.startsWith('--')) {
      flags.push(word);
      continue;
    }
    if (word.startsWith('-')) throw new Error(`the start script passes node a short flag (${word}): write it as --name=value: ${script}`);
    if (!/\.[cm]?js$/.test(word)) throw new Error(`the start script's node runs ${word}, not a .js, .mjs or .cjs file (a flag's value as a word of its own? write --name=value): ${script}`);
    return flags;
  }
  throw new Error(`the start script's node runs no script: ${script}`);
}

/** The Node flags `npm start` gives the gateway (the root package.json's start script): the benchmark runs it with the same. */
export function gatewayNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const start = manifest.scripts?.['start'];
  if (start === undefined) throw new Error('the root package.json has no start script');
  return nodeFlagsOf(start);
}
