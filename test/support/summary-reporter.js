/**
 * Jest reporter that ends the run with one plain line, "N passed, N failed,
 * N skipped", which CI tooling reads beside jest's own summary, preceded by
 * the OpenAPI contract count: how many answers of the end-to-end suites were
 * validated against docs/openapi.json (test/support/openapi-contract.ts), and
 * how many of the document's operations and responses they exercised. The
 * figures are also written to .tmp/openapi-contract/summary.json.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const COUNT_DIR = path.join(ROOT, '.tmp/openapi-contract');
const DOCUMENT = path.join(ROOT, 'docs/openapi.json');

class SummaryReporter {
  onRunStart() {
    fs.rmSync(COUNT_DIR, { recursive: true, force: true });
  }

  onRunComplete(_contexts, results) {
    const contract = contractSummary();
    if (contract) {
      process.stdout.write(
        `\nOpenAPI contract: ${contract.answers} answers validated against docs/openapi.json, ` +
          `${contract.operationsExercised} of ${contract.operations} operations and ` +
          `${contract.responsesExercised} of ${contract.responses} documented responses exercised\n`,
      );
    }
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    process.stdout.write(
      `\n${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`,
    );
  }
}

/** Adds up the workers' counts; undefined when no answer was validated in this run. */
function contractSummary() {
  if (!fs.existsSync(COUNT_DIR)) return undefined;
  const byResponse = {};
  let answers = 0;
  for (const file of fs.readdirSync(COUNT_DIR)) {
    if (!/^\d+-[0-9a-f-]+\.json$/.test(file)) continue;
    const counts = JSON.parse(fs.readFileSync(path.join(COUNT_DIR, file), 'utf8'));
    answers += counts.answers;
    for (const [key, n] of Object.entries(counts.byResponse ?? {})) byResponse[key] = (byResponse[key] ?? 0) + n;
  }
  if (answers === 0) return undefined;
  const document = JSON.parse(fs.readFileSync(DOCUMENT, 'utf8'));
  let operations = 0;
  let responses = 0;
  let operationsExercised = 0;
  let responsesExercised = 0;
  for (const [template, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      operations++;
      let seen = false;
      for (const status of Object.keys(operation.responses)) {
        responses++;
        if (byResponse[`${method.toUpperCase()} ${template} ${status}`]) {
          responsesExercised++;
          seen = true;
        }
      }
      if (seen) operationsExercised++;
    }
  }
  const summary = { answers, operations, responses, operationsExercised, responsesExercised, byResponse };
  fs.writeFileSync(path.join(COUNT_DIR, 'summary.json'), JSON.stringify(summary, null, 2));
  return summary;
}

module.exports = SummaryReporter;
