// Loads the native addon and says why when it cannot. Two places, the first that loads wins:
//   build/Release/grpojs_accel.node           built from source (exists only when the install built
//                                             it: no prebuilt for this platform, or one that did not
//                                             load, or a forced source build)
//   prebuilds/<platform>-<arch>/grpojs_accel.node  the prebuilt binary of the published package
//                                             (scripts/build-prebuilt.mjs; prebuildify's layout)
// The install script (scripts/install.mjs) records a failed build in build/install-error.txt.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The activation codes the addon's epilogue understands (native/napi/accel.cc, enum Activation). */
export const ACTIVATION_CODES = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  prelu: 4,
  leakyrelu: 5,
  sigmoid: 6,
} as const;

/**
 * A tensor's memory as the addon's kernels take it: the ArrayBuffer that holds it (the wasm heap,
 * or a cpu-backend typed array's buffer) and the byte offset of its first value. Nothing is copied;
 * the addon checks that the values it reads and writes fit in the buffer (native/napi/napi-region.h).
 * A Float32Array or Int32Array is one.
 */
export interface NativeRegion {
  buffer: ArrayBufferLike;
  byteOffset: number;
}

/**
 * The addon's vocab-sized kernels (native/napi/vocab.cc has the exact contract). Every native function
 * takes one named options object (native/napi/napi-options.h reads each field by name).
 */
export interface AddonVocab {
  /**
   * Per row of logits [rows, vocab] with z = logits · invT: logp = z[target] − logsumexp(z), and
   * when not null entropy = −Σ p log p and grad [rows, vocab] = (onehot(target) − p) · invT.
   */
  logSoftmaxGather(options: {
    logits: NativeRegion;
    targets: NativeRegion;
    rows: number;
    vocab: number;
    invT: number;
    logp: NativeRegion;
    entropy: NativeRegion | null;
    grad: NativeRegion | null;
  }): void;
  /**
   * A token drawn from softmax(logits / temperature) over the scaled logits ≥ threshold, given u,
   * one uniform draw in [0, 1): the same arithmetic as @grpojs/model's sampleToken.
   */
  sampleRow(options: { logits: NativeRegion; vocab: number; temperature: number; threshold: number; u: number }): number;
}

/** The addon's gelu_new kernels (native/napi/gelu.cc): `size` floats each. */
export interface AddonGelu {
  /** out = gelu_new(x). */
  geluNew(options: { x: NativeRegion; out: NativeRegion; size: number }): void;
  /** out = dy · gelu_new'(x). */
  geluNewGrad(options: { x: NativeRegion; dy: NativeRegion; out: NativeRegion; size: number }): void;
}

/** The addon's functions (see native/napi/accel.cc for the exact contract of each field). */
export interface BlasAddon extends AddonVocab, AddonGelu {
  /**
   * For each i < aIndex.length: out[i] = op(a[aIndex[i]]) · op(b[bIndex[i]]) (+ bias, activation),
   * blocks [m, k], [k, n] and [m, n] row-major and contiguous; bias and the prelu weights `alpha`
   * of length 1 or n (null when unused).
   */
  sgemm(options: {
    a: NativeRegion;
    b: NativeRegion;
    out: NativeRegion;
    aIndex: Int32Array;
    bIndex: Int32Array;
    m: number;
    n: number;
    k: number;
    transposeA: boolean;
    transposeB: boolean;
    bias: NativeRegion | null;
    biasLength: number;
    activation: number;
    alpha: NativeRegion | null;
    alphaLength: number;
    leakyreluAlpha: number;
  }): void;
  /** Sets the BLAS thread count when n > 0; returns the count in effect (0: not settable). */
  setThreads(n: number): number;
  /** The BLAS build string, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... MAX_THREADS=64". */
  blasInfo(): string;
}

/** `file`: the addon that loaded (a local build or the prebuilt binary). */
export type AddonLoad = { ok: true; addon: BlasAddon; file: string } | { ok: false; reason: string };

/**
 * How to rebuild the addon: `pnpm rebuild` (or npm's) where the package is a dependency; in the grpojs
 * monorepo it is a workspace package, which `pnpm rebuild` skips, so its build:native script.
 */
export const REBUILD_HINT = '`pnpm rebuild @grpojs/accel` (`npm rebuild @grpojs/accel` under npm; in the grpojs monorepo `pnpm --filter @grpojs/accel build:native`)';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
let cached: AddonLoad | undefined;

/** Loads the addon once; never throws. */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const candidates = [
    join(packageRoot, 'build', 'Release', 'grpojs_accel.node'),
    join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'grpojs_accel.node'),
  ].filter((file) => existsSync(file));
  const failures: string[] = [];
  for (const file of candidates) {
    try {
      cached = { ok: true, addon: createRequire(import.meta.url)(file) as BlasAddon, file };
      return cached;
    } catch (error) {
      // dlopen's message starts with the file name again.
      failures.push(`${file} failed to load (${(error as Error).message.split('\n')[0].replace(`${file}: `, '')})`);
    }
  }
  const errorFile = join(packageRoot, 'build', 'install-error.txt');
  const why =
    failures.length > 0
      ? `${failures.join('; ')}; rebuild it: ${REBUILD_HINT}`
      : existsSync(errorFile)
        ? `the addon failed to build at install time (${readFileSync(errorFile, 'utf8').split('\n')[0]}); rebuild it: ${REBUILD_HINT}`
        : 'the addon was not built: its install script did not run (pnpm 10 runs it only for packages ' +
          `listed in onlyBuiltDependencies: run \`pnpm approve-builds\`, then ${REBUILD_HINT})`;
  cached = { ok: false, reason: why };
  return cached;
}
