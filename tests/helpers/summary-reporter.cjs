// Jest reporter: writes {passed, failed} to .jest-results.json so .ci/run can print its closing line.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    writeFileSync(join(this.rootDir, '.jest-results.json'), JSON.stringify({ passed: results.numPassedTests, failed, total: results.numTotalTests }));
  }
}

module.exports = SummaryReporter;
