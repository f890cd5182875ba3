/**
 * The quantized Conv1D with @grpojs/accel's native dequantization kernels against the same layer
 * with the kernels unregistered (the tfjs decode): every float of the weight, of a forward and of
 * the input gradient equal, on shapes that are not multiples of the block size and at
 * distilgpt2's c_fc shape; no tensors leaked over many forwards.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { createQuantizedConv1D, type QuantKind } from '../src/quant/quantized-conv1d.js';
import { firstBitMismatch } from './adapter-helpers.js';
import { nativeOff, withoutKernels } from './native-helpers.js';

const KERNELS = ['GrpojsNf4Dequantize', 'GrpojsInt8Dequantize'];
const skip = nativeOff('GRPOJS_ACCEL_NF4');

beforeAll(async () => {
  await initBackend('wasm');
});


/** A Conv1D weight [in, out] with a spread of magnitudes (so blocks get different scales) and a zero row group. */
function weight(inF: number, outF: number): Float32Array {
  return Float32Array.from({ length: inF * outF }, (_, i) => (i % 977 < 64 ? 0 : Math.sin(i * 0.37) * Math.exp(((i * 7) % 11) - 5)));
}

function layer(inF: number, outF: number, kind: QuantKind, blockSize = 64, doubleQuant = true) {
  const bias = Float32Array.from({ length: outF }, (_, i) => Math.cos(i) * 0.1);
  return createQuantizedConv1D({ shape: [inF, outF], data: weight(inF, outF) }, { shape: [outF], data: bias }, kind, { blockSize, doubleQuant });
}

function expectSameWeight(l: ReturnType<typeof layer>, label: string): void {
  const native = l.readWeight();
  const reference = withoutKernels(KERNELS, () => l.readWeight());
  expect(native.shape).toEqual(reference.shape);
  expect(firstBitMismatch(native.dataSync() as Float32Array, reference.dataSync() as Float32Array), label).toBe(-1);
  tf.dispose([native, reference]);
}

describe.skipIf(skip)('quantized Conv1D with the native dequantization kernels', () => {
  it('are registered on the backend by initBackend', () => {
    expect(KERNELS.every((k) => tf.getKernel(k, tf.getBackend()) !== undefined)).toBe(true);
  });

  it('NF4 (with and without double quant, both code orders) and int8: the weight equals the tfjs decode bit for bit', () => {
    const cases: [number, number, QuantKind, number, boolean][] = [
      [192, 101, 'nf4', 64, true], // [in, out] order, 303 blocks: two absmax2 blocks, odd out
      [128, 37, 'nf4', 128, false],
      [70, 33, 'nf4', 64, true], // in % 64 ≠ 0: [out, in] order, a partial last block
      [45, 7, 'nf4', 64, false], // 315 weights: partial block and word
      [13, 7, 'int8', 64, true], // 91 bytes: a partial word
      [96, 50, 'int8', 64, true],
    ];
    for (const [inF, outF, kind, blockSize, doubleQuant] of cases) {
      const l = layer(inF, outF, kind, blockSize, doubleQuant);
      expectSameWeight(l, `${kind} [${inF}, ${outF}] blockSize ${blockSize} doubleQuant ${doubleQuant}`);
      l.dispose();
    }
  });

  it("distilgpt2's c_fc [768, 3072] (NF4, double quant): the weight equals the tfjs decode bit for bit", () => {
    const l = layer(768, 3072, 'nf4');
    expectSameWeight(l, 'c_fc');
    l.dispose();
  });

  it('forward and input gradient equal the tfjs-decoded path exactly; tensor count flat over 30 forwards', () => {
    const l = layer(256, 96, 'nf4');
    const x = tf.randomNormal([6, 256], 0, 1, 'float32', 4) as tf.Tensor2D;
    const g = tf.randomNormal([6, 96], 0, 1, 'float32', 5);
    const run = (): tf.Tensor[] => {
      const y = l.apply(x, { training: false });
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(l.apply(xx as tf.Tensor2D, { training: true }), g)))(x);
      return [y, dx];
    };
    const [y, dx] = run();
    const [yRef, dxRef] = withoutKernels(KERNELS, run);
    expect(firstBitMismatch(y.dataSync() as Float32Array, yRef.dataSync() as Float32Array)).toBe(-1);
    expect(firstBitMismatch(dx.dataSync() as Float32Array, dxRef.dataSync() as Float32Array)).toBe(-1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) tf.dispose(run());
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g, y, dx, yRef, dxRef]);
    l.dispose();
  });

  it('a forward + backward dequantizes once: the input gradient reuses the forward weight', async () => {
    const l = layer(128, 64, 'nf4');
    const x = tf.randomNormal([3, 128], 0, 1, 'float32', 6) as tf.Tensor2D;
    const info = await tf.profile(() => tf.grad((xx: tf.Tensor) => tf.sum(l.apply(xx as tf.Tensor2D, { training: true })))(x));
    expect(info.kernels.filter((k) => k.name === 'GrpojsNf4Dequantize')).toHaveLength(1);
    expect(info.kernelNames).not.toContain('GatherNd');
    tf.dispose(x);
    l.dispose();
  });
});
