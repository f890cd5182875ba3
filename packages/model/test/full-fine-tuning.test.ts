/**
 * loadCausalLM's fullFineTuning: every projection's weight and bias is a trainable variable the
 * log-probs differentiate to (gradients checked against central finite differences), a saved
 * folder holds the trained weights, and it refuses a quantized base or LoRA with a clear error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../src/causal-lm.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { writeRandomGPT2Checkpoint } from '../src/architectures/gpt2/random-init.js';

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

  it('refuses a quantized base and LoRA, naming the option', async () => {
    await expect(loadCausalLM(dir, { fullFineTuning: true, quantization: 'nf4' })).rejects.toThrow(/fullFineTuning .* quantization 'nf4'/);
    await expect(loadCausalLM(dir, { fullFineTuning: true, lora: { r: 2, alpha: 4 } })).rejects.toThrow(/fullFineTuning .* LoRA/);
  });
});
