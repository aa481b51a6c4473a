// Writes each project's test counts to .test-results/<project>.json so `npm test` can print
// one closing line for the whole workspace.
const fs = require('node:fs');
const path = require('node:path');

class JestSummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(contexts, results) {
    const outDir = path.join(__dirname, '..', '..', '.test-results');
    fs.mkdirSync(outDir, { recursive: true });
    // the file is named after the Nx project (each jest.config sets displayName to it), which is
    // what nx.json declares as the test target's output, so cached runs restore it
    const [context] = contexts;
    const displayName = context && context.config.displayName;
    const project = (displayName && (displayName.name || displayName)) || path.basename(this.rootDir);
    const summary = {
      project,
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      skipped: results.numPendingTests + results.numTodoTests,
      suitesFailed: results.numFailedTestSuites + results.numRuntimeErrorTestSuites,
    };
    fs.writeFileSync(path.join(outDir, `${project}.json`), `${JSON.stringify(summary)}\n`);
  }
}

module.exports = JestSummaryReporter;
