#!/usr/bin/env node
// Packs every publishable package the way `changeset publish` would (`pnpm pack`, which also turns
// `workspace:` ranges into versions) and checks what a user would download:
//   - LICENSE (identical to the repo root's), package.json and README.md are in every tarball;
//   - every source map's `sources` resolve to files inside the same tarball (no dangling maps);
//   - no dependency range still says `workspace:`;
//   - every `exports` entry has a `default` condition, so require() (Node >= 20.19) resolves it.
// With PACK_CHECK_INSTALL=1 (or --install) it then installs, with npm, into a temp project outside
// the repo: first only the `grpojs` tarball and the @grpojs/* tarballs it depends on (they are not
// on the registry yet), where `npx grpojs --help` must print the usage — a user who installs
// `grpojs` gets the command; then the remaining tarballs, and loads every package from CommonJS
// (require) and ESM (import). Where only the umbrella is installed it also reports the size of
// node_modules (and the largest packages), fails if a part of the @tensorflow/tfjs umbrella we do not
// use (layers, converter, data, webgl) is installed, and runs a gradient step from ESM and CommonJS
// (tfjs-core's gradients are registered by @grpojs/model, not by tfjs). With everything installed
// (and @types/node, as a TypeScript user has), a consumer importing every package is type-checked
// with `strict` and WITHOUT skipLibCheck, once with the default tsconfig and once with `types`.
// On linux-x64 the @grpojs/accel tarball must carry its prebuilt addon (prebuilds/linux-x64/: the
// binary, its manifest and OpenBLAS's licence), and the install test runs npm and node with a PATH of
// only node, npm, npx and sh — no compiler, make, python or pkg-config, as on a fresh machine — then
// checks that nothing was compiled, that `ldd` shows no libopenblas or libstdc++, and that a fresh
// process has blasMatMulActive('wasm') and generate on the native decode engine, with no
// libopenblas mapped (docs/accel.md, "Prebuilt binary").
// The install needs the npm registry (and elsewhere a C++ toolchain for @grpojs/accel's addon) and takes about
// 1-2 minutes: it runs under CI=true (`bash .ci/run`) or with PACK_CHECK_INSTALL=1 (or --install);
// PACK_CHECK_INSTALL=0 skips it.
// Node built-ins and the system `tar` only: this runs before anything else is trusted.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const install =
  process.env.PACK_CHECK_INSTALL === '1' ||
  process.argv.includes('--install') ||
  (process.env.CI === 'true' && process.env.PACK_CHECK_INSTALL !== '0');
const keep = process.env.PACK_CHECK_KEEP === '1';
// Where @grpojs/accel ships a prebuilt addon, which the install test must use with no toolchain.
const PREBUILT_PLATFORM = process.platform === 'linux' && process.arch === 'x64';
const started = Date.now();
const problems = [];
const work = mkdtempSync(join(tmpdir(), 'grpojs-pack-check-'));
const rootLicense = existsSync(join(root, 'LICENSE')) ? readFileSync(join(root, 'LICENSE'), 'utf8') : null;
if (rootLicense === null) problems.push('LICENSE is missing at the repo root');

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);

const tarballs = [];
try {
  for (const { dir, manifest } of packages) {
    const name = manifest.name;
    const dest = join(work, 'tarballs');
    const out = execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, encoding: 'utf8' });
    const tgz = out.trim().split('\n').pop().trim();
    tarballs.push({ name, tgz, manifest });
    checkTarball(name, tgz);
  }
  console.log(`pack-check: ${packages.length} tarballs checked in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (install && problems.length === 0) installAndLoad();
} finally {
  if (keep) console.log(`pack-check: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`pack-check: ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`pack-check: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);

function checkTarball(name, tgz) {
  const entries = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\n')
    .filter((e) => e && !e.endsWith('/'))
    .map((e) => e.replace(/^package\//, ''));
  const files = new Set(entries);
  const where = `${name} (${tgz.split('/').pop()})`;

  for (const required of ['LICENSE', 'package.json', 'README.md']) {
    if (!files.has(required)) problems.push(`${where}: ${required} is missing; add it to "files" in packages/*/package.json`);
  }
  if (name === '@grpojs/accel' && PREBUILT_PLATFORM) {
    for (const file of ['grpojs_accel.node', 'grpojs_accel.json', 'OPENBLAS-LICENSE']) {
      if (!files.has(`prebuilds/linux-x64/${file}`)) {
        problems.push(`${where}: prebuilds/linux-x64/${file} is missing; its prepack (scripts/build-prebuilt.mjs) builds it, and says why it could not`);
      }
    }
  }

  const unpacked = join(work, 'unpacked', name.replace('/', '+'));
  execFileSync('mkdir', ['-p', unpacked]);
  execFileSync('tar', ['-xzf', tgz, '-C', unpacked]);
  const pkgRoot = join(unpacked, 'package');

  if (files.has('LICENSE') && readFileSync(join(pkgRoot, 'LICENSE'), 'utf8') !== rootLicense) {
    problems.push(`${where}: LICENSE differs from the repo root's LICENSE; copy the root file into the package`);
  }

  let dangling = 0;
  for (const entry of entries.filter((e) => e.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(join(pkgRoot, entry), 'utf8'));
    const base = posix.join(posix.dirname(entry), map.sourceRoot ?? '');
    for (const source of map.sources ?? []) {
      const target = posix.normalize(posix.join(base, source));
      if (!files.has(target)) {
        if (dangling < 3) problems.push(`${where}: ${entry} points at ${source}, which is not in the tarball (${target})`);
        dangling += 1;
      }
    }
  }
  if (dangling > 3) problems.push(`${where}: ${dangling - 3} more dangling source-map entries`);

  const packed = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8'));
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    for (const [dep, range] of Object.entries(packed[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${where}: ${field}.${dep} is still "${range}"`);
    }
  }
  for (const [subpath, target] of Object.entries(packed.exports ?? {})) {
    if (typeof target === 'object' && target !== null && !('default' in target)) {
      problems.push(`${where}: exports["${subpath}"] has no "default" condition, so require('${name}') fails`);
    }
  }
}

// A user's view: a fresh npm project outside the monorepo with nothing but the tarballs.
function installAndLoad() {
  const t0 = Date.now();
  const project = join(work, 'consumer');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-check-consumer', private: true }, null, 2));
  const env = PREBUILT_PLATFORM ? toolchainFreeEnv() : process.env;
  const run = (cmd, args) =>
    execFileSync(cmd, args, { cwd: project, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const npmInstall = (list) => {
    try {
      run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...list.map((t) => t.tgz)]);
      return true;
    } catch (err) {
      problems.push(`npm install of ${list.map((t) => t.name).join(', ')} failed:\n${err.stderr ?? err.message}`);
      return false;
    }
  };

  const umbrella = withWorkspaceDependencies('grpojs');
  if (!npmInstall(umbrella)) return;
  console.log(`pack-check: npm install of grpojs and its ${umbrella.length - 1} @grpojs/* tarballs took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  checkGrpojsBin(run);
  reportInstallSize(project);
  checkGradientStep(run);
  if (PREBUILT_PLATFORM) checkPrebuiltAddon(run, project);

  const rest = tarballs.filter((t) => !umbrella.includes(t));
  if (rest.length > 0 && !npmInstall(rest)) return;

  for (const { name } of tarballs) {
    const quoted = JSON.stringify(name);
    for (const [how, args] of [
      ['require (CommonJS)', ['-e', `require(${quoted})`]],
      ['import (ESM)', ['--input-type=module', '-e', `await import(${quoted})`]],
    ]) {
      try {
        run(process.execPath, args);
      } catch (err) {
        problems.push(`${name}: ${how} failed in a fresh project:\n${String(err.stderr ?? err.message).trim().split('\n').slice(0, 6).join('\n')}`);
      }
    }
  }

  typeCheckConsumer(project, run);
  console.log(`pack-check: install and load checks took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Prints node_modules' size on disk and its largest packages; fails if an unused tfjs package is there. */
function reportInstallSize(project) {
  const sizes = new Map(); // top-level package (or scope/name) -> bytes on disk
  const found = new Set(); // every installed @tensorflow/* package, nested ones too
  const walk = (dir) => {
    let bytes = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (basename(dir) === '@tensorflow' && basename(dirname(dir)) === 'node_modules') found.add(`@tensorflow/${entry.name}`);
        bytes += walk(path);
      } else {
        const st = lstatSync(path);
        bytes += st.blocks !== undefined ? st.blocks * 512 : st.size;
      }
    }
    return bytes;
  };
  const modules = join(project, 'node_modules');
  let total = 0;
  for (const entry of readdirSync(modules, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.'))) {
    const names = entry.name.startsWith('@') ? readdirSync(join(modules, entry.name)).map((n) => `${entry.name}/${n}`) : [entry.name];
    for (const name of names) {
      if (name.startsWith('@tensorflow/')) found.add(name);
      const bytes = walk(join(modules, name));
      sizes.set(name, bytes);
      total += bytes;
    }
  }
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  const largest = [...sizes].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, b]) => `${n} ${mb(b)}`);
  console.log(`pack-check: node_modules of a project with only grpojs installed: ${mb(total)} on disk, ${sizes.size} top-level packages; largest: ${largest.join(', ')}`);
  // The parts of the @tensorflow/tfjs umbrella that no package uses.
  const unusedTfjs = ['tfjs', 'tfjs-layers', 'tfjs-converter', 'tfjs-data', 'tfjs-backend-webgl'].map((p) => `@tensorflow/${p}`);
  const unused = unusedTfjs.filter((p) => found.has(p));
  if (unused.length > 0) {
    problems.push(`installing grpojs pulls in ${unused.join(', ')}, which no package uses; depend on @tensorflow/tfjs-core and the backends instead`);
  }
}

/**
 * The environment of a fresh machine with only Node: PATH is a folder with node, npm, npx and sh
 * (npm runs install scripts with sh), so no compiler, make, python or pkg-config can be found.
 */
function toolchainFreeEnv() {
  const bin = join(work, 'bin-node-only');
  mkdirSync(bin, { recursive: true });
  const onPath = (name) =>
    (process.env.PATH ?? '').split(':').map((dir) => join(dir, name)).find((file) => existsSync(file));
  for (const [name, target] of [['node', process.execPath], ['npm', onPath('npm')], ['npx', onPath('npx')], ['sh', '/bin/sh']]) {
    if (target === undefined) throw new Error(`pack-check: ${name} is not on PATH`);
    symlinkSync(target, join(bin, name));
  }
  const env = { ...process.env, PATH: bin };
  for (const name of ['CC', 'CXX', 'PYTHON', 'npm_config_python']) delete env[name];
  return env;
}

/**
 * @grpojs/accel's prebuilt addon, installed with no toolchain (toolchainFreeEnv): nothing was
 * compiled, the binary needs no libopenblas or libstdc++, and in a fresh process the BLAS matmuls
 * are on and generate runs on the native decode engine, with no libopenblas mapped.
 */
function checkPrebuiltAddon(run, project) {
  const accel = join(project, 'node_modules', '@grpojs', 'accel');
  const binary = join(accel, 'prebuilds', 'linux-x64', 'grpojs_accel.node');
  const before = problems.length;
  if (existsSync(join(accel, 'build', 'Release', 'grpojs_accel.node'))) {
    problems.push('installing @grpojs/accel compiled its addon although the tarball has a prebuilt one for linux-x64 (scripts/install.mjs)');
  }
  let libraries = '';
  try {
    libraries = execFileSync('ldd', [binary], { encoding: 'utf8' });
    if (/libopenblas|libstdc\+\+|not found/.test(libraries)) problems.push(`ldd ${binary} shows a library a fresh machine lacks:\n${libraries}`);
  } catch (err) {
    problems.push(`ldd ${binary} failed: ${String(err.stderr ?? err.message).trim()}`);
  }
  const script = `
    import { readFileSync } from 'node:fs';
    const { addonStatus } = await import('@grpojs/accel');
    const { blasMatMulActive, initBackend, loadCausalLM, makeGPT2Config, writeRandomGPT2Checkpoint } = await import('grpojs');
    const lines = [];
    await initBackend('wasm', { log: (line) => lines.push(line) });
    if (!blasMatMulActive('wasm')) throw new Error('blasMatMulActive("wasm") is false: ' + lines.join(' | '));
    const dir = ${JSON.stringify(join(project, 'tiny-gpt2'))};
    await writeRandomGPT2Checkpoint(dir, makeGPT2Config({ vocabSize: 8, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 }), 1);
    const decode = await (await loadCausalLM(dir)).decodePath();
    if (!decode.startsWith('generate: native decode engine')) throw new Error(decode);
    if (/libopenblas/.test(readFileSync('/proc/self/maps', 'utf8'))) throw new Error('a libopenblas is mapped into the process');
    const status = addonStatus();
    console.log([status.built ? status.file : status.reason, ...lines, decode].join('\\n'));`;
  try {
    const out = run(process.execPath, ['--input-type=module', '-e', script]).trim().split('\n');
    if (!out[0].endsWith('prebuilds/linux-x64/grpojs_accel.node')) problems.push(`@grpojs/accel loaded ${out[0]}, not its prebuilt binary`);
    if (problems.length === before) {
      const needed = [...libraries.matchAll(/^\s*(\S+)/gm)].map((m) => m[1]).join(' ');
      console.log(`pack-check: @grpojs/accel's prebuilt addon, installed with only node/npm on PATH (nothing compiled; ldd: ${needed}):`);
      for (const line of out.slice(1)) console.log(`pack-check:   ${line}`);
    }
  } catch (err) {
    problems.push(
      `@grpojs/accel's prebuilt addon does not give the BLAS matmuls and the native decode engine in a fresh project:\n${String(err.stderr ?? err.message).trim().split('\n').slice(0, 8).join('\n')}`,
    );
  }
}

/** A gradient and an optimizer step through grpojs' `tf` on the cpu backend, from ESM and from CommonJS. */
function checkGradientStep(run) {
  const body = `
    await initRuntime({ backend: 'cpu', accel: false, log: () => {} });
    const g = tf.grad((x) => x.square().sum())(tf.tensor1d([1, 2, 3]));
    const v = tf.variable(tf.tensor1d([1, -1]));
    tf.train.adam(0.1).minimize(() => v.square().sum(), false, [v]);
    const got = [...g.dataSync(), ...v.dataSync()].map((n) => n.toFixed(2)).join(' ');
    if (got !== '2.00 4.00 6.00 0.90 -0.90') throw new Error('gradient step gave ' + got + ', not 2.00 4.00 6.00 0.90 -0.90');`;
  const before = problems.length;
  for (const [how, args] of [
    ['ESM', ['--input-type=module', '-e', `const { initRuntime, tf } = await import('grpojs');${body}`]],
    ['CommonJS', ['-e', `const { initRuntime, tf } = require('grpojs'); (async () => {${body}})().catch((e) => { console.error(e); process.exit(1); });`]],
  ]) {
    try {
      run(process.execPath, args);
    } catch (err) {
      problems.push(`a gradient step through grpojs' tf (${how}) failed in a fresh project:\n${String(err.stderr ?? err.message).trim().split('\n').slice(0, 8).join('\n')}`);
    }
  }
  if (problems.length === before) console.log("pack-check: a gradient and an Adam step through grpojs' tf run from ESM and CommonJS");
}

/**
 * Type-checks a consumer that imports every package (and uses `tf` with a chained method) the way a
 * user's strict project does: `strict`, NodeNext, no skipLibCheck, so our .d.ts files and every
 * declaration file they pull in (tfjs-core's, ...) must be error-free — with the default tsconfig
 * (every installed @types package) and with `"types": ["node"]`.
 */
function typeCheckConsumer(project, run) {
  try {
    const range = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies['@types/node'];
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `@types/node@${range}`]);
  } catch (err) {
    problems.push(`npm install of @types/node for the type-check failed:\n${err.stderr ?? err.message}`);
    return;
  }
  const imports = tarballs.map(({ name }, i) => `import * as p${i} from ${JSON.stringify(name)};`).join('\n');
  const uses = tarballs.map((_, i) => `p${i}`).join(', ');
  writeFileSync(
    join(project, 'consumer.mts'),
    `${imports}\nimport { initBackend, tf } from 'grpojs';\n\n` +
      `await initBackend('cpu');\nconst total: tf.Scalar = tf.tensor1d([1, 2, 3]).square().sum();\n` +
      `console.log(total.dataSync()[0], [${uses}].map((p) => Object.keys(p).length));\n`,
  );
  const before = problems.length;
  const base = { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: false };
  for (const [label, extra] of [['default tsconfig', {}], ['"types": ["node"]', { types: ['node'] }]]) {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...base, ...extra }, files: ['consumer.mts'] }, null, 2));
    try {
      run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']); // not .bin/tsc: its sh shim needs sed and dirname
    } catch (err) {
      const errors = String(err.stdout ?? '').split('\n').filter((l) => l.includes('error TS'));
      problems.push(
        `a strict consumer (${label}, no skipLibCheck) does not type-check: ${errors.length} error(s):\n${errors.slice(0, 10).join('\n') || String(err.stderr ?? err.message).slice(0, 600)}`,
      );
    }
  }
  if (problems.length === before) {
    console.log('pack-check: a strict consumer of every package type-checks without skipLibCheck (default tsconfig and "types": ["node"])');
  }
}

/** The tarball of `name` and of every package of this repo it depends on, directly or not. */
function withWorkspaceDependencies(name) {
  const byName = new Map(tarballs.map((t) => [t.name, t]));
  const found = [];
  const visit = (dep) => {
    const tarball = byName.get(dep);
    if (tarball === undefined || found.includes(tarball)) return;
    found.push(tarball);
    for (const field of ['dependencies', 'optionalDependencies']) Object.keys(tarball.manifest[field] ?? {}).forEach(visit);
  };
  visit(name);
  return found;
}

/** In a project with only grpojs (and its @grpojs/* dependencies) installed, `npx grpojs --help` prints the usage. */
function checkGrpojsBin(run) {
  const others = tarballs.filter(({ name, manifest }) => name !== 'grpojs' && manifest.bin && 'grpojs' in manifest.bin).map((t) => t.name);
  if (others.length > 0) problems.push(`${others.join(', ')} also declare a \`grpojs\` bin; only the grpojs package may (one bin name, one package)`);
  try {
    const help = run('npx', ['--no-install', 'grpojs', '--help']);
    if (!/usage: grpojs/i.test(help)) problems.push(`npx grpojs --help (only grpojs installed) printed no usage:\n${help.slice(0, 400)}`);
  } catch (err) {
    problems.push(
      `npx grpojs --help failed in a project where only grpojs is installed; "bin" in packages/grpojs/package.json must name the built CLI:\n${String(err.stderr ?? err.message).slice(0, 600)}`,
    );
  }
}
