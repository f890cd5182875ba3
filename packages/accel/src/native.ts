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

/** The activation codes the addon's epilogue understands (native/accel.cc, enum Activation). */
export const ACTIVATION_CODES = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  prelu: 4,
  leakyrelu: 5,
  sigmoid: 6,
} as const;

/** The addon's vocab-sized kernels (native/vocab.cc has the exact contract of each argument). */
export interface AddonVocab {
  /**
   * Per row of logits [n, V] with z = logits · invT: logp = z[target] − logsumexp(z), and when their
   * buffers are not null entropy = −Σ p log p and grad [n, V] = (onehot(target) − p) · invT.
   */
  logSoftmaxGather(
    logitsBuf: ArrayBufferLike, logitsByteOffset: number,
    targetsBuf: ArrayBufferLike, targetsByteOffset: number,
    n: number, V: number, invT: number,
    logpBuf: ArrayBufferLike, logpByteOffset: number,
    entropyBuf: ArrayBufferLike | null, entropyByteOffset: number,
    gradBuf: ArrayBufferLike | null, gradByteOffset: number,
  ): void;
  /**
   * A token drawn from softmax(logits / temperature) over the scaled logits ≥ threshold, given u,
   * one uniform draw in [0, 1): the same arithmetic as @grpojs/model's sampleToken.
   */
  sampleRow(logitsBuf: ArrayBufferLike, logitsByteOffset: number, V: number, temperature: number, threshold: number, u: number): number;
}

/** The addon's gelu_new kernels (native/gelu.cc): n floats each, read and written at byte offsets. */
export interface AddonGelu {
  /** out = gelu_new(x). */
  geluNew(xBuf: ArrayBufferLike, xByteOffset: number, outBuf: ArrayBufferLike, outByteOffset: number, n: number): void;
  /** out = dy · gelu_new'(x). */
  geluNewGrad(
    xBuf: ArrayBufferLike, xByteOffset: number, dyBuf: ArrayBufferLike, dyByteOffset: number,
    outBuf: ArrayBufferLike, outByteOffset: number, n: number,
  ): void;
}

/** The addon's functions (see native/accel.cc for the exact contract of each argument). */
export interface BlasAddon extends AddonVocab, AddonGelu {
  /**
   * For each i < aIndex.length: out[i] = op(A[aIndex[i]]) · op(B[bIndex[i]]) (+ bias, activation),
   * blocks row-major and contiguous at the given byte offsets of the given buffers.
   */
  sgemm(
    aBuf: ArrayBufferLike, aByteOffset: number,
    bBuf: ArrayBufferLike, bByteOffset: number,
    outBuf: ArrayBufferLike, outByteOffset: number,
    aIndex: Int32Array, bIndex: Int32Array,
    m: number, n: number, k: number, transposeA: boolean, transposeB: boolean,
    biasBuf: ArrayBufferLike | null, biasByteOffset: number, biasLength: number,
    activation: number,
    alphaBuf: ArrayBufferLike | null, alphaByteOffset: number, alphaLength: number,
    leakyreluAlpha: number,
  ): void;
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
