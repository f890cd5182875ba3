#!/usr/bin/env node
/**
 * Compiles every ```ts block of the READMEs (the root's and each package's) with `tsc --strict`,
 * as a consumer of the built packages would: each package's README inside that package (so its
 * own name and its dependencies resolve as they do for a user), the root README inside the
 * umbrella `grpojs`. A snippet that no longer compiles fails CI, so the READMEs cannot rot.
 * skipLibCheck stays on: tfjs' own declaration files do not pass a strict check (docs say so).
 * Usage: node .ci/check-snippets.mjs   (after `pnpm build`)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules/.bin/tsc');
const SNIPPETS = '.readme-snippets';

/** [README, the package folder its snippets compile in] */
const readmes = [[join(root, 'README.md'), join(root, 'packages/grpojs')]];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const readme = join(root, 'packages', pkg, 'README.md');
  if (existsSync(readme)) readmes.push([readme, join(root, 'packages', pkg)]);
}

const failures = [];
let count = 0;
const started = performance.now();
for (const [readme, dir] of readmes) {
  const blocks = [...readFileSync(readme, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  if (blocks.length === 0) continue;
  const out = join(dir, SNIPPETS);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const files = blocks.map((code, i) => {
    const file = join(out, `snippet-${i + 1}.ts`);
    // `export {}` makes each snippet a module, so top-level await compiles as in an .mjs file.
    writeFileSync(file, `${code}\nexport {};\n`);
    return file;
  });
  count += files.length;
  const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', ...files];
  try {
    execFileSync(tsc, args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    failures.push(`${relative(root, readme)} (compiled in ${relative(root, dir)}):\n${output}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`check-snippets: ${failures.length} README(s) with a snippet that does not compile:\n\n${failures.join('\n\n')}`);
  process.exit(1);
}
console.log(`check-snippets: ${count} README snippets compile (strict) in ${seconds} s`);
