/**
 * generate's prompt dedup (`dedupPrompts`, default on): the prefill runs once per distinct prompt
 * and its cache and logits are copied to the repeating rows. Against `dedupPrompts: false`, on the
 * tfjs decode steps and on the native engine (when built): the logits of every step within 1e-5,
 * greedy and seeded sampled tokens identical, tfjs tensors flat; all-distinct batches take the
 * plain path (bit-identical logits); the prefill really runs on the distinct rows only.
 *
 * Why sampled tokens match: sampling draws from one mulberry32 stream in row order, one draw per
 * live row and step, and dedup changes neither the rows' order nor which rows are live; so each
 * row sees the same uniform, and only a logit difference (≤ 1e-5 here, from BLAS blocking over a
 * different batch) landing exactly on a sampling boundary could change a token, which these
 * tiny-model runs do not hit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { distinctRows, generate } from '../src/inference/generate.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { NativeDecoder } from '../src/inference/native-decode.js';
import { randomGPT2Tensors } from '../src/architectures/gpt2/random-init.js';
import type { GenerateOptions, GenerateOutput } from '../src/types.js';
import { maxAbsDiff } from './fixture-utils.js';

const config = makeGPT2Config({ vocabSize: 64, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 4, eosTokenId: 63, bosTokenId: 63 });
const a = [1, 2, 3, 4, 5];
const b = [6, 7];
const c = [8, 9, 10, 11, 12, 13, 14];
/** Duplicates adjacent (GRPO's layout), interleaved, none, all rows one prompt, a repeated short prompt. */
const batches: Record<string, number[][]> = {
  'a a b b': [a, a, b, b],
  'a b a b': [a, b, a, b],
  'a b c': [a, b, c],
  'a a a': [a, a, a],
  'b c b b': [b, c, b, b],
};
const greedy: GenerateOptions = { maxNewTokens: 12, doSample: false, eosTokenId: [] };
const sampled: GenerateOptions = { maxNewTokens: 12, temperature: 0.9, seed: 77 }; // EOS 63 may end rows
const topP: GenerateOptions = { maxNewTokens: 12, temperature: 1.2, topP: 0.9, seed: 5, eosTokenId: [] };

let model: GPT2Model;
let decoder: NativeDecoder | null = null;
let reason = '';

beforeAll(async () => {
  await initBackend();
  model = new GPT2Model(config, randomGPT2Tensors(config, 21));
  const made = await NativeDecoder.create(model);
  decoder = made.decoder;
  reason = made.reason;
});
afterAll(() => {
  decoder?.dispose();
  model.dispose();
});

/** generate with or without the engine, recording each step's logits [B·V] (copied). */
async function run(prompts: number[][], options: GenerateOptions, engine: boolean): Promise<{ out: GenerateOutput; logits: Float32Array[] }> {
  const logits: Float32Array[] = [];
  const native = engine ? (decoder as NativeDecoder) : null;
  native?.prepare();
  const out = await generate(model, prompts, options, native, { onLogits: (_, l) => logits.push(l.slice()) });
  return { out, logits };
}

/** Runs `prompts` with dedup on and off; expects the same tokens and step logits within 1e-5. Returns the worst difference. */
async function compare(prompts: number[][], options: GenerateOptions, engine: boolean): Promise<number> {
  const off = await run(prompts, { ...options, dedupPrompts: false }, engine);
  const numTensors = tf.memory().numTensors;
  const on = await run(prompts, options, engine);
  expect(tf.memory().numTensors).toBe(numTensors);
  expect(on.out).toEqual(off.out);
  expect(on.logits.length).toBe(off.logits.length);
  let worst = 0;
  on.logits.forEach((l, s) => (worst = Math.max(worst, maxAbsDiff(l, off.logits[s]))));
  expect(worst).toBeLessThan(1e-5);
  return worst;
}

describe('distinctRows', () => {
  it('maps every row to its first occurrence among the distinct rows, in row order', () => {
    expect(distinctRows([a, b, a, c, b])).toEqual({ distinct: [0, 1, 3], rowOf: [0, 1, 0, 2, 1] });
    expect(distinctRows([[1, 2], [12], [1, 2]])).toEqual({ distinct: [0, 1], rowOf: [0, 1, 0] }); // '1,2' ≠ '12'
    expect(distinctRows([b])).toEqual({ distinct: [0], rowOf: [0] });
  });
});

describe('generate with dedupPrompts', () => {
  it('prefills the distinct prompts only (off: every row), padded to the batch’s longest prompt', async () => {
    const spy = vi.spyOn(model, 'forward');
    try {
      for (const [name, prompts] of Object.entries(batches)) {
        for (const dedup of [true, false]) {
          spy.mockClear();
          await generate(model, prompts, { ...greedy, maxNewTokens: 2, dedupPrompts: dedup });
          const ids = spy.mock.calls[0][0] as number[][];
          const rows = dedup ? distinctRows(prompts).distinct.length : prompts.length;
          expect(ids.length, name).toBe(rows);
          expect(ids[0].length, name).toBe(Math.max(...prompts.map((p) => p.length)));
          expect(spy.mock.calls[1][0], name).toHaveLength(prompts.length); // the decode step: every row
        }
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('tfjs decode steps: the same tokens (greedy, sampled, top-p) and step logits within 1e-5 as without dedup; memory flat', async () => {
    for (const [name, prompts] of Object.entries(batches)) {
      for (const options of [greedy, sampled, topP]) {
        const worst = await compare(prompts, options, false);
        expect(worst, name).toBeLessThan(1e-5);
      }
    }
  });

  it('all prompts distinct: the plain path, bit-identical logits', async () => {
    const off = await run(batches['a b c'], { ...sampled, dedupPrompts: false }, false);
    const on = await run(batches['a b c'], sampled, false);
    expect(on.logits).toEqual(off.logits);
    expect(on.out).toEqual(off.out);
  });

  it('native decode engine: the same tokens and step logits within 1e-5 as without dedup', async (ctx) => {
    if (decoder === null) ctx.skip(`SKIPPED: the native decode engine is unavailable (${reason})`);
    for (const [name, prompts] of Object.entries(batches)) {
      for (const options of [greedy, sampled, topP]) {
        const worst = await compare(prompts, options, true);
        expect(worst, name).toBeLessThan(1e-5);
      }
    }
    // The engine path agrees with the tfjs path on a deduplicated batch too.
    const viaEngine = await run(batches['a a b b'], greedy, true);
    const viaTfjs = await run(batches['a a b b'], greedy, false);
    expect(viaEngine.out.completionIds).toEqual(viaTfjs.out.completionIds);
  });
});
