// Prints vitest's JSON result as one plain line, "tests: N passed, N failed, N skipped"; fails when nothing ran.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results.json';
let result;
try {
  result = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`no test results in ${file}: ${error.message}`);
  process.exit(1);
}
const passed = result.numPassedTests ?? 0;
const failed = (result.numFailedTests ?? 0) + (result.numFailedTestSuites ?? 0);
const skipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (skipped > 0) console.error(`${skipped} skipped test(s): a skipped test proves nothing`);
process.exit(failed === 0 && skipped === 0 && passed > 0 ? 0 : 1);
