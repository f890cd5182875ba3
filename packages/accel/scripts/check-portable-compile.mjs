// Compiles every native/napi/*.cc (and so the kernels/*.h they include) for a non-x86 target (aarch64, with the cross compiler
// aarch64-linux-gnu-g++; Debian/Ubuntu: apt-get install g++-aarch64-linux-gnu) to object code that
// is thrown away, so that a stray AVX2 intrinsic or x86-only builtin outside cpu.h's guards fails
// here rather than on an ARM user's machine. Nothing is linked: the headers (Node's, node-addon-api's,
// this machine's cblas.h) are only parsed, and none of them is x86-specific.
//   node scripts/check-portable-compile.mjs      (pnpm --filter @grpojs/accel check:portable)
//   GRPOJS_CROSS_CXX=<compiler> picks another cross compiler (e.g. riscv64-linux-gnu-g++).
// Exits 0 with a message when the cross compiler is missing, 1 when a file fails to compile.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cxx = process.env.GRPOJS_CROSS_CXX || 'aarch64-linux-gnu-g++';

if (spawnSync(cxx, ['--version']).error) {
  console.log(`check:portable: skipped, ${cxx} is not installed (Debian/Ubuntu: apt-get install g++-aarch64-linux-gnu)`);
  process.exit(0);
}

/** Node's headers (node_api.h): the installed ones (<prefix>/include/node) or node-gyp's download cache. */
function nodeIncludeDir() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    join(process.env.HOME ?? '', '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
    join(process.env.HOME ?? '', '.node-gyp', process.versions.node, 'include', 'node'),
  ];
  return candidates.find((d) => existsSync(join(d, 'node_api.h'))) ?? null;
}

const nodeInclude = nodeIncludeDir();
if (nodeInclude === null) {
  console.error('check:portable: Node headers (node_api.h) not found; `npx node-gyp install` downloads them');
  process.exit(1);
}
const blas = spawnSync(process.execPath, [join(root, 'scripts', 'blas-flags.cjs'), 'include'], { encoding: 'utf8' });
const blasIncludes = (blas.stdout ?? '').split('\n').filter(Boolean);
if (!blasIncludes.some((d) => existsSync(join(d, 'cblas.h')))) {
  console.error('check:portable: cblas.h not found (scripts/blas-flags.cjs include); install libopenblas-dev');
  process.exit(1);
}
// node-addon-api's include_dir is relative to the current directory.
const addonInclude = resolve(createRequire(join(root, 'package.json'))('node-addon-api').include_dir.replace(/^"|"$/g, ''));

// binding.gyp's defines and flags, without optimisation (object code is the point, not speed).
const flags = [
  '-std=c++17', '-fopenmp-simd', '-fno-trapping-math', '-ffp-contract=off', '-fexceptions', '-Wall', '-O0',
  '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_DEPRECATED', '-DGRPOJS_OPENBLAS',
  `-I${addonInclude}`, `-I${nodeInclude}`, ...blasIncludes.map((d) => `-I${d}`),
];
const files = readdirSync(join(root, 'native', 'napi')).filter((f) => f.endsWith('.cc')).sort();
const target = spawnSync(cxx, ['-dumpmachine'], { encoding: 'utf8' }).stdout.trim();
console.log(`check:portable: compiling ${files.length} native/napi/*.cc files for ${target} with ${cxx}`);

/** Compiles one file; resolves to its compiler output and whether it succeeded. */
function compile(file) {
  return new Promise((resolve) => {
    const child = spawn(cxx, [...flags, '-c', join(root, 'native', 'napi', file), '-o', '/dev/null'], { cwd: root });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ file, ok: code === 0, output }));
  });
}

const started = Date.now();
const results = [];
const queue = [...files];
const workers = Array.from({ length: Math.min(2, availableParallelism()) }, async () => {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) results.push(await compile(file));
});
await Promise.all(workers);
results.sort((a, b) => a.file.localeCompare(b.file));
for (const r of results) {
  console.log(`  ${r.ok ? 'ok    ' : 'FAILED'} native/napi/${r.file}`);
  if (r.output.trim()) console.log(r.output.trimEnd().replace(/^/gm, '    '));
}
const failed = results.filter((r) => !r.ok);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failed.length > 0) {
  console.error(`check:portable: ${failed.length} of ${files.length} files failed to compile for ${target} (${seconds} s)`);
  process.exit(1);
}
console.log(`check:portable: all ${files.length} files compile for ${target} (${seconds} s)`);
