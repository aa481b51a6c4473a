export { applyEdits, formatMigrateReport, runMigrate } from './run-migrate';
export type { MigrateOptions, MigrateResult, MigratedFile, UnfixedImport } from './run-migrate';
