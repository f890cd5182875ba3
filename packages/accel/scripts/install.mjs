// Install-time build of the BLAS addon (node-gyp). It must never fail the install: a machine
// without BLAS headers or a compiler still gets a working package that runs the plain tfjs
// kernels. On failure the reason goes to build/install-error.txt, where src/native.ts finds it to
// tell the user why the BLAS matmul is off.
// An addon newer than its sources is kept (every `pnpm install` in the workspace runs this script);
// --force rebuilds anyway.
//   node scripts/install.mjs [--verbose] [--force]      GRPOJS_ACCEL_SKIP_BUILD=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findMissing, installNotice, systemProbes } from './install-notice.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const errorFile = join(root, 'build', 'install-error.txt');
const verbose = process.argv.includes('--verbose');
const force = process.argv.includes('--force');
const addonFile = join(root, 'build', 'Release', 'grpojs_accel.node');

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
  const first = missing.length > 0 ? `missing ${missing.map((m) => m.what).join(', ')}` : reason.split('\n')[0];
  mkdirSync(dirname(errorFile), { recursive: true });
  writeFileSync(errorFile, `${first}\n\n${reason}\n`);
  console.warn(installNotice({ reason, missing, userAgent: process.env.npm_config_user_agent, inWorkspace }));
  process.exit(0);
}

/** The node-gyp entry script: the one npm/pnpm point at, a local install, or npm's bundled copy. */
function findNodeGyp() {
  const fromEnv = process.env.npm_config_node_gyp;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  try {
    return createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    return existsSync(bundled) ? bundled : null;
  }
}

/** True when the built addon is newer than every file it is built from. */
function upToDate() {
  if (!existsSync(addonFile)) return false;
  const built = statSync(addonFile).mtimeMs;
  const native = readdirSync(join(root, 'native')).map((f) => join('native', f));
  const sources = [...native, 'binding.gyp', 'scripts/blas-flags.cjs'].map((f) => join(root, f));
  return sources.every((f) => statSync(f).mtimeMs < built);
}

if (!force && upToDate()) {
  console.log('@grpojs/accel: BLAS addon up to date (node scripts/install.mjs --force rebuilds it)');
  process.exit(0);
}
if (process.env.GRPOJS_ACCEL_SKIP_BUILD === '1') giveUp('GRPOJS_ACCEL_SKIP_BUILD=1 was set at install time');

const nodeGyp = findNodeGyp();
if (nodeGyp === null) giveUp('node-gyp was not found (it ships with npm; install npm or node-gyp)', true);

const args = [nodeGyp, 'rebuild'];
// Offline machines cannot download Node's headers; a Node installed with its headers (distro
// packages, official tarballs) has them under <prefix>/include/node, which node-gyp accepts as nodedir.
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}

const result = spawnSync(process.execPath, args, {
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
console.log('@grpojs/accel: BLAS addon built');
