import { pathToFileURL } from 'node:url';
import { TOOL_NAME, toolVersion } from '../version';
import type { CheckResult } from './run-check';
import { CATEGORIES, CATEGORY_DESCRIPTIONS, type Location } from './violation';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const ROOT_ID = '%SRCROOT%';

/** SARIF 2.1.0: one run, one rule per category, one result per violation, paths relative to %SRCROOT%. */
export function toSarif(result: CheckResult): Record<string, unknown> {
  const withBaseline = result.baseline !== null;
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: toolVersion(),
            rules: CATEGORIES.map((category) => ({
              id: category,
              shortDescription: { text: CATEGORY_DESCRIPTIONS[category] },
              defaultConfiguration: { level: 'error' },
            })),
          },
        },
        originalUriBaseIds: { [ROOT_ID]: { uri: pathToFileURL(`${result.root}/`).href } },
        results: result.violations.map((violation) => ({
          ruleId: violation.category,
          ruleIndex: CATEGORIES.indexOf(violation.category),
          level: 'error',
          message: { text: `${violation.message}\nFix: ${violation.hint}` },
          locations: [{ physicalLocation: physical(violation) }],
          ...(violation.related.length === 0
            ? {}
            : { relatedLocations: violation.related.map((related, id) => ({ id, message: { text: related.message }, physicalLocation: physical(related) })) }),
          partialFingerprints: { 'ssotKey/v1': violation.key },
          ...(withBaseline ? { baselineState: violation.baselined ? 'unchanged' : 'new' } : {}),
        })),
        properties: { score: result.score.value, scoreFormula: result.score.formula, filesScanned: result.files.scanned },
      },
    ],
  };
}

function physical(location: Location): Record<string, unknown> {
  return {
    artifactLocation: { uri: encodeURI(location.file), uriBaseId: ROOT_ID },
    region: { startLine: location.line, startColumn: location.column, endLine: location.endLine, endColumn: location.endColumn },
  };
}
