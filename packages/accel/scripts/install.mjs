// Install-time setup of the native addon. It must never fail the install: a machine where neither
// works still gets a working package that runs the plain tfjs kernels.
//   1. A local build newer than its sources is kept (every `pnpm install` in the workspace runs this).
//   2. The prebuilt binary for this platform (prebuilds/<platform>-<arch>/, scripts/build-prebuilt.mjs;
//      linux-x64 in the published package) is used when it was built from these sources and loads
//      here (tried in a child process): nothing is compiled, so no compiler or BLAS is needed.
//   3. Otherwise node-gyp builds it from source against the system BLAS. On failure the reason goes
//      to build/install-error.txt, where src/native.ts finds it to tell the user why the BLAS
//      matmul is off.
//   node scripts/install.mjs [--verbose] [--force]      --force (build:native) skips 1 and 2,
//   GRPOJS_ACCEL_BUILD_FROM_SOURCE=1 skips 2, GRPOJS_ACCEL_SKIP_BUILD=1 skips 3.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findMissing, installNotice, systemProbes } from './install-notice.mjs';
import { ADDON_FILE, findNodeGyp, nodeGypRebuildArgs, prebuiltDir, readManifest, sourceFiles, sourcesHash } from './prebuilt.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const errorFile = join(root, 'build', 'install-error.txt');
const verbose = process.argv.includes('--verbose');
const force = process.argv.includes('--force');
const fromSource = force || process.env.GRPOJS_ACCEL_BUILD_FROM_SOURCE === '1';
const addonFile = join(root, 'build', 'Release', ADDON_FILE);
const prebuiltFile = join(prebuiltDir(root), ADDON_FILE);

// A checkout of the grpojs monorepo (not under node_modules) is a pnpm workspace package.
const inWorkspace = !realpathSync(root).split(sep).includes('node_modules');

/** The BLAS include directories binding.gyp would use (scripts/blas-flags.cjs). */
function blasIncludeDirs() {
  const out = spawnSync(process.execPath, [join(root, 'scripts', 'blas-flags.cjs'), 'include'], { encoding: 'utf8' });
  return (out.stdout ?? '').split('\n').filter(Boolean);
}

/**
 * Records why the addon is missing (read at run time) and prints a one-line notice naming what is
 * missing on this machine (only probed after a failed build: `probe`) and the rebuild command.
 */
function giveUp(reason, probe = false) {
  const missing = probe ? findMissing(systemProbes(blasIncludeDirs())) : [];
  const cause = missing.length > 0 ? `missing ${missing.map((m) => m.what).join(', ')}` : reason.split('\n')[0];
  const first = prebuiltWhy ? `${cause}; the prebuilt addon did not load either: ${prebuiltWhy}` : cause;
  mkdirSync(dirname(errorFile), { recursive: true });
  writeFileSync(errorFile, `${first}\n\n${reason}\n`);
  console.warn(installNotice({ reason, missing, prebuilt: prebuiltWhy, userAgent: process.env.npm_config_user_agent, inWorkspace }));
  process.exit(0);
}

/** True when the built addon is newer than every file it is built from. */
function upToDate() {
  if (!existsSync(addonFile)) return false;
  const built = statSync(addonFile).mtimeMs;
  return sourceFiles(root).every((f) => statSync(join(root, f)).mtimeMs < built);
}

/**
 * null when this platform's prebuilt addon was built from these sources and loads here (in a child
 * process, so that a binary that crashes cannot take the install down), else why not.
 */
function prebuiltProblem() {
  const name = relative(root, prebuiltFile);
  if (readManifest(root)?.sourcesSha256 !== sourcesHash(root)) return `${name} was built from other sources (scripts/build-prebuilt.mjs rebuilds it)`;
  const probe = `try { require(${JSON.stringify(prebuiltFile)}).blasInfo(); } catch (e) { process.stderr.write(e.message); process.exit(1); }`;
  const loaded = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60_000 });
  if (loaded.status === 0) return null;
  const why = loaded.stderr.trim().split('\n')[0] || (loaded.signal ? `killed by ${loaded.signal}` : `exit code ${loaded.status}`);
  return `${name} failed to load: ${why}`;
}

if (!force && upToDate()) {
  console.log('@grpojs/accel: BLAS addon up to date (node scripts/install.mjs --force rebuilds it)');
  process.exit(0);
}
let prebuiltWhy = null; // why this platform's prebuilt addon is not used, when there is one
if (!fromSource && existsSync(prebuiltFile)) {
  prebuiltWhy = prebuiltProblem();
  if (prebuiltWhy === null) {
    // A local build is loaded first (src/native.ts); one older than its sources must not be.
    rmSync(addonFile, { force: true });
    rmSync(errorFile, { force: true });
    console.log(`@grpojs/accel: using the prebuilt addon ${relative(root, prebuiltFile)}; nothing to compile`);
    process.exit(0);
  }
}
if (process.env.GRPOJS_ACCEL_SKIP_BUILD === '1') giveUp('GRPOJS_ACCEL_SKIP_BUILD=1 was set at install time');

const nodeGyp = findNodeGyp(root);
if (nodeGyp === null) giveUp('node-gyp was not found (it ships with npm; install npm or node-gyp)', true);

const result = spawnSync(process.execPath, nodeGypRebuildArgs(nodeGyp), {
  cwd: root,
  encoding: 'utf8',
  stdio: verbose ? 'inherit' : 'pipe',
  timeout: 300_000,
});
if (result.status !== 0) {
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  // The most telling line: a missing header/library first, else the first line that says error.
  const lines = output.split('\n');
  const firstError =
    lines.find((line) => /fatal error|cannot find -l|No such file|not found/i.test(line)) ??
    lines.find((line) => /error/i.test(line)) ??
    '';
  const why = result.error ? result.error.message : `node-gyp exited with ${result.status}`;
  giveUp(`${why}${firstError ? `: ${firstError.trim()}` : ''}\n\n${output.slice(-4000)}`, true);
}
rmSync(errorFile, { force: true });
console.log(`@grpojs/accel: BLAS addon built from source${prebuiltWhy ? ` (${prebuiltWhy})` : ''}`);
