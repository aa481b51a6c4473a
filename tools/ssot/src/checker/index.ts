export { SCORE_FORMULA, runCheck } from './run-check';
export type { CheckOptions, CheckResult } from './run-check';
export { CheckErrorReportSchema, CheckReportSchema, toJsonErrorReport, toJsonReport } from './report-json';
export type { CheckReport } from './report-json';
export { toSarif } from './report-sarif';
export { formatTextReport } from './report-text';
export { CATEGORIES, CATEGORY_DESCRIPTIONS } from './violation';
export type { Category, Location, RelatedLocation, Violation } from './violation';
export type { BaselineEntry } from './baseline';
