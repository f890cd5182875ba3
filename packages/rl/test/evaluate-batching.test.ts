/**
 * Greedy evaluation decodes perDeviceEvalBatchSize prompts per generate call, grouped by prompt
 * length (less left padding), and every row gets the completion it gets when decoded alone: on a
 * tiny random GPT-2 from @grpojs/model (the native decode engine when @grpojs/accel is present, and
 * the tfjs decode steps), batched evaluation and one row at a time give identical completions.
 */
import { initBackend, loadCausalLM, makeGPT2Config, writeRandomGPT2Checkpoint } from '@grpojs/model';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateModel, lengthOrder, type EvalContext } from '../src/evaluate.js';
import type { PolicyGenerateOptions, PolicyGenerateOutput, PolicyModel } from '../src/policy-model.js';
import type { PromptRow } from '../src/types.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, countReward } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
/** Prompts of lengths 7, 1, 6, 2, 5, 3, 8, 4 characters, each with its row id. */
const rows: PromptRow[] = [7, 1, 6, 2, 5, 3, 8, 4].map((n, id) => ({ prompt: ALPHABET.repeat(2).slice(id % 3, (id % 3) + n), id }));
let root: string;
beforeAll(async () => {
  await initBackend();
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-eval-batch-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** An evaluation context whose accuracy check records each row's completion by id. */
function context(model: PolicyModel, batchSize: number, seen: Map<number, string>): EvalContext {
  return {
    model, tokenizer, rewardFunctions: [countReward('b')], rewardNames: ['count_b'], rewardWeights: [1],
    isCorrect: (completion, row) => {
      seen.set((row as PromptRow).id as number, completion);
      return completion.includes('b');
    },
    maxPromptLength: null, maxCompletionLength: 12, batchSize,
  };
}

/** The bigram policy, recording the prompt lengths of each generate call. */
class RecordingPolicy extends BigramPolicy {
  readonly calls: number[][] = [];
  override async generate(p: number[][], o: PolicyGenerateOptions): Promise<PolicyGenerateOutput> {
    this.calls.push(p.map((ids) => ids.length));
    return super.generate(p, o);
  }
}

describe('batched greedy evaluation', () => {
  it('orders rows by prompt length, ties in row order', () => {
    expect(lengthOrder(rows)).toEqual([1, 3, 5, 7, 4, 2, 0, 6]);
    expect(lengthOrder([{ prompt: 'ab' }, { prompt: 'a' }, { prompt: 'cd' }])).toEqual([1, 0, 2]);
  });

  it('decodes batchSize prompts of similar length per generate call and reports rows in source order', async () => {
    const model = new RecordingPolicy(tokenizer.vocabSize, { seed: 4 });
    const seen = new Map<number, string>();
    const done: number[] = [];
    const scores = await evaluateModel({ ...context(model, 2, seen), onProgress: (d) => done.push(d) }, rows);
    expect(model.calls).toEqual([[1, 2], [3, 4], [5, 6], [7, 8]]);
    expect(done).toEqual([2, 4, 6, 8]);
    const alone = new Map<number, string>();
    const one = await evaluateModel(context(new RecordingPolicy(tokenizer.vocabSize, { seed: 4 }), 1, alone), rows);
    expect(scores).toEqual(one);
    expect([...seen.entries()].sort((a, b) => a[0] - b[0])).toEqual([...alone.entries()].sort((a, b) => a[0] - b[0]));
    model.dispose();
  });

  for (const nativeDecode of [true, false]) {
    it(`gives each row of a tiny random GPT-2 the completion it gets alone (nativeDecode: ${nativeDecode})`, async () => {
      const dir = join(root, `gpt2-${nativeDecode}`);
      const config = makeGPT2Config({ vocabSize: tokenizer.vocabSize, nPositions: 32, nEmbd: 32, nLayer: 2, nHead: 2, bosTokenId: tokenizer.eosTokenId, eosTokenId: tokenizer.eosTokenId, initializerRange: 0.3 });
      await writeRandomGPT2Checkpoint(dir, config, 5);
      const model = await loadCausalLM(dir, { nativeDecode, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['c_attn'], seed: 2 } });
      if (!nativeDecode) expect(await model.decodePath()).toMatch(/tfjs decode steps/); // with it: the engine when @grpojs/accel is built
      const byBatch = new Map<number, Map<number, string>>();
      for (const batchSize of [1, 3, 8]) {
        const seen = new Map<number, string>();
        await evaluateModel(context(model, batchSize, seen), rows);
        byBatch.set(batchSize, new Map([...seen.entries()].sort((a, b) => a[0] - b[0])));
      }
      expect(byBatch.get(1)?.size).toBe(rows.length);
      expect(new Set(byBatch.get(1)?.values()).size).toBeGreaterThan(1); // the rows differ, so a mix-up would show
      expect(byBatch.get(3)).toEqual(byBatch.get(1));
      expect(byBatch.get(8)).toEqual(byBatch.get(1));
      model.dispose();
    });
  }
});
