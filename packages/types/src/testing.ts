/** @agentwirejs/types/testing: checks the packages' specs share, so no package writes them again. */
import { AgentwireError } from './errors';

/**
 * What is wrong with a package's error-code table (its one `as const` table of codes), given
 * its public entry and one instance of every error class the entry exports; empty when each code
 * is listed once, every exported AgentwireError class has a sample (and only those), every
 * sample's code is in the table, and every code belongs to a class.
 */
export function errorCodeTableProblems(
  entry: Readonly<Record<string, unknown>>,
  table: Readonly<Record<string, string>>,
  samples: readonly AgentwireError[],
): string[] {
  const problems: string[] = [];
  const codes = Object.values(table);
  const seen = new Set<string>();
  for (const code of codes) {
    if (seen.has(code)) problems.push(`code ${code} is listed twice`);
    seen.add(code);
  }
  const exported = new Set<unknown>(Object.values(entry).filter((value) => typeof value === 'function' && value.prototype instanceof AgentwireError));
  const sampled = new Set<unknown>(samples.map((error) => error.constructor));
  for (const errorClass of exported) if (!sampled.has(errorClass)) problems.push(`exported class ${(errorClass as { name: string }).name} has no sample`);
  for (const errorClass of sampled) if (!exported.has(errorClass)) problems.push(`sampled class ${(errorClass as { name: string }).name} is not exported`);
  for (const error of samples) if (!seen.has(error.code)) problems.push(`${error.name}: code ${error.code} is not in the table`);
  const used = new Set(samples.map((error) => error.code));
  for (const code of seen) if (!used.has(code)) problems.push(`code ${code} belongs to no class`);
  return problems;
}
