// Adds up the "Tests  N passed | M failed | K skipped" lines that vitest prints per package
// (turbo prefixes them and vitest colours them) into one closing line: "N passed, M failed, K skipped".
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of text.split('\n')) {
  const m = /^\S*:test:\s+Tests\s+(.*)$/.exec(line);
  if (!m) continue;
  for (const key of Object.keys(totals)) {
    const n = new RegExp(`(\\d+) ${key}`).exec(m[1]);
    if (n) totals[key] += Number(n[1]);
  }
}
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
