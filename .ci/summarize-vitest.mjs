// Adds up the "Tests  N passed | M failed | K skipped" lines that vitest prints per package
// (turbo prefixes them and vitest colours them) into one closing line: "N passed, M failed, K skipped".
// A test file that fails before any test runs (an import error) counts in no test total, so failed
// files are counted too, and the packages whose test task failed (turbo's "Failed:" line, which also
// means turbo stopped the packages after it) are named.
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const totals = { passed: 0, failed: 0, skipped: 0 };
let failedFiles = 0;
const failedTasks = [];
for (const line of text.split('\n')) {
  const files = /^\S*:test:\s+Test Files\s+(.*)$/.exec(line);
  if (files) {
    const n = /(\d+) failed/.exec(files[1]);
    if (n) failedFiles += Number(n[1]);
    continue;
  }
  const failed = /^\s*Failed:\s+(.*)$/.exec(line);
  if (failed) failedTasks.push(...failed[1].split(/,\s*/).filter(Boolean));
  const m = /^\S*:test:\s+Tests\s+(.*)$/.exec(line);
  if (!m) continue;
  for (const key of Object.keys(totals)) {
    const n = new RegExp(`(\\d+) ${key}`).exec(m[1]);
    if (n) totals[key] += Number(n[1]);
  }
}
let summary = `tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;
if (failedFiles > 0) summary += `; ${failedFiles} test file(s) failed`;
if (failedTasks.length > 0) summary += `; failed tasks: ${failedTasks.join(', ')} (turbo stops the tasks after a failure, so some packages did not run)`;
console.log(summary);
