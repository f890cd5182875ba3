/**
 * Frozen Llama-family projections quantized as bitsandbytes does for nn.Linear: NF4 (double quant)
 * blocks of 64 along `in` of the [out, in] weight as stored in the checkpoint, int8 row-wise absmax.
 * The quantizers themselves are checked against bitsandbytes' arithmetic in quant-nf4.test.ts and
 * quant-int8.test.ts; here the loaded layers must hold exactly those codes and scales for the
 * checkpoint's own weight, with no transpose in between, and the quantized model must still track
 * the fp32 one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCausalLM } from '../../src/causal-lm.js';
import { readSafetensorsFolder } from '../../src/io/hf-folder.js';
import { dequantizeInt8, quantizeInt8 } from '../../src/quant/int8.js';
import { dequantizeNF4, nf4BlockAbsmax, quantizeNF4 } from '../../src/quant/nf4.js';
import type { QuantizedConv1D } from '../../src/quant/quantized-conv1d.js';
import { transposeHost } from '../../src/io/host-transpose.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/llama');
const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe.each([
  ['llama-mqa-tied-rope3-bias', 'model.layers.1.self_attn.q_proj'], // in = 64: codes kept in [in, out] order
  ['qwen3-qknorm', 'model.layers.0.self_attn.o_proj'], // in = 64, out = 32
  ['qwen3-qknorm', 'model.layers.0.mlp.down_proj'], // in = 64
  ['llama-gqa-untied', 'model.layers.0.self_attn.k_proj'], // in = 32: blocks span two rows
])('%s %s', (variant, path) => {
  it('NF4 with double quant: the block scales and dequantized weight equal quantizeNF4 of the [out, in] checkpoint weight, bit for bit', async () => {
    const dir = join(FIXTURES, variant);
    const stored = (await readSafetensorsFolder(dir)).get(`${path}.weight`)!; // [out, in]
    const [out, inF] = stored.shape;
    const q = quantizeNF4(stored.data, { doubleQuant: true });
    const lm = await loadCausalLM(dir, { quantization: 'nf4' });
    const layer = lm.model.linearLayers().get(path) as QuantizedConv1D;
    expect(layer.kind).toBe('nf4');
    const state = layer.readNf4State()!;
    expect(same(state.absmax, nf4BlockAbsmax(q))).toBe(true);
    const w = tf.tidy(() => layer.readWeight().dataSync() as Float32Array); // [in, out]
    expect(same(w, transposeHost(dequantizeNF4(q), out, inF))).toBe(true);
    lm.dispose();
  });

  it('int8: the dequantized weight equals quantizeInt8 of the [out, in] checkpoint weight', async () => {
    const dir = join(FIXTURES, variant);
    const stored = (await readSafetensorsFolder(dir)).get(`${path}.weight`)!;
    const [out, inF] = stored.shape;
    const lm = await loadCausalLM(dir, { quantization: 'int8' });
    const layer = lm.model.linearLayers().get(path) as QuantizedConv1D;
    const w = tf.tidy(() => layer.readWeight().dataSync() as Float32Array);
    expect(same(w, transposeHost(dequantizeInt8(quantizeInt8(stored.data, [out, inF])), out, inF))).toBe(true);
    lm.dispose();
  });
});

describe('an NF4 Llama base with LoRA', () => {
  it('holds less memory, tracks the fp32 logits, and trains only the adapters', async () => {
    const dir = join(FIXTURES, 'llama-mqa-tied-rope3-bias');
    const ids = [[3, 9, 27, 81, 5, 64]];
    const fp32 = await loadCausalLM(dir);
    const nf4 = await loadCausalLM(dir, { quantization: 'nf4', lora: { r: 4, alpha: 8, targetModules: ['all-linear'] } });
    expect(nf4.memory.loadedBytes).toBeLessThan(fp32.memory.loadedBytes);
    expect(nf4.lora?.targetModules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    const a = fp32.model.forward(ids);
    const b = nf4.model.forward(ids);
    const [meanDiff, spread] = tf.tidy(() => [
      tf.mean(tf.abs(tf.sub(a.logits!, b.logits!))).dataSync()[0],
      tf.moments(a.logits!).variance.sqrt().dataSync()[0],
    ]);
    // 4-bit weights move the logits, but on average far less than their spread.
    expect(meanDiff).toBeGreaterThan(0);
    expect(meanDiff / spread).toBeLessThan(0.25);
    tf.dispose([a.logits!, a.hidden, b.logits!, b.hidden]);
    const { grads, value } = tf.variableGrads(() => {
      const { logProbs } = nf4.tokenLogProbs([[3, 9, 27]], [[81, 5]], { training: true });
      return tf.sum(logProbs) as tf.Scalar;
    }, nf4.trainableVariables());
    expect(Object.keys(grads)).toHaveLength(2 * 7 * 2);
    expect(Object.values(grads).some((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0)).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    fp32.dispose();
    nf4.dispose();
  });
});
