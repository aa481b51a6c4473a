import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REDIS_DEFAULTS } from '@agentwirejs/backplane-redis';
import { TRACKER_DEFAULTS } from '@agentwirejs/execution-tracker';
import { MANAGER_DEFAULTS } from '@agentwirejs/manager';
import { workspaceRoot } from './workspace-root';

const UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1_000, min: 60_000, h: 3_600_000, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** A default as a README writes it (`1,000`, `5 min`, `1 MiB`, `true`, `` `agentwire:` ``, a trailing note in parentheses), as a value. */
function documentedValue(text: string): unknown {
  const plain = text.replace(/`/g, '').replace(/\s*\(.*\)\s*$/, '').trim();
  if (plain === 'true' || plain === 'false') return plain === 'true';
  const number = /^(\d[\d,]*(?:\.\d+)?)\s*(ms|s|min|h|KiB|MiB|GiB)?$/.exec(plain);
  if (number === null) return plain;
  return Number((number[1] ?? '').replace(/,/g, '')) * (UNITS[number[2] ?? ''] ?? 1);
}

/** The option → default column of a README's options table (rows `` | `name` | default | ... ``). */
function documentedDefaults(readmePath: string): Map<string, unknown> {
  const readme = readFileSync(join(workspaceRoot(), readmePath), 'utf8');
  return new Map([...readme.matchAll(/^\| `([A-Za-z]+)` \| ([^|]*) \|/gm)].map((row) => [row[1] as string, documentedValue(row[2] as string)]));
}

/**
 * Each option's default is defined once, in its package's *_DEFAULTS; the package README's
 * options table is checked against it, so the docs cannot drift from the code.
 */
describe.each([
  { readme: 'packages/manager/README.md', constant: 'MANAGER_DEFAULTS', defaults: MANAGER_DEFAULTS as Readonly<Record<string, unknown>> },
  { readme: 'packages/execution-tracker/README.md', constant: 'TRACKER_DEFAULTS', defaults: TRACKER_DEFAULTS as Readonly<Record<string, unknown>> },
  { readme: 'packages/backplane-redis/README.md', constant: 'REDIS_DEFAULTS', defaults: REDIS_DEFAULTS as Readonly<Record<string, unknown>> },
])('$readme', ({ readme, defaults }) => {
  it('documents every option of the package defaults with the value the package uses', () => {
    const documented = documentedDefaults(readme);
    for (const [option, value] of Object.entries(defaults)) expect({ option, documented: documented.get(option) }).toEqual({ option, documented: value });
  });
});

describe('documentedValue', () => {
  it('reads the ways the READMEs write defaults', () => {
    expect(['1,000', '5 min', '2.5 s', '24 h', '10 ms', '8 MiB', '256 KiB', 'true', '`agentwire:` (`{agentwire}:` on a Cluster)', '0 (none)', '30,000'].map(documentedValue)).toEqual([
      1000, 300_000, 2500, 86_400_000, 10, 8 * 1024 ** 2, 256 * 1024, true, 'agentwire:', 0, 30_000,
    ]);
  });
});
