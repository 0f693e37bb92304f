/**
 * Jest reporter that ends the run with one plain line, "N passed, N failed,
 * N skipped", which CI tooling reads beside jest's own summary.
 */
'use strict';

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    process.stdout.write(
      `\n${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`,
    );
  }
}

module.exports = SummaryReporter;
