// Prints the BLAS compiler/linker flags that binding.gyp needs, because they differ by system:
// Debian/Ubuntu (libopenblas-dev: pkg-config openblas), Fedora (openblas-devel: /usr/include/openblas),
// macOS (Accelerate framework by default; Homebrew openblas when GRPOJS_BLAS=openblas).
// scripts/build-prebuilt.mjs sets GRPOJS_BLAS_STATIC (a libopenblas.a) and GRPOJS_BLAS_INCLUDE (its
// cblas.h folder): the BLAS is then linked into the addon, with libstdc++, and their symbols hidden
// (--exclude-libs), so the binary needs only glibc and libgcc_s and cannot clash with another BLAS
// loaded in the same process; `static` tells binding.gyp (1 or 0).
// Usage: node scripts/blas-flags.cjs kind|static|include|libs   (one item per line, as gyp's <!@ expects)
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** Output of `pkg-config <args> openblas`, or null when pkg-config or the .pc file is missing. */
function pkgConfig(args) {
  try {
    return execFileSync('pkg-config', [...args, 'openblas'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** 'accelerate' on macOS unless GRPOJS_BLAS=openblas asks for Homebrew's OpenBLAS; 'openblas' elsewhere. */
function kind() {
  if (process.platform !== 'darwin') return 'openblas';
  return process.env.GRPOJS_BLAS === 'openblas' ? 'openblas' : 'accelerate';
}

/** Homebrew's keg-only openblas prefix (Apple silicon or Intel), or null. */
function brewPrefix() {
  for (const p of ['/opt/homebrew/opt/openblas', '/usr/local/opt/openblas']) {
    if (fs.existsSync(path.join(p, 'include', 'cblas.h'))) return p;
  }
  return null;
}

function includeDirs() {
  if (process.env.GRPOJS_BLAS_INCLUDE) return [process.env.GRPOJS_BLAS_INCLUDE];
  const fromPc = pkgConfig(['--cflags-only-I']);
  if (fromPc) return fromPc.split(/\s+/).filter(Boolean).map((f) => f.replace(/^-I/, ''));
  const brew = brewPrefix();
  const candidates = [brew && path.join(brew, 'include'), '/usr/include/openblas', '/usr/local/include/openblas', '/opt/OpenBLAS/include'];
  return candidates.filter((d) => d && fs.existsSync(path.join(d, 'cblas.h')));
}

function libs() {
  const staticLib = process.env.GRPOJS_BLAS_STATIC;
  // libgcc_s stays shared: every glibc system that runs Node has it (Node needs it), and a static
  // libgcc's unwinder would need glibc 2.35 (_dl_find_object).
  if (staticLib) return [staticLib, '-lpthread', '-lm', '-static-libstdc++', '-Wl,--exclude-libs,ALL', '-s'];
  const fromPc = pkgConfig(['--libs']);
  const flags = fromPc ? fromPc.split(/\s+/).filter(Boolean) : ['-lopenblas'];
  if (!fromPc) {
    const brew = brewPrefix();
    if (brew) flags.unshift(`-L${path.join(brew, 'lib')}`);
  }
  // Keep the library directory on the addon's run path so a non-default OpenBLAS location still loads.
  const rpaths = flags.filter((f) => f.startsWith('-L')).map((f) => `-Wl,-rpath,${f.slice(2)}`);
  return [...flags, ...rpaths];
}

const what = process.argv[2];
const out = what === 'kind' ? [kind()] : what === 'static' ? [process.env.GRPOJS_BLAS_STATIC ? '1' : '0'] : what === 'include' ? includeDirs() : what === 'libs' ? libs() : null;
if (out === null) {
  process.stderr.write('usage: node scripts/blas-flags.cjs kind|static|include|libs\n');
  process.exit(2);
}
process.stdout.write(out.join('\n') + '\n');
