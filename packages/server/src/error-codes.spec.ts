import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BackplaneRedisErrorCode } from '@agentwirejs/backplane-redis';
import { ConfigErrorCode } from '@agentwirejs/config';
import { TrackerErrorCode } from '@agentwirejs/execution-tracker';
import { ManagerErrorCode } from '@agentwirejs/manager';
import { ProtocolsErrorCode } from '@agentwirejs/protocols';
import { RouterErrorCode } from '@agentwirejs/router';
import { TypesErrorCode } from '@agentwirejs/types';

/** The gateway's own sources: what ships, not its tests. */
function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'e2e' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.test-helpers.ts') ? [path] : [];
  });
}

const PACKAGE_ERROR_CODES: readonly string[] = [
  TypesErrorCode,
  ConfigErrorCode,
  ProtocolsErrorCode,
  RouterErrorCode,
  ManagerErrorCode,
  TrackerErrorCode,
  BackplaneRedisErrorCode,
].flatMap((table) => Object.values(table));

// An upper-case error code written as a string literal on either side of an equality, or as a case label.
const CODE_LITERAL = String.raw`['"\x60][A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+['"\x60]`;
const LITERAL_COMPARISON = new RegExp(String.raw`(?:[!=]==?\s*${CODE_LITERAL})|(?:${CODE_LITERAL}\s*[!=]==?)|(?:\bcase\s+${CODE_LITERAL})`);

describe('the gateway branches on the error code tables of the packages', () => {
  const files = sourceFiles(__dirname).map((path) => ({ name: relative(__dirname, path), lines: readFileSync(path, 'utf8').split('\n') }));

  it('scans the gateway sources (handlers.ts and session.ts among them)', () => {
    expect(files.map((file) => file.name)).toEqual(expect.arrayContaining(['handlers.ts', 'session.ts']));
  });

  it('compares no error code against an upper-case string literal', () => {
    const comparisons = files.flatMap(({ name, lines }) =>
      lines.flatMap((line, index) => (LITERAL_COMPARISON.test(line) ? [`${name}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(comparisons).toEqual([]);
  });

  it('spells no code of a package table as a literal or a map key: it names the constant', () => {
    const spelled = files.flatMap(({ name, lines }) =>
      lines.flatMap((line, index) =>
        PACKAGE_ERROR_CODES.some((code) => new RegExp(String.raw`['"\x60]${code}['"\x60]|^\s*${code}\s*:`).test(line)) ? [`${name}:${index + 1}: ${line.trim()}`] : [],
      ),
    );
    expect(spelled).toEqual([]);
  });
});
