/**
 * Gradient checkpointing gives the same LoRA gradients with a lower peak, and repeated
 * generate + train steps leak no tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { CausalLM } from '../src/causal-lm.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { DenseConv1D } from '../src/ops/dense.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import type { AdapterSwitch } from '../src/ops/linear.js';
import { tokenLogProbs } from '../src/inference/logprobs.js';
import { LoraConv1D } from '../src/adapters/lora.js';
import { randomGPT2Tensors } from '../src/architectures/gpt2/random-init.js';
import { maxAbsDiff } from './fixture-utils.js';

const config = makeGPT2Config({ vocabSize: 64, nPositions: 64, nEmbd: 64, nLayer: 4, nHead: 4, eosTokenId: 63, bosTokenId: 63 });

/** A GPT-2 whose c_attn and c_fc carry LoRA adapters with non-zero B (so A gets gradients too). */
function loraModel(dropout: number, clock: { step: number }): { model: GPT2Model; adapterSwitch: AdapterSwitch } {
  const adapterSwitch = { enabled: true };
  const model = new GPT2Model(config, randomGPT2Tensors(config, 21), {
    makeConv1D: (name, w, b) => {
      const base = new DenseConv1D(w, b, { name });
      if (!/c_attn|c_fc/.test(name)) return base;
      const lora = new LoraConv1D(base, { r: 4, alpha: 8, dropout, name, seed: 1, adapterSwitch, dropoutClock: clock });
      lora.loraB.assign(tf.randomNormal(lora.loraB.shape, 0, 0.05, 'float32', 9));
      return lora;
    },
  });
  return { model, adapterSwitch };
}

const prompts = Array.from({ length: 4 }, (_, b) => Array.from({ length: 24 }, (_, i) => (i * 7 + b) % 60));
const completions = Array.from({ length: 4 }, (_, b) => Array.from({ length: 24 - b }, (_, i) => (i * 5 + b + 1) % 60));

async function gradsAndPeak(model: GPT2Model, checkpointing: boolean) {
  model.gradientCheckpointing = checkpointing;
  const vars = model.blocks.flatMap((b) => model.blockVariables(b));
  let grads: tf.NamedTensorMap = {};
  let numTensorsInBackward = 0;
  // tf.profile reuses one result object per engine: read it before the next profile.
  const { peakBytes } = await tf.profile(() => {
    const r = tf.variableGrads(() => {
      const out = tokenLogProbs(model, prompts, completions, { training: true, temperature: 0.9 });
      const loss = tf.neg(tf.div(tf.sum(out.logProbs), tf.sum(out.mask))) as tf.Scalar;
      numTensorsInBackward = tf.memory().numTensors; // everything the tape holds for the backward pass
      return loss;
    }, vars);
    grads = r.grads;
    r.value.dispose();
  });
  return { grads, vars, peakBytes, numTensorsInBackward };
}

beforeAll(async () => {
  await initBackend();
});

describe('gradient checkpointing', () => {
  it('identical LoRA gradients, lower peak memory and fewer live tensors', async () => {
    const { model } = loraModel(0, { step: 0 });
    const plain = await gradsAndPeak(model, false);
    const ckpt = await gradsAndPeak(model, true);
    expect(plain.vars.length).toBe(16);
    for (const v of plain.vars) {
      const a = plain.grads[v.name].dataSync();
      expect(Math.max(...Array.from(a).map(Math.abs))).toBeGreaterThan(0);
      expect(maxAbsDiff(a, ckpt.grads[v.name].dataSync())).toBeLessThan(1e-6);
    }
    expect(ckpt.peakBytes).toBeLessThan(0.7 * plain.peakBytes);
    expect(ckpt.numTensorsInBackward).toBeLessThan(plain.numTensorsInBackward);
    tf.dispose([...Object.values(plain.grads), ...Object.values(ckpt.grads)]);
    model.dispose();
  });

  it('with LoRA dropout, the shared dropout clock makes the recompute draw the same masks', async () => {
    const clock = { step: 3 };
    const { model } = loraModel(0.2, clock);
    const plain = await gradsAndPeak(model, false);
    const ckpt = await gradsAndPeak(model, true);
    for (const v of plain.vars) expect(maxAbsDiff(plain.grads[v.name].dataSync(), ckpt.grads[v.name].dataSync())).toBeLessThan(1e-6);
    clock.step++;
    const next = await gradsAndPeak(model, true);
    expect(maxAbsDiff(next.grads[plain.vars[0].name].dataSync(), plain.grads[plain.vars[0].name].dataSync())).toBeGreaterThan(1e-6);
    tf.dispose([...Object.values(plain.grads), ...Object.values(ckpt.grads), ...Object.values(next.grads)]);
    model.dispose();
  });
});

describe('seeded LoRA dropout (exact resume)', () => {
  /** LoRA gradients of one training tokenLogProbs call on a fresh CausalLM that has `history` calls behind it. */
  function seededGrads(seed: number | undefined, history: number, checkpointing: boolean): Float32Array[] {
    const clock = { step: 0 };
    const { model, adapterSwitch } = loraModel(0.3, clock);
    const lm = new CausalLM({ model, adapterSwitch, dropoutClock: clock });
    lm.setGradientCheckpointing(checkpointing);
    for (let i = 0; i < history; i++) tf.dispose(Object.values(lm.tokenLogProbs(prompts, completions, { training: true })));
    const vars = lm.trainableVariables();
    const { value, grads } = tf.variableGrads(() => {
      const out = lm.tokenLogProbs(prompts, completions, { training: true, ...(seed === undefined ? {} : { seed }) });
      return tf.neg(tf.sum(out.logProbs)) as tf.Scalar;
    }, vars);
    const result = vars.map((v) => Float32Array.from(grads[v.name].dataSync()));
    tf.dispose([value, ...Object.values(grads)]);
    lm.dispose();
    return result;
  }

  it('masks depend on (LoRA seed, call seed, layer) only: a fresh instance reproduces them, with or without checkpointing', () => {
    const a = seededGrads(7, 0, false);
    const resumed = seededGrads(7, 3, true); // a "resumed" instance whose private counter differs
    resumed.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(a[i])));
    const other = seededGrads(8, 0, false);
    expect(maxAbsDiff(other[0], a[0])).toBeGreaterThan(1e-6);
    // Without a seed the masks come from the instance counter, so history changes them.
    const unseeded = seededGrads(undefined, 0, false);
    expect(maxAbsDiff(seededGrads(undefined, 3, false)[0], unseeded[0])).toBeGreaterThan(1e-6);
  });

  it('rejects a non-finite seed, naming the option', () => {
    const clock = { step: 0 };
    const { model, adapterSwitch } = loraModel(0.3, clock);
    const lm = new CausalLM({ model, adapterSwitch, dropoutClock: clock });
    expect(() => lm.tokenLogProbs(prompts, completions, { training: true, seed: Number.NaN })).toThrow(/options\.seed/);
    lm.dispose();
  });
});

describe('memory', () => {
  it('tf.memory().numTensors is flat over 100 generate + forward/backward iterations', async () => {
    const clock = { step: 0 };
    const { model, adapterSwitch } = loraModel(0.1, clock);
    const lm = new CausalLM({ model, adapterSwitch, dropoutClock: clock });
    const optimizer = tf.train.adam(1e-3);
    const counts: number[] = [];
    for (let i = 0; i < 100; i++) {
      const gen = await lm.generate(prompts.slice(0, 2), { maxNewTokens: 4, seed: i, temperature: 0.9 });
      const ref = lm.withAdaptersDisabled(() => lm.tokenLogProbs(gen.promptIds, gen.completionIds));
      lm.setGradientCheckpointing(i % 2 === 0);
      optimizer.minimize(
        () => {
          const out = lm.tokenLogProbs(gen.promptIds, gen.completionIds, { training: true, withEntropy: true });
          return tf.neg(tf.sum(tf.mul(tf.sub(out.logProbs, ref.logProbs), out.mask))) as tf.Scalar;
        },
        false,
        lm.trainableVariables(),
      );
      tf.dispose([ref.logProbs, ref.mask]);
      counts.push(tf.memory().numTensors);
    }
    expect(counts[99]).toBe(counts[9]);
    expect(new Set(counts.slice(9)).size).toBe(1);
    optimizer.dispose();
    lm.dispose();
  });
});
