/**
 * The Llama family's ops through @grpojs/accel's native training kernels (RMSNorm, SwiGLU, rotary
 * into heads) against the same ops with the kernels unregistered (the tfjs formulas) and against
 * float64 finite differences; then whole models: the log-probs and every LoRA gradient of the
 * fixtures' Llama (GQA, untied) and Qwen3 (q/k norm) with their PEFT adapters, checkpointed or not,
 * native vs tfjs within 1e-5, the kernels seen running, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ACCEL_KERNEL_FAMILIES, ACCEL_KERNELS } from '@grpojs/accel/contract';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../src/causal-lm.js';
import { rmsNorm } from '../src/ops/rms-norm.js';
import { rotaryHeads, rotaryTables } from '../src/ops/rotary.js';
import { swiGlu } from '../src/ops/swiglu.js';
import { initBackend } from '../src/runtime/runtime.js';
import { maxAbsDiff } from './fixture-utils.js';
import { nativeOff, withoutKernels } from './native-helpers.js';

const KERNELS = ACCEL_KERNEL_FAMILIES.llama.map((k) => ACCEL_KERNELS[k]);
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/llama');
const skip = nativeOff('GRPOJS_ACCEL_LLAMA');

beforeAll(async () => {
  await initBackend();
});

/** max |a − b| over the largest magnitude of b (at least 1). */
const rel = (a: tf.Tensor, b: tf.Tensor): number => maxAbsDiff(a.dataSync(), b.dataSync()) / Math.max(1, ...Array.from(b.dataSync(), Math.abs));

/** Values and input gradients of f(...inputs)·dy, native and with the kernels unregistered. */
function bothPaths(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], dy: tf.Tensor): { native: tf.Tensor[]; formula: tf.Tensor[] } {
  const run = (): tf.Tensor[] => [f(...inputs), ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(inputs)];
  return { native: run(), formula: withoutKernels(KERNELS, run) };
}

describe.skipIf(skip)('Llama ops with the native training kernels', () => {
  it('rmsNorm: y, dx, dweight equal the tfjs formula within 1e-6 relative and float64 finite differences within 1e-3; no leaks', () => {
    expect(KERNELS.every((k) => tf.getKernel(k, tf.getBackend()) !== undefined)).toBe(true);
    const [n, C, eps] = [6, 37, 1e-6];
    const x = tf.randomNormal([n, C], 0.3, 2, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([C], 1, 0.3, 'float32', 2) as tf.Tensor1D;
    const dy = tf.randomNormal([n, C], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const { native, formula } = bothPaths((a, b) => rmsNorm(a as tf.Tensor2D, b as tf.Tensor1D, eps), [x, w], dy);
    expect(tf.memory().numTensors).toBe(before + 6);
    ['y', 'dx', 'dweight'].forEach((what, i) => expect(rel(native[i], formula[i]), what).toBeLessThan(1e-6));
    // central differences of the float64 loss Σ rmsNorm(x)·dy at a few coordinates of x and w
    const [x64, w64, dy64] = [x, w, dy].map((t) => Float64Array.from(t.dataSync()));
    const loss = (): number => {
      let total = 0;
      for (let i = 0; i < n; i++) {
        let sq = 0;
        for (let j = 0; j < C; j++) sq += x64[i * C + j] ** 2 / C;
        for (let j = 0; j < C; j++) total += (x64[i * C + j] / Math.sqrt(sq + eps)) * w64[j] * dy64[i * C + j];
      }
      return total;
    };
    const h = 1e-6;
    for (const [arr, grad] of [[x64, native[1]], [w64, native[2]]] as const) {
      for (const k of [0, 7, arr.length - 1]) {
        const keep = arr[k];
        arr[k] = keep + h;
        const up = loss();
        arr[k] = keep - h;
        const down = loss();
        arr[k] = keep;
        expect(Math.abs(grad.dataSync()[k] - (up - down) / (2 * h))).toBeLessThan(1e-3);
      }
    }
    tf.dispose([x, w, dy, ...native, ...formula]);
  });

  it('swiGlu: value and both gradients equal the tfjs formula within 1e-6 relative', () => {
    const gate = tf.randomNormal([9, 40], 0, 4, 'float32', 4) as tf.Tensor2D;
    const up = tf.randomNormal([9, 40], 0, 1, 'float32', 5) as tf.Tensor2D;
    const dy = tf.randomNormal([9, 40], 0, 1, 'float32', 6);
    const { native, formula } = bothPaths((g, u) => swiGlu(g as tf.Tensor2D, u as tf.Tensor2D), [gate, up], dy);
    ['out', 'dgate', 'dup'].forEach((what, i) => expect(rel(native[i], formula[i]), what).toBeLessThan(1e-6));
    tf.dispose([gate, up, dy, ...native, ...formula]);
  });

  it('rotaryHeads: the heads equal the tfjs reshape, transpose and rotate-half bit for bit; the gradient within 1e-6', () => {
    const [B, T, H, D] = [2, 7, 3, 8];
    const positions = [[0, 1, 2, 3, 4, 5, 6], [900, 901, 902, 903, 904, 905, 906]];
    const invFreq = Float64Array.from({ length: D / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / D));
    const { cos, sin } = rotaryTables(positions, invFreq);
    const t = tf.randomNormal([B * T, H * D], 0, 1, 'float32', 7) as tf.Tensor2D;
    const dy = tf.randomNormal([B, H, T, D], 0, 1, 'float32', 8);
    const { native, formula } = bothPaths((a) => rotaryHeads(a as tf.Tensor2D, B, H, cos, sin), [t], dy);
    expect(native[0].shape).toEqual([B, H, T, D]);
    expect(Array.from(native[0].dataSync())).toEqual(Array.from(formula[0].dataSync()));
    expect(rel(native[1], formula[1]), 'dx').toBeLessThan(1e-6);
    tf.dispose([cos, sin, t, dy, ...native, ...formula]);
  });

  describe.each(['llama-gqa-untied', 'qwen3-qknorm'])('%s with its PEFT adapter', (variant) => {
    const prompts = [[5, 9, 2, 7], [3, 1]];
    const completions = [[4, 8, 6], [2, 9, 9, 1]];
    for (const checkpointing of [false, true]) {
      it(`log-probs and every LoRA gradient, native vs tfjs, within 1e-5 (checkpointing ${checkpointing}); the kernels run; numTensors flat`, async () => {
        const dir = join(FIXTURES, variant);
        const lm = await loadCausalLM(dir, { adapterPath: join(dir, 'adapter') });
        if ('gradientCheckpointing' in lm.model) lm.model.gradientCheckpointing = checkpointing;
        const pass = () =>
          tf.variableGrads(() => {
            const { logProbs, mask } = lm.tokenLogProbs(prompts, completions);
            return tf.sum(tf.mul(logProbs, mask)) as tf.Scalar;
          }, lm.trainableVariables());
        const profile = await tf.profile(() => {
          const { value, grads } = pass();
          tf.dispose([value, ...Object.values(grads)]);
        });
        const ran = new Set(profile.kernels.map((k) => k.name));
        for (const k of KERNELS) expect(ran.has(k), `${k} ran`).toBe(true);
        const before = tf.memory().numTensors;
        const native = pass();
        const formula = withoutKernels(KERNELS, pass);
        expect(Math.abs(native.value.dataSync()[0] - formula.value.dataSync()[0])).toBeLessThan(1e-5);
        const names = Object.keys(formula.grads);
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) expect(rel(native.grads[name], formula.grads[name]), name).toBeLessThan(1e-5);
        tf.dispose([native.value, formula.value, ...Object.values(native.grads), ...Object.values(formula.grads)]);
        expect(tf.memory().numTensors).toBe(before);
        lm.dispose();
      });
    }
  });
});
