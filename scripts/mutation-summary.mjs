// Prints the mutation score of every package `pnpm mutation` ran and of all of them together, from
// the mutation.json reports Stryker wrote (mutation-testing-report-schema), computed as Stryker does:
// (killed + timed out) / (killed + timed out + survived + no coverage); errors and ignored mutants
// are left out. A package without a report is named, not silently skipped.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const packages = readdirSync(join(root, 'packages')).filter((name) => {
  const manifest = join(root, 'packages', name, 'package.json');
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).scripts?.mutation !== undefined;
});

const total = { detected: 0, undetected: 0 };
for (const name of packages) {
  const file = join(root, 'packages', name, 'reports', 'mutation', 'mutation.json');
  if (!existsSync(file)) {
    console.log(`mutation: ${name}: no report (${file}); run pnpm --filter ./packages/${name} mutation`);
    continue;
  }
  const counts = {};
  for (const source of Object.values(JSON.parse(readFileSync(file, 'utf8')).files ?? {})) {
    for (const mutant of source.mutants ?? []) counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
  }
  const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const undetected = (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
  total.detected += detected;
  total.undetected += undetected;
  const score = detected + undetected === 0 ? NaN : (100 * detected) / (detected + undetected);
  console.log(`mutation: ${name}: ${score.toFixed(2)}% (${detected} detected, ${counts.Survived ?? 0} survived, ${counts.NoCoverage ?? 0} without coverage)`);
}
const all = total.detected + total.undetected;
if (all > 0) console.log(`mutation: all configured modules: ${((100 * total.detected) / all).toFixed(2)}% (${total.detected} of ${all} mutants detected)`);
