/**
 * The differentiable entropy of headLogProbs (entropyGrad, TRL's entropy bonus): the gradient of
 * Σ dy₀·log p(target) + Σ dy₁·H w.r.t. the hidden states, through the LM head and the
 * temperature, against central finite differences of the same function computed in float64 from
 * the head's weights; with entropyGrad off the entropy column gets no gradient (a metric), and the
 * log-prob gradient is the same either way. Through a whole tiny LoRA GPT-2, the gradient of the
 * port's entropies w.r.t. the adapter weights equals tfjs autodiff of the entropy of the full logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../src/causal-lm.js';
import { initBackend } from '../src/runtime/runtime.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { DenseConv1D } from '../src/ops/dense.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { headLogProbs } from '../src/inference/logprobs.js';
import { randomGPT2Tensors, writeRandomGPT2Checkpoint } from '../src/architectures/gpt2/random-init.js';
import { fixtureConfig, maxAbsDiff, readFixture } from './fixture-utils.js';
import { nativeOff, withoutKernels } from './native-helpers.js';

/** The native vocab kernel when the addon runs here (it rebuilds log p from its outputs), then the tfjs path. */
const PATHS: [string, <T>(f: () => T) => T][] = [
  ...(nativeOff() ? [] : [['native kernel', <T>(f: () => T) => f()] as [string, <T>(f: () => T) => T]]),
  ['tfjs', <T>(f: () => T) => (nativeOff() ? f() : withoutKernels(['GrpojsLogSoftmaxGather'], f))],
];

beforeAll(async () => {
  await initBackend();
});

const V = 61;
const C = 8;
const N = 5;
const TEMPERATURE = 0.8;

/** Σ_i dy0_i·log p_i(target_i) + dy1_i·H_i in float64, logits = h·Wᵀ / T with W [V, C]. */
function objective(h: Float64Array, W: Float64Array, targets: number[], dy: number[]): number {
  let total = 0;
  for (let i = 0; i < N; i++) {
    const z = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += h[i * C + c] * W[v * C + c];
      z[v] = s / TEMPERATURE;
    }
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((a, x) => a + Math.exp(x - max), 0));
    const entropy = -z.reduce((a, x) => a + Math.exp(x - lse) * (x - lse), 0);
    total += dy[2 * i] * (z[targets[i]] - lse) + dy[2 * i + 1] * entropy;
  }
  return total;
}

describe('headLogProbs entropyGrad', () => {
  const config = makeGPT2Config({ vocabSize: V, nEmbd: C, nLayer: 1, nHead: 2, nPositions: 8 });
  let model: GPT2Model;
  beforeAll(() => {
    model = new GPT2Model(config, randomGPT2Tensors(config, 11), { makeConv1D: (n, w, b) => new DenseConv1D(w, b, { name: n }) });
  });
  afterAll(() => model.dispose());

  const targets = [3, 60, 0, 17, 42];
  const dyValues = [0.7, -1.3, -0.4, 0.9, 1.1, 0.25, -0.8, -2.0, 0.5, 1.6];

  for (const [path, onPath] of PATHS) it(`${path}: matches float64 central finite differences of log p and H through the LM head within 1e-4 relative, and no tensor leaks`, () => {
    // The random head weights are small (std 0.02): scaled so the logits span several units (a peaked softmax).
    const h = tf.mul(tf.randomNormal([N, C], 0, 1, 'float32', 4), 150) as tf.Tensor2D;
    const eye = tf.eye(C) as tf.Tensor2D;
    const headT = model.lmHead.logits(eye); // [C, V] = Wᵀ
    const WT = headT.dataSync();
    const W = new Float64Array(V * C);
    for (let c = 0; c < C; c++) for (let v = 0; v < V; v++) W[v * C + c] = WT[c * V + v];
    const h64 = Float64Array.from(h.dataSync());
    const eps = 1e-5;
    const fd = Array.from(h64, (_, k) => {
      const plus = Float64Array.from(h64);
      const minus = Float64Array.from(h64);
      plus[k] += eps;
      minus[k] -= eps;
      return (objective(plus, W, targets, dyValues) - objective(minus, W, targets, dyValues)) / (2 * eps);
    });
    const t = tf.tensor1d(targets, 'int32');
    const dy = tf.tensor2d(dyValues, [N, 2]);
    const grad = (entropyGrad: boolean) =>
      onPath(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(headLogProbs(x as tf.Tensor2D, t, model, TEMPERATURE, true, entropyGrad), dy)))(h));
    const before = tf.memory().numTensors;
    const withEntropy = grad(true);
    expect(tf.memory().numTensors).toBe(before + 1);
    const scale = Math.max(...fd.map(Math.abs));
    expect(scale).toBeGreaterThan(0.01);
    expect(maxAbsDiff(withEntropy.dataSync(), fd) / scale).toBeLessThan(1e-4);

    // Off: only the log-prob column is differentiated, which FD of dy1 = 0 gives.
    const dyLogpOnly = dyValues.map((v, i) => (i % 2 === 0 ? v : 0));
    const fdLogp = Array.from(h64, (_, k) => {
      const plus = Float64Array.from(h64);
      const minus = Float64Array.from(h64);
      plus[k] += eps;
      minus[k] -= eps;
      return (objective(plus, W, targets, dyLogpOnly) - objective(minus, W, targets, dyLogpOnly)) / (2 * eps);
    });
    const metricOnly = grad(false);
    expect(maxAbsDiff(metricOnly.dataSync(), fdLogp) / scale).toBeLessThan(1e-4);
    // ...and the entropy term's share is what changed.
    expect(maxAbsDiff(withEntropy.dataSync(), metricOnly.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([h, eye, headT, t, dy, withEntropy, metricOnly]);
  });

  it('the forward values do not depend on entropyGrad', () => {
    const h = tf.mul(tf.randomNormal([N, C], 0, 1, 'float32', 9), 150) as tf.Tensor2D;
    const t = tf.tensor1d(targets, 'int32');
    const a = headLogProbs(h, t, model, TEMPERATURE, true, true);
    const b = headLogProbs(h, t, model, TEMPERATURE, true, false);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(2e-6);
    tf.dispose([h, t, a, b]);
  });
});

describe('tokenLogProbs entropyGrad through a tiny LoRA GPT-2', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'grpojs-entropy-grad-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('d(Σ w·H + Σ u·log p)/d LoRA weights equals tfjs autodiff of the entropy of the full logits within 1e-4 relative', async () => {
    const fx = readFixture('tiny');
    await writeRandomGPT2Checkpoint(root, fixtureConfig(fx), fx.seed);
    const lm = await loadCausalLM(root, { lora: { r: 4, alpha: 8, seed: 5 } });
    // B starts at 0 (then A gets no gradient): give every adapter weight a value.
    lm.trainableVariables().forEach((v, i) => v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 20 + i)));
    const prompts = [[3, 1, 4], [1, 5, 9, 2, 6]];
    const completions = [[5, 3, 5, 8], [9, 7]];
    const L = 4;
    const w = tf.tensor2d([0.5, -1.0, 0.7, 1.2, -0.3, 0.9, 0, 0], [2, L]);
    const u = tf.tensor2d([0.2, 0.4, -0.6, 0.1, 0.8, -0.5, 0, 0], [2, L]);
    const temperature = 0.7;
    const viaPort = tf.variableGrads(() => {
      const out = lm.tokenLogProbs(prompts, completions, { temperature, withEntropy: true, entropyGrad: true });
      return tf.add(tf.sum(tf.mul(out.entropy!, w)), tf.sum(tf.mul(out.logProbs, u))) as tf.Scalar;
    }, lm.trainableVariables());
    // Reference: the same rows left-padded by hand, the full [rows, length, vocab] logits, tfjs gradients.
    const pad = lm.model.dims.eosTokenIds[0] ?? 0;
    const P = 5;
    const ids = prompts.map((p, b) => [...new Array<number>(P - p.length).fill(pad), ...p, ...completions[b], ...new Array<number>(L - completions[b].length).fill(pad)]);
    const mask = prompts.map((p, b) => [...new Array<number>(P - p.length).fill(0), ...new Array<number>(p.length + completions[b].length).fill(1), ...new Array<number>(L - completions[b].length).fill(0)]);
    const targets = tf.tensor2d(completions.map((c) => [...c, ...new Array<number>(L - c.length).fill(pad)]), [2, L], 'int32');
    const reference = tf.variableGrads(() => {
      const { logits, hidden } = lm.model.forward(ids, { attentionMask: mask, logits: 'all' });
      hidden.dispose();
      const z = tf.div(tf.slice(logits!, [0, P - 1, 0], [2, L, -1]), temperature);
      const logp = tf.logSoftmax(z);
      const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
      const picked = tf.sum(tf.mul(logp, tf.cast(tf.oneHot(targets, lm.model.dims.vocabSize), 'float32')), -1);
      return tf.add(tf.sum(tf.mul(entropy, w)), tf.sum(tf.mul(picked, u))) as tf.Scalar;
    }, lm.trainableVariables());
    expect(Math.abs(viaPort.value.dataSync()[0] - reference.value.dataSync()[0])).toBeLessThan(1e-4);
    for (const v of lm.trainableVariables()) {
      const a = viaPort.grads[v.name].dataSync();
      const b = reference.grads[v.name].dataSync();
      const scale = Math.max(...Array.from(b, Math.abs));
      expect(scale, v.name).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(a, b) / scale, v.name).toBeLessThan(1e-4);
    }
    tf.dispose([viaPort.value, reference.value, ...Object.values(viaPort.grads), ...Object.values(reference.grads), w, u, targets]);
    lm.dispose();
  });
});
