/**
 * tokenLogProbs' withArgmaxMatch (TRL SFT's mean_token_accuracy): per completion token, 1 where the
 * argmax of the model's logits is that token. Checked against tf.argMax over the full logits of the
 * model's own forward pass for a tiny GPT-2 and a tiny Llama, in chunks smaller than the rows, on
 * the native vocab kernel path (when the addon runs here) and the tfjs path; ties take the first
 * maximal index (as torch.argmax); the other outputs are unchanged and the match gets no gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM, type CausalLM } from '../src/causal-lm.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { randomGPT2Tensors, writeRandomGPT2Checkpoint } from '../src/architectures/gpt2/random-init.js';
import { makeLlamaConfig } from '../src/architectures/llama/config.js';
import { writeRandomLlamaCheckpoint } from '../src/architectures/llama/random-init.js';
import { DenseConv1D } from '../src/ops/dense.js';
import { headLogProbs } from '../src/inference/logprobs.js';
import { initBackend } from '../src/runtime/runtime.js';
import { nativeOff, withoutKernels } from './native-helpers.js';

const PATHS: [string, <T>(f: () => T) => T][] = [
  ...(nativeOff() ? [] : [['native kernel', <T>(f: () => T) => f()] as [string, <T>(f: () => T) => T]]),
  ['tfjs', <T>(f: () => T) => (nativeOff() ? f() : withoutKernels(['GrpojsLogSoftmaxGather'], f))],
];

let root: string;
beforeAll(async () => {
  await initBackend();
  root = await mkdtemp(join(tmpdir(), 'grpojs-argmax-match-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The argmax of the full logits [T, V] of one unpadded sequence, per position. */
function fullArgmax(lm: CausalLM, ids: number[]): number[] {
  return tf.tidy(() => {
    const { logits } = lm.model.forward([ids], { logits: 'all' });
    return Array.from(tf.argMax(tf.squeeze(logits as tf.Tensor3D, [0]), -1).dataSync());
  });
}

/** `n` greedy tokens after `prompt` (so that the match is 1 on these rows). */
function greedy(lm: CausalLM, prompt: number[], n: number): number[] {
  const ids = [...prompt];
  for (let i = 0; i < n; i++) ids.push(fullArgmax(lm, ids).at(-1) as number);
  return ids.slice(prompt.length);
}

const FAMILIES: [string, (dir: string) => Promise<void>][] = [
  ['gpt2', (dir) => writeRandomGPT2Checkpoint(dir, makeGPT2Config({ nLayer: 1, nHead: 2, nEmbd: 8, nPositions: 16, vocabSize: 13, bosTokenId: 1, eosTokenId: 1 }), 3)],
  [
    'llama',
    (dir) =>
      writeRandomLlamaCheckpoint(dir, makeLlamaConfig({ family: 'llama', vocabSize: 13, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1, headDim: 4, eosTokenIds: [1] }), 5),
  ],
];

describe('tokenLogProbs withArgmaxMatch', () => {
  for (const [family, write] of FAMILIES) {
    for (const [path, onPath] of PATHS) {
      it(`${family}, ${path}: equals tf.argMax of the full logits = token, 0 on padding, chunked; other outputs unchanged; no gradient, no leak`, async () => {
        const dir = join(root, family);
        await write(dir);
        const lm = await loadCausalLM(dir, { fullFineTuning: true, nativeDecode: false });
        const prompts = [[2, 3, 4], [5], [6, 7], [8, 9, 10, 11], [12, 2]];
        const completions = [greedy(lm, [2, 3, 4], 4), [3, 4, 5], greedy(lm, [6, 7], 2), [7, 7, 7, 7], [0, 11]];
        const L = 4;
        const expected = prompts.flatMap((p, b) => {
          const c = completions[b];
          const argmax = fullArgmax(lm, [...p, ...c]);
          return Array.from({ length: L }, (_, t) => (t < c.length && argmax[p.length - 1 + t] === c[t] ? 1 : 0));
        });
        // Both kinds of token occur, so a match tensor of all ones or all zeros fails.
        expect(expected).toContain(1);
        expect(expected.filter((x, i) => x === 0 && i % L < completions[Math.floor(i / L)].length).length).toBeGreaterThan(0);

        const before = tf.memory().numTensors;
        const out = onPath(() => lm.tokenLogProbs(prompts, completions, { chunkSize: 2, withEntropy: true, withArgmaxMatch: true }));
        const plain = onPath(() => lm.tokenLogProbs(prompts, completions, { chunkSize: 2, withEntropy: true }));
        expect(out.argmaxMatch?.shape).toEqual([prompts.length, L]);
        expect(Array.from(out.argmaxMatch?.dataSync() ?? [])).toEqual(expected);
        expect(Array.from(out.logProbs.dataSync())).toEqual(Array.from(plain.logProbs.dataSync()));
        expect(Array.from(out.entropy?.dataSync() ?? [])).toEqual(Array.from(plain.entropy?.dataSync() ?? []));
        expect(plain.argmaxMatch).toBeUndefined();
        const alone = onPath(() => lm.tokenLogProbs(prompts, completions, { chunkSize: 3, withArgmaxMatch: true }));
        expect(alone.entropy).toBeUndefined();
        expect(Array.from(alone.argmaxMatch?.dataSync() ?? [])).toEqual(expected);
        tf.dispose([out.logProbs, out.mask, out.entropy ?? [], out.argmaxMatch ?? [], plain.logProbs, plain.mask, plain.entropy ?? [], alone.logProbs, alone.mask, alone.argmaxMatch ?? []]);
        expect(tf.memory().numTensors).toBe(before);

        // The match column adds nothing to the log-prob gradient.
        const vars = lm.trainableVariables();
        const gradOf = (withArgmaxMatch: boolean) =>
          onPath(() =>
            tf.variableGrads(() => {
              const o = lm.tokenLogProbs(prompts, completions, { chunkSize: 2, withArgmaxMatch });
              return tf.add(tf.sum(o.logProbs), tf.sum(o.argmaxMatch ?? tf.scalar(0))) as tf.Scalar;
            }, vars),
          );
        const a = gradOf(true);
        const b = gradOf(false);
        for (const v of vars) expect(Array.from(a.grads[v.name].dataSync())).toEqual(Array.from(b.grads[v.name].dataSync()));
        tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
        lm.dispose();
      });
    }
  }
});

describe('headLogProbs withArgmaxMatch ties', () => {
  for (const [path, onPath] of PATHS) {
    it(`${path}: a tie takes the first maximal index, as torch.argmax`, () => {
      const V = 9;
      const C = 4;
      const config = makeGPT2Config({ vocabSize: V, nEmbd: C, nLayer: 1, nHead: 2, nPositions: 8 });
      const tensors = randomGPT2Tensors(config, 2);
      // The tied LM head: rows 2 and 5 are e₀, every other row −e₀, so h = e₀ ties ids 2 and 5 at the top.
      const wte = new Float32Array(V * C);
      for (let v = 0; v < V; v++) wte[v * C] = v === 2 || v === 5 ? 1 : -1;
      tensors.set('wte.weight', { shape: [V, C], data: wte });
      const model = new GPT2Model(config, tensors, { makeConv1D: (n, w, b) => new DenseConv1D(w, b, { name: n }) });
      const out = tf.tidy(() => {
        const h = tf.tensor2d([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], [4, C]);
        // The last row's logits are all 0: every id ties, so only id 0 matches.
        return onPath(() => headLogProbs(h, tf.tensor1d([2, 5, 0, 0], 'int32'), model, 0.7, false, false, true));
      });
      expect(out.shape).toEqual([4, 2]);
      expect(Array.from(tf.tidy(() => tf.squeeze(tf.slice(out, [0, 1], [-1, 1]), [1])).dataSync())).toEqual([1, 0, 0, 1]);
      out.dispose();
      model.dispose();
    });
  }
});
