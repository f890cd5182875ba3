#!/usr/bin/env node
/**
 * Compiles every ```ts block of the READMEs (the root's and each package's) and of docs/*.md with
 * `tsc --strict`, as a consumer of the built packages would: each package's README inside that
 * package (so its own name and its dependencies resolve as they do for a user), the root README
 * and docs/*.md inside the umbrella `grpojs` (docs/accel.md inside packages/accel, which the
 * umbrella does not depend on). A snippet that no longer compiles fails CI, so the READMEs and docs cannot rot. No
 * skipLibCheck: what a snippet imports must type-check in a strict project that checks libraries.
 * A block opened with ```ts signatures is an API listing (`name(args): Result` lines), not a
 * program: each name at the start of a line must be exported by that package (so a rename fails).
 * A block opened with ```ts nocheck is left out (a fragment that cannot compile alone); the count
 * of those is printed, and the text around each should say why it is one.
 * Usage: node .ci/check-snippets.mjs   (after `pnpm build`)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
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
// docs/*.md mix packages (data.md loads a tokenizer from @grpojs/model), so they compile in the
// umbrella, which depends on them all; docs/<name>.md of a package it does not depend on (accel,
// an optional dependency of @grpojs/model) compiles in packages/<name>.
const umbrella = JSON.parse(readFileSync(join(root, 'packages/grpojs/package.json'), 'utf8'));
for (const doc of readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'))) {
  const name = doc.replace(/\.md$/, '');
  const own = join(root, 'packages', name);
  const inUmbrella = name === 'grpojs' || `@grpojs/${name}` in (umbrella.dependencies ?? {}) || !existsSync(join(own, 'package.json'));
  readmes.push([join(root, 'docs', doc), inUmbrella ? join(root, 'packages/grpojs') : own]);
}

const failures = [];
let count = 0;
let signatures = 0;
let skipped = 0;
const started = performance.now();
// One tsc run per package folder (the root README and the docs without a package share grpojs).
const byDir = new Map();
for (const [readme, dir] of readmes) byDir.set(dir, [...(byDir.get(dir) ?? []), readme]);
for (const [dir, docs] of byDir) {
  const out = join(dir, SNIPPETS);
  rmSync(out, { recursive: true, force: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const files = [];
  for (const readme of docs) {
    const folder = join(out, relative(root, readme).replace(/[/.]/g, '-'));
    // The package a signature listing documents: @grpojs/<name> for docs/<name>.md, else the folder's.
    const named = `@grpojs/${basename(readme, '.md')}`;
    const documented = dirname(readme).endsWith('docs') && named in (manifest.dependencies ?? {}) ? named : manifest.name;
    mkdirSync(folder, { recursive: true });
    const blocks = [...readFileSync(readme, 'utf8').matchAll(/^```ts( nocheck| signatures)?\n([\s\S]*?)^```/gm)];
    blocks.forEach(([, marker, code], i) => {
      const file = join(folder, `snippet-${i + 1}.ts`);
      if (marker === ' nocheck') {
        skipped += 1;
        return;
      }
      if (marker === ' signatures') {
        // An API listing (`name(args): Result` lines), not a program: the names it documents at the
        // start of a line must still be exported by the package, so a rename or removal fails here.
        const names = new Set();
        for (const line of code.split('\n')) {
          const m = /^(?:new |interface |type |class |function |const )?([A-Za-z_$][\w$]*)\b(?!\.)/.exec(line);
          if (m) names.add(m[1]);
        }
        signatures += 1;
        writeFileSync(file, `import { ${[...names].join(', ')} } from '${documented}';\nexport {};\n`);
      } else {
        count += 1;
        // `export {}` makes each snippet a module, so top-level await compiles as in an .mjs file.
        writeFileSync(file, `${code}\nexport {};\n`);
      }
      files.push(file);
    });
  }
  if (files.length === 0) continue;
  const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', ...files];
  try {
    execFileSync(tsc, args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    failures.push(`${docs.map((d) => relative(root, d)).join(', ')} (compiled in ${relative(root, dir)}; ${SNIPPETS}/<file>/snippet-<n>.ts is the n-th ts block):\n${output}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`check-snippets: ${failures.length} package folder(s) with a README or docs snippet that does not compile:\n\n${failures.join('\n\n')}`);
  process.exit(1);
}
console.log(
  `check-snippets: ${count} README and docs snippets compile (strict, no skipLibCheck) and ${signatures} signature listings name exports, in ${seconds} s; ${skipped} marked nocheck`,
);
