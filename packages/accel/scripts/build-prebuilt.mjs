// Builds the prebuilt addon that the published package carries, so `npm install @grpojs/accel` on
// Linux x64 needs no compiler and no system BLAS: prebuilds/linux-x64/grpojs_accel.node, with
// Debian's static OpenBLAS (pinned below, checked with dpkg; DYNAMIC_ARCH, so it picks its kernels
// for the CPU at run time, as the addon's own AVX2 paths do) and libstdc++ linked in and their
// symbols hidden, stripped: it needs glibc >= 2.34 and libgcc_s (which Node itself needs). Beside
// it: grpojs_accel.json (what it was built from and what it needs: the versions, flags, NEEDED
// libraries, the newest GLIBC_ and GCC_ symbol versions, sha256s) and
// OPENBLAS-LICENSE (Debian's copyright file of the static library: BSD-3-Clause and the rest).
// An unchanged build is kept (same sources, toolchain and OpenBLAS); --force rebuilds.
//   node scripts/build-prebuilt.mjs [--force]      (the package's build:prebuilt and prepack scripts)
// Other platforms have no prebuilt (yet): it says so and exits 0, and they build from source.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDON_FILE, MANIFEST_FILE, findNodeGyp, nodeGypRebuildArgs, prebuiltDir, readManifest, sourcesHash } from './prebuilt.mjs';

// The OpenBLAS the linux-x64 binary links: Debian 12's static pthread build. A new pin is a new
// prebuilt: update it together with docs/accel.md's numbers.
const OPENBLAS_PACKAGE = 'libopenblas-pthread-dev';
const OPENBLAS_VERSION = '0.3.21+ds-4';
// What the binary may load besides itself: glibc's libraries and libgcc_s (the unwinder, which
// every Node binary for glibc loads too). Anything else (libopenblas, libstdc++, libgfortran) would
// need the user to install it.
const ALLOWED_NEEDED = new Set(['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2', 'ld-linux-x86-64.so.2', 'libgcc_s.so.1']);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const target = `${process.platform}-${process.arch}`;

function fail(message) {
  console.error(`build-prebuilt: ${message}`);
  process.exit(1);
}
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const firstLine = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0].trim();

if (target !== 'linux-x64') {
  console.log(`build-prebuilt: no prebuilt for ${target}; this platform builds the addon from source at install (docs/accel.md)`);
  process.exit(0);
}

let installed;
try {
  installed = execFileSync('dpkg-query', ['-W', '-f=${Version}', OPENBLAS_PACKAGE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  installed = null;
}
if (installed !== OPENBLAS_VERSION) {
  fail(
    `the prebuilt links ${OPENBLAS_PACKAGE} ${OPENBLAS_VERSION} (Debian 12), but ${installed ? `${installed} is installed` : 'it is not installed'}; ` +
      `on Debian 12: apt-get install ${OPENBLAS_PACKAGE}=${OPENBLAS_VERSION} (or change OPENBLAS_VERSION in scripts/build-prebuilt.mjs on purpose)`,
  );
}
const packageFiles = execFileSync('dpkg', ['-L', OPENBLAS_PACKAGE], { encoding: 'utf8' }).split('\n');
const staticLib = packageFiles.find((f) => f.endsWith('/openblas-pthread/libopenblas.a'));
const header = packageFiles.find((f) => f.endsWith('/openblas-pthread/cblas.h'));
const copyright = `/usr/share/doc/${OPENBLAS_PACKAGE}/copyright`;
if (!staticLib || !header || !existsSync(copyright)) fail(`${OPENBLAS_PACKAGE} lacks libopenblas.a, cblas.h or its copyright file`);

// The same node-gyp whether run by pnpm (which points at its own copy) or not.
const nodeGyp = findNodeGyp(root, { packageManagers: false });
if (nodeGyp === null) fail('node-gyp was not found (it ships with npm)');
const toolchain = {
  compiler: firstLine(process.env.CXX || 'g++', ['--version']),
  nodeGyp: firstLine(process.execPath, [nodeGyp, '--version']),
  openblas: { package: OPENBLAS_PACKAGE, version: OPENBLAS_VERSION, staticLib, sha256: sha256(staticLib) },
};
const sources = sourcesHash(root);
const outDir = prebuiltDir(root);
const addon = join(outDir, ADDON_FILE);
const previous = readManifest(root);
if (
  !force &&
  existsSync(addon) &&
  previous?.sourcesSha256 === sources &&
  JSON.stringify(previous.toolchain) === JSON.stringify(toolchain) &&
  previous.sha256 === sha256(addon)
) {
  console.log(`build-prebuilt: ${addon} is up to date (--force rebuilds it)`);
  process.exit(0);
}

// node-gyp builds into ./build; a copy of the sources under build/ keeps the package's own
// build/Release (the install-time build against the system BLAS) untouched. A fixed folder keeps
// the output independent of where it ran.
const stage = join(root, 'build', 'prebuilt-stage');
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'scripts'), { recursive: true });
cpSync(join(root, 'native'), join(stage, 'native'), { recursive: true });
copyFileSync(join(root, 'binding.gyp'), join(stage, 'binding.gyp'));
copyFileSync(join(root, 'scripts', 'blas-flags.cjs'), join(stage, 'scripts', 'blas-flags.cjs'));
const env = { ...process.env, GRPOJS_BLAS_STATIC: staticLib, GRPOJS_BLAS_INCLUDE: dirname(header), SOURCE_DATE_EPOCH: '0' };
const started = Date.now();
const build = spawnSync(process.execPath, nodeGypRebuildArgs(nodeGyp), { cwd: stage, env, stdio: 'inherit' });
if (build.status !== 0) fail(`node-gyp exited with ${build.status ?? build.error?.message}`);
const linkFlags = execFileSync(process.execPath, [join(root, 'scripts', 'blas-flags.cjs'), 'libs'], { env, encoding: 'utf8' }).trim().split('\n');

mkdirSync(outDir, { recursive: true });
copyFileSync(join(stage, 'build', 'Release', ADDON_FILE), addon);
copyFileSync(copyright, join(outDir, 'OPENBLAS-LICENSE'));
rmSync(stage, { recursive: true, force: true });

// What the binary needs from the system, read from its dynamic section and symbol versions.
const needed = [...execFileSync('readelf', ['-d', addon], { encoding: 'utf8' }).matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]);
const versions = (prefix) =>
  [...new Set([...execFileSync('objdump', ['-T', addon], { encoding: 'utf8' }).matchAll(new RegExp(`\\b${prefix}_([0-9.]+)\\b`, 'g'))].map((m) => m[1]))].sort(
    (a, b) => a.localeCompare(b, undefined, { numeric: true }),
  );
const glibc = versions('GLIBC');
const glibcxx = versions('GLIBCXX');
const libgcc = versions('GCC');
const exported = execFileSync('nm', ['-D', '--defined-only', addon], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split(' ').pop());
const unexpected = needed.filter((n) => !ALLOWED_NEEDED.has(n));
if (unexpected.length > 0) fail(`${addon} needs ${unexpected.join(', ')}; it may need only ${[...ALLOWED_NEEDED].join(', ')}`);
if (glibcxx.length > 0) fail(`${addon} needs libstdc++ (GLIBCXX_${glibcxx.at(-1)}); it should link it statically`);
if (exported.some((s) => /^cblas_|^sgemm|^openblas_/.test(s))) fail(`${addon} exports OpenBLAS symbols; link with -Wl,--exclude-libs,ALL`);

// It must load and run here: one 2x2 sgemm.
const check = `
  const a = require(${JSON.stringify(addon)});
  const x = new Float32Array([1, 2, 3, 4]), out = new Float32Array(4), i = new Int32Array([0]);
  a.sgemm({ a: x, b: x, out, aIndex: i, bIndex: i, m: 2, n: 2, k: 2, transposeA: false, transposeB: false, bias: null, biasLength: 0, activation: 0, alpha: null, alphaLength: 0, leakyreluAlpha: 0 });
  if (out.join() !== '7,10,15,22') throw new Error('sgemm gave ' + out.join());
  process.stdout.write(a.blasInfo());`;
const blasInfo = execFileSync(process.execPath, ['-e', check], { encoding: 'utf8' }).trim();

const manifest = {
  file: ADDON_FILE,
  platform: process.platform,
  arch: process.arch,
  napiVersion: 8,
  sha256: sha256(addon),
  bytes: statSync(addon).size,
  sourcesSha256: sources,
  toolchain,
  linkFlags,
  needs: { libraries: needed, glibc: glibc.at(-1), libgcc_s: libgcc.at(-1) ?? null, glibcxx: null },
  blasInfo,
  licenses: {
    'OPENBLAS-LICENSE': 'OpenBLAS (BSD-3-Clause; Debian copyright file of the static library)',
    'libstdc++': 'GPL-3.0 with the GCC Runtime Library Exception (no notice required)',
  },
};
writeFileSync(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `build-prebuilt: ${addon} (${(manifest.bytes / 1e6).toFixed(1)} MB, needs ${needed.join(' ')}, GLIBC_${manifest.needs.glibc}; ${blasInfo}) ` +
    `in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
