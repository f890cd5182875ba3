/**
 * buildGenerationBatch (generate → score → advantages → old/ref log-probs) on the bigram policy:
 * row layout, truncation masking, old/reference log-probs only when needed, dapo's token count,
 * prompt left-truncation and the per-(step, micro) sampling seeds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGenerationBatch, type BatchContext } from '../src/batch.js';
import { LocalRollout } from '../src/rollout/local.js';
import { parseGRPOConfig, type GRPOConfigInput } from '../src/config.js';
import { encodePrompt } from '../src/generation.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function context(model: BigramPolicy, extra: GRPOConfigInput): BatchContext {
  const config = parseGRPOConfig({ numGenerations: 3, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, maxCompletionLength: 3, ...extra });
  const reward = countReward('a');
  return { model, tokenizer, rollout: new LocalRollout(model), rewardFunctions: [reward], rewardNames: ['count_a'], rewardWeights: [1], config };
}

describe('buildGenerationBatch', () => {
  it('lays out groups, masks truncated rows, and counts active tokens', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 31 });
    const rows = syntheticPrompts(4, 3, 1).map((r, i) => ({ ...r, answer: `gold${i}` }));
    const batch = await buildGenerationBatch(context(model, { maskTruncatedCompletions: true, beta: 0 }), 0, 0, rows);
    expect(batch.rollout.prompts).toEqual(rows.flatMap((r) => [r.prompt, r.prompt, r.prompt]));
    expect(batch.rollout.columns.answer).toEqual(rows.flatMap((r) => [r.answer, r.answer, r.answer]));
    expect(batch.micro.map((m) => m.rows)).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]);
    const keep = batch.micro.flatMap((m) => m.keep);
    expect(keep).toEqual(batch.rollout.terminated.map((t) => (t ? 1 : 0)));
    expect(keep).toContain(0); // some rows were cut at 3 tokens
    const active = batch.rollout.completionIds.reduce((s, ids, i) => s + (batch.rollout.terminated[i] ? ids.length : 0), 0);
    expect(batch.activeTokens).toBe(active);
    expect(batch.micro.every((m) => m.oldLogProbs === null && m.refLogProbs === null)).toBe(true);
    model.dispose();
  });

  it('computes old log-probs for numIterations > 1 and reference log-probs with adapters off for beta ≠ 0', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 37 });
    model.loraB.assign(tf.fill([4, tokenizer.vocabSize], 0.7)); // adapter ≠ no-op: policy ≠ reference
    const batch = await buildGenerationBatch(context(model, { numIterations: 2, beta: 0.04 }), 0, 0, syntheticPrompts(4));
    for (const m of batch.micro) {
      expect(m.oldLogProbs!.map((r) => r.length)).toEqual(m.completionIds.map((c) => c.length));
      const out = model.tokenLogProbs(m.promptIds, m.completionIds, { temperature: 0.9 });
      const ref = model.withAdaptersDisabled(() => model.tokenLogProbs(m.promptIds, m.completionIds, { temperature: 0.9 }));
      const policy = out.logProbs.arraySync();
      const base = ref.logProbs.arraySync();
      m.oldLogProbs!.forEach((row, i) => row.forEach((v, t) => expect(v).toBeCloseTo(policy[i][t], 6)));
      m.refLogProbs!.forEach((row, i) => row.forEach((v, t) => expect(v).toBeCloseTo(base[i][t], 6)));
      expect(m.refLogProbs).not.toEqual(m.oldLogProbs);
      tf.dispose([out.logProbs, out.mask, ref.logProbs, ref.mask]);
    }
    model.dispose();
  });

  it('sampling seeds depend on (seed, step, micro): same step → same batch, another step → another', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 41 });
    const rows = syntheticPrompts(4);
    const ctx = context(model, { beta: 0, maxCompletionLength: 6 });
    const a = await buildGenerationBatch(ctx, 0, 5, rows);
    const b = await buildGenerationBatch(ctx, 0, 5, rows);
    const c = await buildGenerationBatch(ctx, 0, 6, rows);
    expect(b.rollout.completionIds).toEqual(a.rollout.completionIds);
    expect(c.rollout.completionIds).not.toEqual(a.rollout.completionIds);
    model.dispose();
  });

  it('left-truncates prompts to maxPromptLength (keeps the end, as TRL)', () => {
    expect(encodePrompt(tokenizer, 'abcdef', 4)).toEqual(tokenizer.encode('cdef'));
    expect(encodePrompt(tokenizer, 'abc', null)).toEqual(tokenizer.encode('abc'));
    expect(() => encodePrompt(tokenizer, '', 4)).toThrow(/encodes to zero tokens/);
  });
});
