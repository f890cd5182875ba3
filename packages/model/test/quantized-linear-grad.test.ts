/**
 * The quantized Conv1D's matmul + bias with the BLAS active (bias in the fused matmul's epilogue,
 * input gradient dy·wᵀ only, the per-call dequantized w saved for the backward) against the plain
 * tfjs formula x·W + b on the same dequantized W: forward and input gradient within 1e-5, and no
 * tensor left behind over many forward + backward passes (the saved w is released).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { blasMatMulActive } from '../src/runtime/accel.js';
import { initBackend } from '../src/runtime/runtime.js';
import { createQuantizedConv1D } from '../src/quant/quantized-conv1d.js';
import { nativeOff } from './native-helpers.js';


beforeAll(async () => {
  await initBackend('wasm');
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe.skipIf(nativeOff())('quantized Conv1D with BLAS matmuls', () => {
  it('forward and input gradient equal x·W + b on the dequantized W (1e-5); nothing leaks', () => {
    expect(blasMatMulActive('wasm')).toBe(true);
    const [inF, outF, n] = [96, 72, 13];
    const w = Float32Array.from({ length: inF * outF }, (_, i) => Math.sin(i * 0.61) * 0.5);
    const b = Float32Array.from({ length: outF }, (_, i) => Math.cos(i * 1.3) * 0.2);
    for (const kind of ['nf4', 'int8'] as const) {
      const layer = createQuantizedConv1D({ shape: [inF, outF], data: w }, { shape: [outF], data: b }, kind, { blockSize: 64, doubleQuant: true });
      const x = tf.randomNormal([n, inF], 0, 1, 'float32', 5) as tf.Tensor2D;
      const dyWeights = tf.randomNormal([n, outF], 0, 1, 'float32', 6);
      const W = layer.readWeight();
      const bias = tf.tensor1d(b);
      const loss = (f: (x: tf.Tensor2D) => tf.Tensor2D) => (input: tf.Tensor) => tf.sum(tf.mul(f(input as tf.Tensor2D), dyWeights));
      const quant = tf.valueAndGrad(loss((input) => layer.apply(input, { training: true })))(x);
      const plain = tf.valueAndGrad(loss((input) => tf.add(tf.matMul(input, W), bias)))(x);
      expect(Math.abs(quant.value.dataSync()[0] - plain.value.dataSync()[0]), `${kind} loss`).toBeLessThan(1e-4);
      expect(maxAbsDiff(quant.grad, plain.grad), `${kind} dx`).toBeLessThan(1e-5);
      tf.dispose([quant.value, quant.grad, plain.value, plain.grad]);

      const before = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) {
        const { value, grad } = tf.valueAndGrad(loss((input) => layer.apply(input, { training: true })))(x);
        tf.dispose([value, grad]);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, dyWeights, W, bias]);
      layer.dispose();
    }
  });
});
