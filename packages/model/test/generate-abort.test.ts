/**
 * generate's `signal`: an abort is noticed before the prefill and between decode steps (generate
 * yields to the event loop there, so a signal handler gets to run), generate rejects with the
 * signal's reason and leaves no tensor behind; an untouched signal changes no token.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { generate } from '../src/inference/generate.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { randomGPT2Tensors } from '../src/architectures/gpt2/random-init.js';
import type { GenerateOptions } from '../src/types.js';

const config = makeGPT2Config({ vocabSize: 64, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 4, eosTokenId: 63, bosTokenId: 63 });
const prompts = [[1, 2, 3], [4, 5]];
const options: GenerateOptions = { maxNewTokens: 20, doSample: false, eosTokenId: [] };
let model: GPT2Model;

beforeAll(async () => {
  await initBackend();
  model = new GPT2Model(config, randomGPT2Tensors(config, 21));
});
afterAll(() => model.dispose());

describe('generate with an AbortSignal', () => {
  it('an already aborted signal rejects before the prefill, with the AbortError, and no tensor is left', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    controller.abort();
    await expect(generate(model, prompts, { ...options, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an abort during decoding (from a macrotask, as a signal handler runs) stops between steps; no tensor is left', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let steps = 0;
    const reason = new Error('stop');
    const run = generate(model, prompts, { ...options, signal: controller.signal }, null, {
      onLogits: (step) => {
        steps = step + 1;
        // Scheduled like a SIGINT handler: it runs only if generate yields to the event loop.
        if (step === 2) setImmediate(() => controller.abort(reason));
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(steps).toBeGreaterThanOrEqual(3);
    expect(steps).toBeLessThanOrEqual(4); // at most the step already under way when the abort ran
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a signal that never aborts gives the same tokens as none', async () => {
    const plain = await generate(model, prompts, options);
    const withSignal = await generate(model, prompts, { ...options, signal: new AbortController().signal });
    expect(withSignal).toEqual(plain);
  });
});
