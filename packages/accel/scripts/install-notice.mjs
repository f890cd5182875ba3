// What the install notice says when the addon did not build: which prerequisite is actually
// missing (a C++ compiler, python for node-gyp, the BLAS header cblas.h) and the rebuild command of
// the package manager that ran the install. Pure functions over injected probes, so the wording is
// unit-tested (test/install-notice.test.ts) without a broken machine.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** 'pnpm', 'yarn', 'bun' or 'npm', from npm_config_user_agent ("pnpm/10.3.0 npm/? node/v22 linux x64"). */
export function packageManager(userAgent) {
  const name = /^(\w+)\//.exec(userAgent ?? '')?.[1];
  return name === 'pnpm' || name === 'yarn' || name === 'bun' ? name : 'npm';
}

/**
 * The command that rebuilds the addon. In the grpojs monorepo the package is a workspace package,
 * which `pnpm rebuild` skips, so the package's own build:native script is the way there.
 */
export function rebuildCommand({ userAgent, inWorkspace }) {
  if (inWorkspace) return 'pnpm --filter @grpojs/accel build:native';
  const pm = packageManager(userAgent);
  return pm === 'bun' ? 'bun pm trust @grpojs/accel' : `${pm} rebuild @grpojs/accel`;
}

/**
 * The prerequisites node-gyp needs that this machine lacks, each with how to get it.
 * probes: { platform, env, onPath(name) → boolean, exists(file) → boolean, blasIncludeDirs: string[] }
 */
export function findMissing({ platform, env, onPath, exists, blasIncludeDirs }) {
  const missing = [];
  const compilers = env.CXX ? [env.CXX.split(/\s+/)[0]] : ['c++', 'g++', 'clang++'];
  if (!compilers.some((c) => onPath(c) || exists(c))) {
    missing.push({
      what: 'a C++ compiler',
      how: platform === 'darwin' ? 'xcode-select --install' : 'build-essential (Debian/Ubuntu) or gcc-c++ make (Fedora)',
    });
  }
  const python = env.npm_config_python || env.PYTHON;
  if (!(python ? onPath(python) || exists(python) : onPath('python3') || onPath('python'))) {
    missing.push({ what: 'python 3 (node-gyp runs it)', how: platform === 'darwin' ? 'xcode-select --install' : 'python3' });
  }
  const accelerate = platform === 'darwin' && env.GRPOJS_BLAS !== 'openblas';
  const dirs = [...blasIncludeDirs, '/usr/include', '/usr/local/include', '/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu'];
  if (!accelerate && !dirs.some((d) => exists(join(d, 'cblas.h')))) {
    missing.push({
      what: 'the OpenBLAS headers (cblas.h)',
      how: platform === 'darwin' ? 'brew install openblas' : 'libopenblas-dev (Debian/Ubuntu) or openblas-devel (Fedora)',
    });
  }
  return missing;
}

/**
 * The one-line notice printed when the build failed: why the prebuilt binary was not used (when
 * there is one for this platform), what is missing (or the build's error), then the rebuild command.
 */
export function installNotice({ reason, missing, prebuilt, userAgent, inWorkspace }) {
  const head =
    `@grpojs/accel: BLAS addon not built; matmuls will use the plain tfjs kernels.` +
    (prebuilt ? ` The prebuilt addon was not used (${prebuilt}) and building from source failed.` : '');
  const what =
    missing.length > 0
      ? ` ${missing.map((m) => `Missing ${m.what}: install ${m.how}.`).join(' ')}`
      : ` Reason: ${reason.split('\n')[0]}.`;
  return `${head}${what} Then rebuild: ${rebuildCommand({ userAgent, inWorkspace })}`;
}

/** findMissing's probes on this machine. */
export function systemProbes(blasIncludeDirs) {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? ['', '.exe', '.cmd'] : [''];
  return {
    platform: process.platform,
    env: process.env,
    onPath: (name) => pathDirs.some((d) => exts.some((e) => existsSync(join(d, name + e)))),
    exists: existsSync,
    blasIncludeDirs,
  };
}
