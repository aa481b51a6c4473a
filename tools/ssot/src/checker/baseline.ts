import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { BaselineError } from '../errors';
import { CATEGORIES, type Violation, violationKey } from './violation';

const BaselineEntrySchema = z.strictObject({
  category: z.enum(CATEGORIES),
  file: z.string().min(1),
  subject: z.string().min(1),
  count: z.int().min(1),
});
const BaselineFileSchema = z.strictObject({
  version: z.literal(1),
  tool: z.literal('agentwire-ssot'),
  violations: z.array(BaselineEntrySchema),
});
export type BaselineEntry = z.output<typeof BaselineEntrySchema>;

/**
 * The known violations of a codebase that is adopting the checker, by category, file and
 * subject (no line numbers, so unrelated edits do not churn it), with how many of each.
 */
export function readBaseline(file: string): BaselineEntry[] {
  if (!existsSync(file)) throw new BaselineError(file, 'no such file (record one with --update-baseline)');
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new BaselineError(file, `not JSON: ${(error as Error).message}`);
  }
  const parsed = BaselineFileSchema.safeParse(content);
  if (!parsed.success) throw new BaselineError(file, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return parsed.data.violations;
}

export function writeBaseline(file: string, entries: readonly BaselineEntry[]): void {
  const sorted = [...entries].sort((a, b) => a.file.localeCompare(b.file) || a.category.localeCompare(b.category) || a.subject.localeCompare(b.subject));
  writeFileSync(file, `${JSON.stringify({ version: 1, tool: 'agentwire-ssot', violations: sorted }, null, 2)}\n`);
}

/** Counts of today's violations: what a first --update-baseline records. */
export function recordBaseline(violations: readonly Violation[]): BaselineEntry[] {
  const counts = new Map<string, BaselineEntry>();
  for (const violation of violations) {
    const entry = counts.get(violation.key);
    if (entry === undefined) counts.set(violation.key, { category: violation.category, file: violation.file, subject: violation.subject, count: 1 });
    else entry.count += 1;
  }
  return [...counts.values()];
}

export interface BaselineComparison {
  /** The violations, with `baselined` set on those the baseline covers. */
  violations: Violation[];
  /** Entries (or parts of their counts) that no longer occur: fixed since the baseline was recorded. */
  stale: BaselineEntry[];
  /** The baseline with fixed violations removed and never anything added: the ratchet. */
  shrunk: BaselineEntry[];
}

/**
 * Marks as baselined, per key, as many violations as the baseline counts (earliest first);
 * the rest are new. Counts the baseline holds beyond today's are stale.
 */
export function compareWithBaseline(violations: readonly Violation[], entries: readonly BaselineEntry[]): BaselineComparison {
  const allowance = new Map(entries.map((entry) => [violationKey(entry.category, entry.file, entry.subject), entry.count]));
  const seen = new Map<string, number>();
  const marked = violations.map((violation) => {
    const used = seen.get(violation.key) ?? 0;
    seen.set(violation.key, used + 1);
    return { ...violation, baselined: used < (allowance.get(violation.key) ?? 0) };
  });
  const stale: BaselineEntry[] = [];
  const shrunk: BaselineEntry[] = [];
  for (const entry of entries) {
    const current = seen.get(violationKey(entry.category, entry.file, entry.subject)) ?? 0;
    if (current < entry.count) stale.push({ ...entry, count: entry.count - current });
    if (current > 0) shrunk.push({ ...entry, count: Math.min(current, entry.count) });
  }
  return { violations: marked, stale, shrunk };
}
