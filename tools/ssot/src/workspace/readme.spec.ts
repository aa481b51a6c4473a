import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '@agentwirejs/config';
import { packageDefaults } from './package-defaults.test-helpers';
import { workspaceRoot } from './workspace-root';

const readme = readFileSync(join(workspaceRoot(), 'README.md'), 'utf8');

describe('README', () => {
  it('opens with exactly two commands: run the gateway, run the tests', () => {
    const firstBlock = /^# agentwire\n\n```sh\n([\s\S]*?)\n```/.exec(readme);
    expect(firstBlock).not.toBeNull();
    const commands = (firstBlock?.[1] ?? '').split('\n').map((line) => line.replace(/#.*$/, '').trim());
    expect(commands).toEqual(['npm install && npm start', 'npm install && npm test']);
  });

  it('documents exactly the settings @agentwirejs/config reads, with their defaults (a package option\'s from the package that defines it)', () => {
    const rows = [...readme.matchAll(/^\| (AGENTWIRE_[A-Z_]+) \| ([^|]*) \|/gm)].map((m) => [m[1] as string, (m[2] as string).trim()] as const);
    expect(rows.map(([name]) => name).sort()).toEqual(Object.keys(SETTINGS).sort());
    const owned = packageDefaults();
    for (const [name, shown] of rows) {
      const fallback = SETTINGS[name as keyof typeof SETTINGS].default ?? owned.get(name as keyof typeof SETTINGS)?.value;
      if (fallback !== undefined) expect({ name, shown }).toEqual({ name, shown: String(fallback) });
    }
    expect(owned.size).toBeGreaterThan(0);
  });
});
