/**
 * loadCausalLM's fullFineTuning: every projection's weight and bias is a trainable variable the
 * log-probs differentiate to (gradients checked against central finite differences); a projection
 * the checkpoint has no bias for trains its weight only, so a saved and reloaded model is the
 * trained one exactly; and it refuses a quantized base or LoRA with a clear error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../src/causal-lm.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { writeRandomGPT2Checkpoint } from '../src/architectures/gpt2/random-init.js';
import { makeLlamaConfig } from '../src/architectures/llama/config.js';
import { writeRandomLlamaCheckpoint } from '../src/architectures/llama/random-init.js';

let root: string;
let dir: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'grpojs-full-ft-'));
  dir = join(root, 'tiny');
  await writeRandomGPT2Checkpoint(dir, makeGPT2Config({ nLayer: 1, nHead: 2, nEmbd: 8, nPositions: 16, vocabSize: 11 }), 3);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadCausalLM fullFineTuning', () => {
  it('makes every projection trainable; the log-prob gradient matches finite differences', async () => {
    const lm = await loadCausalLM(dir, { fullFineTuning: true, nativeDecode: false });
    const vars = lm.trainableVariables();
    // tfjs' registry suffixes names (#k) when several models share a process
    expect(vars.map((v) => v.name.replace(/#\d+$/, ''))).toEqual(['h.0.attn.c_attn', 'h.0.attn.c_proj', 'h.0.mlp.c_fc', 'h.0.mlp.c_proj'].flatMap((m) => [`${m}.weight`, `${m}.bias`]));
    const f = () => tf.sum(lm.tokenLogProbs([[1, 2, 3]], [[4, 5]]).logProbs) as tf.Scalar;
    const { value, grads } = tf.variableGrads(f, vars);
    value.dispose();
    const v = vars[0];
    const g = grads[v.name].dataSync();
    const base = v.dataSync().slice();
    const eps = 1e-2;
    for (const i of [0, 7, 40]) {
      const at = (delta: number) => {
        const w = base.slice();
        w[i] += delta;
        tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
        return tf.tidy(() => f().dataSync()[0]);
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      expect(Math.abs(fd - g[i]), `entry ${i}: fd ${fd} vs grad ${g[i]}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
    }
    Object.values(grads).forEach((t) => t.dispose());
    lm.dispose();
  });

  // Llama: no projection has a bias; Qwen2: q/k/v have one, o_proj and the MLP do not.
  for (const family of ['llama', 'qwen2'] as const) {
    it(`${family}: only the biases the checkpoint has are trainable; after a training step save + reload gives the trained model exactly`, async () => {
      const config = makeLlamaConfig({ family, vocabSize: 13, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1, headDim: 4, eosTokenIds: [1] });
      const src = join(root, `${family}-src`);
      await writeRandomLlamaCheckpoint(src, config, 5);
      const lm = await loadCausalLM(src, { fullFineTuning: true, nativeDecode: false });
      const names = lm.trainableVariables().map((v) => v.name.replace(/#\d+$/, '').replace(/^model\.layers\.0\./, ''));
      const withBias = family === 'qwen2' ? ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj'] : [];
      const modules = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'];
      expect(names.sort()).toEqual(modules.flatMap((m) => (withBias.includes(m) ? [`${m}.weight`, `${m}.bias`] : [`${m}.weight`])).sort());
      // One plain gradient step on every trainable variable (biases included) moves the model.
      const loss = () => tf.neg(tf.sum(lm.tokenLogProbs([[2, 3, 4]], [[5, 6]]).logProbs)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(loss, lm.trainableVariables());
      value.dispose();
      for (const v of lm.trainableVariables()) tf.tidy(() => v.assign(tf.sub(v, tf.mul(grads[v.name], 0.5))));
      Object.values(grads).forEach((t) => t.dispose());
      const trained = lm.tokenLogProbs([[2, 3, 4]], [[5, 6]]).logProbs;
      const out = join(root, `${family}-trained`);
      await lm.save(out);
      const again = await loadCausalLM(out, { nativeDecode: false });
      const reloaded = again.tokenLogProbs([[2, 3, 4]], [[5, 6]]).logProbs;
      expect(Array.from(reloaded.dataSync())).toEqual(Array.from(trained.dataSync()));
      const before = await loadCausalLM(src, { nativeDecode: false });
      const initial = before.tokenLogProbs([[2, 3, 4]], [[5, 6]]).logProbs;
      expect(Math.max(...Array.from(initial.dataSync(), (x, i) => Math.abs(x - trained.dataSync()[i])))).toBeGreaterThan(1e-3);
      tf.dispose([trained, reloaded, initial]);
      [lm, again, before].forEach((m) => m.dispose());
    });
  }

  it('refuses a quantized base and LoRA, naming the option', async () => {
    await expect(loadCausalLM(dir, { fullFineTuning: true, quantization: 'nf4' })).rejects.toThrow(/fullFineTuning .* quantization 'nf4'/);
    await expect(loadCausalLM(dir, { fullFineTuning: true, lora: { r: 2, alpha: 4 } })).rejects.toThrow(/fullFineTuning .* LoRA/);
  });
});
