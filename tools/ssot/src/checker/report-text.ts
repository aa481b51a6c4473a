import { relative } from 'node:path';
import type { CheckResult } from './run-check';
import { CATEGORIES, type Violation } from './violation';

/**
 * The human report: new violations grouped by category (at most `limit` per category; 0 shows
 * all), each with file:line:column, message and fix, then the summary with the score and its
 * formula. The limit affects only what is printed, never the counts or the score.
 */
export function formatTextReport(result: CheckResult, limit = 20): string {
  const lines: string[] = [`agentwire-ssot check: ${result.root} (registry ${relative(result.root, result.registryFile)})`];
  for (const category of CATEGORIES) {
    const all = result.violations.filter((v) => v.category === category);
    const shown = all.filter((v) => !v.baselined);
    if (all.length === 0) continue;
    const fixable = shown.filter((v) => v.fixable).length;
    const notes = [all.length > shown.length ? `${all.length - shown.length} baselined, not listed` : '', fixable > 0 ? `${fixable} fixable with agentwire-ssot migrate` : '']
      .filter((note) => note !== '')
      .join('; ');
    lines.push('', `${category}: ${shown.length}${notes === '' ? '' : ` (${notes})`}`);
    const visible = limit > 0 ? shown.slice(0, limit) : shown;
    for (const violation of visible) lines.push(...formatViolation(violation));
    if (visible.length < shown.length) lines.push(`  ... and ${shown.length - visible.length} more (--limit 0 lists all)`);
  }
  const counts = CATEGORIES.filter((c) => result.byCategory[c] > 0).map((c) => `${c} ${result.byCategory[c]}`);
  lines.push(
    '',
    'Summary',
    `  files scanned   ${result.files.scanned} (${result.files.source} source, ${result.files.test} test) in ${result.durationMs} ms`,
    `  violations      ${result.violations.length} in ${result.files.withViolations} files: ${result.newViolations} new, ${result.violations.length - result.newViolations} baselined`,
  );
  if (counts.length > 0) lines.push(`  by category     ${counts.join(', ')}`);
  lines.push(`  score           ${result.score.value}`, `                  ${result.score.formula}`);
  if (result.baseline !== null) {
    const stale = result.baseline.stale.reduce((sum, entry) => sum + entry.count, 0);
    lines.push(
      `  baseline        ${relative(result.root, result.baseline.file)}${result.baseline.written ? ' (written)' : ''}` +
        (stale > 0 ? `: ${stale} recorded violation${stale === 1 ? ' is' : 's are'} fixed; --update-baseline shrinks it` : ''),
    );
  }
  lines.push(`  result          ${result.passed ? 'PASS' : `FAIL: ${result.failures.join('; ')}`}`);
  return `${lines.join('\n')}\n`;
}

function formatViolation(violation: Violation): string[] {
  const lines = [`  ${violation.file}:${violation.line}:${violation.column}  ${violation.message}`, `      fix: ${violation.hint}`];
  for (const related of violation.related) lines.push(`      see: ${related.file}:${related.line}:${related.column} (${related.message})`);
  return lines;
}
