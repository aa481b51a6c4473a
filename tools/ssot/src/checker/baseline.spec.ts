import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaselineError } from '../errors';
import { copyLegacyFixture } from '../testing-workspaces.test-helpers';
import { runCheck } from './run-check';

describe('the baseline ratchet', () => {
  it('records today, then fails only on new violations, by key and count, whatever the lines', () => {
    const dir = copyLegacyFixture();
    const baselineFile = join(dir, 'ssot-baseline.json');
    const adopt = runCheck({ cwd: dir, baselineFile, updateBaseline: true, minScore: 0 });
    expect({ written: adopt.baseline?.written, new: adopt.newViolations, passed: adopt.passed }).toEqual({ written: true, new: 0, passed: true });
    // a baseline hides nothing from the score
    expect(adopt.score.value).toBe(31.2);
    const recorded = JSON.parse(readFileSync(baselineFile, 'utf8')) as { violations: { file: string; subject: string; count: number }[] };
    expect(recorded.violations.find((e) => e.file === 'apps/chat/src/handlers.ts')).toEqual({
      category: 'forbidden-imports',
      file: 'apps/chat/src/handlers.ts',
      subject: '@legacy/websocket-core',
      count: 2,
    });

    // moving code around changes nothing
    const handlers = join(dir, 'apps/chat/src/handlers.ts');
    writeFileSync(handlers, `\n\n${readFileSync(handlers, 'utf8')}`);
    expect(runCheck({ cwd: dir, baselineFile, minScore: 0 }).passed).toBe(true);

    // a third import of the same path in the same file is new, as is a new endpoint elsewhere
    appendFileSync(handlers, "export { WebSocketManager as Again } from '@legacy/websocket-core';\n");
    writeFileSync(join(dir, 'apps/chat/src/extra.ts'), "export const ADMIN_URL = 'http://localhost:9000';\n");
    const grown = runCheck({ cwd: dir, baselineFile, minScore: 0 });
    expect(grown.violations.filter((v) => !v.baselined).map((v) => `${v.file}:${v.line} ${v.subject}`)).toEqual([
      'apps/chat/src/extra.ts:1 http://localhost:9000',
      'apps/chat/src/handlers.ts:13 @legacy/websocket-core',
    ]);
    expect(grown.failures).toEqual(['2 new violations (at most 0 allowed)']);
  });

  it('reports fixed violations as stale and shrinks, never grows, on --update-baseline', () => {
    const dir = copyLegacyFixture();
    const baselineFile = join(dir, 'ssot-baseline.json');
    runCheck({ cwd: dir, baselineFile, updateBaseline: true });
    const settings = join(dir, 'apps/chat/src/settings.ts');
    writeFileSync(settings, readFileSync(settings, 'utf8').replace("export const API_URL = 'http://localhost:8000';\n", ''));
    writeFileSync(join(dir, 'apps/chat/src/extra.ts'), "export const ADMIN = 'localhost:9000';\n");

    const fixedOne = runCheck({ cwd: dir, baselineFile, minScore: 0 });
    expect(fixedOne.baseline?.stale).toEqual([{ category: 'no-hardcoded-config', file: 'apps/chat/src/settings.ts', subject: 'http://localhost:8000', count: 1 }]);
    expect(fixedOne.newViolations).toBe(1);

    runCheck({ cwd: dir, baselineFile, updateBaseline: true, minScore: 0 });
    const entries = (JSON.parse(readFileSync(baselineFile, 'utf8')) as { violations: { subject: string }[] }).violations.map((e) => e.subject);
    expect(entries).not.toContain('http://localhost:8000');
    expect(entries).not.toContain('localhost:9000');
    // 22 violations under 21 keys (two share one) when recorded, one fixed since
    expect(entries).toHaveLength(20);
    const after = runCheck({ cwd: dir, baselineFile, minScore: 0 });
    expect({ stale: after.baseline?.stale, new: after.newViolations }).toEqual({ stale: [], new: 1 });
  });

  it('refuses a baseline it did not write, and a missing one unless asked to record it', () => {
    const dir = copyLegacyFixture();
    const baselineFile = join(dir, 'baseline.json');
    expect(() => runCheck({ cwd: dir, baselineFile })).toThrow(/no such file \(record one with --update-baseline\)/);
    writeFileSync(baselineFile, JSON.stringify({ version: 1, tool: 'other', violations: [] }));
    expect(() => runCheck({ cwd: dir, baselineFile })).toThrow(BaselineError);
  });
});
