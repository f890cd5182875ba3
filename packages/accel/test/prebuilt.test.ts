// The prebuilt binary (scripts/build-prebuilt.mjs, what the published package carries for
// linux-x64) against the addon the tests load (a local build against the system BLAS, when there is
// one): both loaded in this process — the prebuilt's OpenBLAS symbols are hidden, so they do not
// clash — and the same matmuls and vocab log-softmax give bit-identical outputs. Skipped with the
// reason when no prebuilt for this platform was built from the current sources.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { type BlasAddon, loadAddon } from '../src/native.js';
import { ADDON_FILE, prebuiltDir, readManifest, sourcesHash } from '../scripts/prebuilt.mjs';
import { relError, rng } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(prebuiltDir(root), ADDON_FILE);
const manifest = existsSync(file) ? readManifest(root) : null;
const why =
  manifest === null
    ? `no ${file} (pnpm --filter @grpojs/accel build:prebuilt builds it on linux-x64)`
    : manifest.sourcesSha256 !== sourcesHash(root)
      ? `${file} was built from other sources (pnpm --filter @grpojs/accel build:prebuilt rebuilds it)`
      : null;

describe.skipIf(why !== null)(`the prebuilt addon${why ? ` (SKIPPED: ${why})` : ''}`, () => {
  const prebuilt = createRequire(import.meta.url)(file) as BlasAddon;
  const local = loadAddon();

  it('runs its own statically linked OpenBLAS (DYNAMIC_ARCH: kernels chosen for this CPU at run time)', () => {
    expect(prebuilt.blasInfo()).toMatch(/^OpenBLAS \S+ .*DYNAMIC_ARCH/);
    expect(manifest?.needs.libraries.some((l) => /blas|stdc\+\+|gfortran/.test(l))).toBe(false);
  });

  // 'avx2' or 'portable' (a GRPOJS_ACCEL_PORTABLE=1 build, or a CPU without AVX2): the kernels an addon runs here.
  const simdOf = (addon: BlasAddon): string => {
    const Engine = (addon as unknown as { DecodeEngine: new (spec: object) => { info(): { simd: string }; dispose(): void } }).DecodeEngine;
    const e = new Engine({ nLayer: 1, nHead: 1, nEmbd: 8, nInner: 8, vocabSize: 8, nPositions: 2, eps: 1e-5, activation: 0, tiedHead: true, attnScales: new Float32Array(1), threads: 1 });
    const simd = e.info().simd;
    e.dispose();
    return simd;
  };

  it.skipIf(!local.ok || local.file === file)('gives the local build bit-identical sgemm and (same SIMD path) log-softmax outputs', () => {
    const other = (local as { addon: BlasAddon }).addon;
    const next = rng(13);
    const random = (n: number): Float32Array => Float32Array.from({ length: n }, () => next() * 2 - 1);
    for (const [m, n, k, tA, tB] of [[65, 129, 31, false, false], [8, 2304, 768, false, true], [33, 17, 70, true, false]] as const) {
      const a = random(m * k), b = random(k * n), bias = random(n);
      const [x, y] = [prebuilt, other].map((addon) => {
        const out = new Float32Array(m * n); // [m, n]
        const idx = new Int32Array([0]);
        addon.sgemm({
          a, b, out, aIndex: idx, bIndex: idx, m, n, k, transposeA: tA, transposeB: tB, bias, biasLength: n, activation: 1, alpha: null, alphaLength: 0, leakyreluAlpha: 0,
        });
        return out;
      });
      expect(x).toEqual(y);
    }
    const V = 1000, rows = 3;
    const logits = random(rows * V), targets = new Int32Array([0, 17, 999]);
    const [x, y] = [prebuilt, other].map((addon) => {
      const logp = new Float32Array(rows), entropy = new Float32Array(rows), grad = new Float32Array(rows * V);
      addon.logSoftmaxGather({ logits, targets, rows, vocab: V, invT: 1, logp, entropy, grad });
      return [...logp, ...entropy, ...grad];
    });
    // A portable local build sums each row's exps with 4-lane instead of 8-lane partial sums: the
    // same values within float rounding, not the same bits.
    if (simdOf(prebuilt) === simdOf(other)) expect(x).toEqual(y);
    else expect(relError(x, y)).toBeLessThan(1e-6);
  });
});
