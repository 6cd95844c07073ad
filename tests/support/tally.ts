// Adds up Jest's report and cucumber-js's reports (one per testbed target) into the one closing line CI
// reads: "Tests: N passed, N failed, N skipped". Exits 1 when a report is missing, anything failed, or
// nothing ran.
import { existsSync, readFileSync } from 'node:fs';

interface JestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numRuntimeErrorTestSuites: number;
}
interface CucumberFeature {
  elements?: { type: string; steps: { result: { status: string } }[] }[];
}

const [jestPath, ...testbedPaths] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;

function addJest(jest: JestReport): void {
  passed += jest.numPassedTests;
  failed += jest.numFailedTests + jest.numRuntimeErrorTestSuites;
  skipped += jest.numPendingTests + jest.numTodoTests;
}

if (jestPath && existsSync(jestPath)) addJest(JSON.parse(readFileSync(jestPath, 'utf8')) as JestReport);
else missing++;

for (const testbedPath of testbedPaths) {
  if (!existsSync(testbedPath)) {
    missing++;
    continue;
  }
  const features = JSON.parse(readFileSync(testbedPath, 'utf8')) as CucumberFeature[] | JestReport;
  // a further Jest report (the e2e suites' TLS pass) among the testbed's
  if (!Array.isArray(features)) {
    addJest(features);
    continue;
  }
  const scenarios = features
    .flatMap((feature) => feature.elements ?? [])
    .filter((element) => element.type === 'scenario');
  for (const scenario of scenarios) {
    const statuses = scenario.steps.map((step) => step.result.status);
    if (statuses.every((status) => status === 'passed')) passed++;
    else if (
      statuses.some((status) => status === 'failed' || status === 'undefined' || status === 'ambiguous')
    )
      failed++;
    else skipped++;
  }
}

if (missing > 0) console.error(`tally: ${missing} report(s) missing: a suite did not run to the end`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing > 0 || passed === 0 ? 1 : 0);
