/** GPT-2 forward, generation, log-probs and c_attn gradients against the torch reference fixtures. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { DenseConv1D } from '../src/ops/dense.js';
import { generate } from '../src/inference/generate.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { tokenLogProbs } from '../src/inference/logprobs.js';
import { randomGPT2Tensors } from '../src/architectures/gpt2/random-init.js';
import { fixtureConfig, maxAbsDiff, readFixture } from './fixture-utils.js';

beforeAll(async () => {
  await initBackend();
});

describe.each(['tiny', 'small'])('GPT-2 %s vs torch reference', (name) => {
  const fx = readFixture(name);
  const config = fixtureConfig(fx);

  it('logits of a left-padded batch match within 1e-4', () => {
    const model = new GPT2Model(config, randomGPT2Tensors(config, fx.seed));
    const { logits, hidden } = model.forward(fx.forward.ids, {
      attentionMask: fx.forward.attentionMask,
      positionIds: fx.forward.positionIds,
    });
    const all = logits!.arraySync() as number[][][];
    let worst = 0;
    for (const row of fx.forward.logits) worst = Math.max(worst, maxAbsDiff(all[row.b][row.t], row.values!));
    expect(worst).toBeLessThan(1e-4);
    // Default positions (cumsum of the mask) are the reference's positions.
    const again = model.forward(fx.forward.ids, { attentionMask: fx.forward.attentionMask });
    expect(maxAbsDiff(again.logits!.dataSync(), logits!.dataSync())).toBe(0);
    tf.dispose([logits!, hidden, again.logits!, again.hidden]);
    model.dispose();
  });

  it('greedy generation matches the reference tokens, stopping at EOS per row', async () => {
    const model = new GPT2Model(config, randomGPT2Tensors(config, fx.seed));
    const g = fx.greedy;
    const out = await generate(model, g.prompts, {
      maxNewTokens: g.maxNewTokens,
      doSample: false,
      eosTokenId: g.eosTokenId,
      padTokenId: g.padTokenId,
    });
    expect(out.completionIds).toEqual(g.completionIds);
    expect(out.terminated).toEqual(g.terminated);
    expect(out.promptIds).toEqual(g.prompts);
    model.dispose();
  });

  it('token log-probs and entropies with temperature match within 1e-4', () => {
    const model = new GPT2Model(config, randomGPT2Tensors(config, fx.seed));
    const lp = fx.logprobs!;
    for (const chunkSize of [1, 8]) {
      const out = tokenLogProbs(model, lp.prompts, lp.completions, { temperature: lp.temperature, withEntropy: true, chunkSize });
      expect(maxAbsDiff(out.logProbs.dataSync(), lp.logProbs.flat())).toBeLessThan(1e-4);
      expect(maxAbsDiff(out.entropy!.dataSync(), lp.entropy.flat())).toBeLessThan(1e-4);
      expect(Array.from(out.mask.dataSync())).toEqual(lp.mask.flat());
      tf.dispose([out.logProbs, out.mask, out.entropy!]);
    }
    model.dispose();
  });

  it('gradient of −Σ log-probs w.r.t. every c_attn weight matches within 1e-4', () => {
    const model = new GPT2Model(config, randomGPT2Tensors(config, fx.seed), {
      makeConv1D: (n, w, b) => new DenseConv1D(w, b, { name: n, trainable: n.endsWith('c_attn') }),
    });
    const lp = fx.logprobs!;
    const weights = model.blocks.map((b) => (b.attn.cAttn as DenseConv1D).weight as unknown as tf.Variable);
    const { grads, value } = tf.variableGrads(() => {
      const out = tokenLogProbs(model, lp.prompts, lp.completions, { temperature: 1 });
      return tf.neg(tf.sum(out.logProbs)) as tf.Scalar;
    }, weights);
    const { stride, cAttn } = fx.grad!;
    weights.forEach((w, i) => {
      const g = grads[w.name].dataSync().filter((_, j) => j % stride === 0);
      const scale = Math.max(...cAttn[i].map(Math.abs));
      expect(maxAbsDiff(g, cAttn[i]) / scale).toBeLessThan(1e-4);
    });
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });
});
