/**
 * LoRA over a quantized frozen base (QLoRA): gradients reach only the adapters and equal those over
 * the dequantized dense weight, the tensor count stays flat over many apply + grad + optimizer
 * steps (the per-step dequantized weight is freed), and adapters-off is exactly the quantized base.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { LoraConv1D } from '../src/adapters/lora.js';
import { createQuantizedConv1D, type QuantKind } from '../src/quant/quantized-conv1d.js';
import { maxRelErr, testDense } from './adapter-helpers.js';

// initBackend turns on @grpojs/accel's native dequantization when it is built (GRPOJS_ACCEL=0: the tfjs decode).
beforeAll(async () => {
  await initBackend('wasm');
});

const IN = 64;
const OUT = 192;

function baseTensors() {
  const w = Float32Array.from({ length: IN * OUT }, (_, i) => Math.sin(i * 1.3) * 0.05);
  const b = Float32Array.from({ length: OUT }, (_, i) => Math.cos(i) * 0.01);
  return { w: { shape: [IN, OUT], data: w }, b: { shape: [OUT], data: b } };
}

for (const kind of ['nf4', 'int8'] as QuantKind[]) {
  describe(`LoRA over a ${kind} base`, () => {
    it('only the adapters are variables, and their gradients equal those over the dequantized dense weight', () => {
      const { w, b } = baseTensors();
      const varsBefore = Object.keys(tf.engine().registeredVariables).length;
      const s = { enabled: true };
      const opts = { r: 4, alpha: 8, dropout: 0, seed: 3, adapterSwitch: s };
      const q = new LoraConv1D(createQuantizedConv1D(w, b, kind), { ...opts, name: `q.${kind}` });
      expect(Object.keys(tf.engine().registeredVariables).length).toBe(varsBefore + 2);
      const deq = q.base as ReturnType<typeof createQuantizedConv1D>;
      const wDeq = deq.readWeight();
      const d = new LoraConv1D(testDense(wDeq.dataSync() as Float32Array, b.data, IN, OUT), { ...opts, name: `d.${kind}` });
      const init = tf.randomNormal([OUT, 4], 0, 0.1, 'float32', 9) as tf.Tensor2D;
      q.loraB.assign(init);
      d.loraB.assign(init);
      d.loraA.assign(q.loraA); // names differ, so the seeded inits differ
      const x = tf.randomNormal([6, IN], 0, 1, 'float32', 4) as tf.Tensor2D;
      const loss = (l: LoraConv1D) => () => tf.sum(tf.square(l.apply(x, { training: true }))) as tf.Scalar;
      const gq = tf.variableGrads(loss(q));
      const gd = tf.variableGrads(loss(d));
      expect(Object.keys(gq.grads).sort()).toEqual([q.loraA.name, q.loraB.name].sort());
      expect(maxRelErr(gq.grads[q.loraA.name].dataSync(), gd.grads[d.loraA.name].dataSync(), 1e-2)).toBeLessThan(1e-4);
      expect(maxRelErr(gq.grads[q.loraB.name].dataSync(), gd.grads[d.loraB.name].dataSync(), 1e-2)).toBeLessThan(1e-4);
      const adapted = q.apply(x, { training: false });
      q.merge(); // folds the adapter into the dequantized weight
      const merged = q.apply(x, { training: false });
      expect(maxRelErr(merged.dataSync(), adapted.dataSync(), 0.1)).toBeLessThan(1e-5);
      q.unmerge();
      tf.dispose([adapted, merged]);
      s.enabled = false;
      const off = q.apply(x, { training: true });
      const baseOut = deq.apply(x, { training: false });
      expect(Array.from(off.dataSync())).toEqual(Array.from(baseOut.dataSync()));
      tf.dispose([wDeq, init, x, off, baseOut, gq.value, gd.value, ...Object.values(gq.grads), ...Object.values(gd.grads)]);
      q.dispose();
      d.dispose();
    });

    it('tensor count stays flat over 25 apply + grad + Adam steps', () => {
      const { w, b } = baseTensors();
      const layer = new LoraConv1D(createQuantizedConv1D(w, b, kind), { r: 4, alpha: 8, dropout: 0.1, name: `mem.${kind}`, seed: 1, adapterSwitch: { enabled: true } });
      const x = tf.randomNormal([8, IN], 0, 1, 'float32', 2) as tf.Tensor2D;
      const optimizer = tf.train.adam(1e-2);
      const step = () => {
        const cost = optimizer.minimize(() => tf.mean(tf.square(layer.apply(x, { training: true }))) as tf.Scalar, true, [layer.loraA, layer.loraB]);
        const v = cost!.dataSync()[0];
        cost!.dispose();
        return v;
      };
      const first = step(); // creates the optimizer's moment variables
      const counts: number[] = [];
      let last = first;
      for (let i = 0; i < 25; i++) {
        last = step();
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts).size).toBe(1);
      expect(last).toBeLessThan(first); // the adapters actually learn
      // Frozen base: ≤ 1/4 (nf4) or ≤ 0.3 (int8) of the fp32 weight, plus the adapters.
      const baseBytes = layer.base.weightBytes();
      expect(baseBytes).toBeLessThan(4 * IN * OUT * (kind === 'nf4' ? 0.25 : 0.3));
      expect(layer.weightBytes()).toBe(baseBytes + 4 * 4 * (IN + OUT));
      optimizer.dispose();
      x.dispose();
      layer.dispose();
    });
  });
}
