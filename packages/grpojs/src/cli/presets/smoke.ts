/**
 * `--preset smoke`: the whole pipeline offline in under a minute on two CPU cores. A random
 * 2-layer GPT-2 (n_embd 32, the real GPT-2 vocabulary so the embedded tokenizer fits) is written
 * once to outputs/smoke-base-model, trained with the reference LoRA/NF4 setup on the 12 GSM8K-style
 * problems in presets/smoke/ for a few steps, evaluated against its base on 4 more, saved,
 * reloaded and asked a question. The numbers are meaningless; every stage runs for real.
 *
 * A random model's completions are random tokens on which the seven rewards are all 0, so every
 * advantage would be 0 and the adapter would never move. The preset therefore adds one reward
 * that always varies (completion length), so gradients, clipping and AdamW updates really run and
 * the saved adapter differs from its zero-initialised B.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRewards, writeTinyGPT2, writeTinyLlama, type RewardFunction } from '../../index.js';
import type { Preset } from './index.js';

/** Where the smoke run keeps its random base model (written when absent). */
export const SMOKE_MODEL_DIR = 'outputs/smoke-base-model';

/** The folder with train.jsonl (12 problems) and test.jsonl (4), shipped with the package. */
export const SMOKE_DATA_DIR = fileURLToPath(new URL('./smoke', import.meta.url));

/** Completion length in characters / 100: differs between any two random completions. */
export const smokeLengthReward: RewardFunction = Object.assign((completions: string[]) => completions.map((c) => c.length / 100), {
  rewardName: 'smoke_length',
});

/** The smoke preset: config layer, reward list, and the step that writes the random base model. */
export const smokePreset: Preset = {
  name: 'smoke',
  description: 'offline end-to-end run on a tiny random GPT-2 and 12 bundled problems (under a minute on CPU)',
  checkReload: true,
  rewardFunctions: [...defaultRewards, smokeLengthReward],
  config: {
    model: SMOKE_MODEL_DIR,
    data: SMOKE_DATA_DIR,
    outputDir: 'outputs/smoke-GRPO',
    reportTo: ['console', 'local'],
    maxSteps: 8,
    learningRate: 5e-4,
    gradientAccumulationSteps: 2,
    numGenerations: 4,
    maxPromptLength: 96,
    maxCompletionLength: 32,
    loggingSteps: 1,
    saveSteps: 4,
    evalSteps: 4,
    evalMaxSamples: 4,
    perDeviceEvalBatchSize: 4,
  },
  async prepare(config, log) {
    if (config.model !== SMOKE_MODEL_DIR || existsSync(join(SMOKE_MODEL_DIR, 'config.json'))) return;
    await writeTinyGPT2(SMOKE_MODEL_DIR, { nLayer: 2, nHead: 2, nEmbd: 32, nPositions: 256, seed: 0 });
    log(`smoke: wrote a random GPT-2 (2 layers, n_embd 32, GPT-2 vocabulary) to ${SMOKE_MODEL_DIR}`);
  },
};

/** Where the Llama-family smoke run keeps its random base model (written when absent). */
export const SMOKE_LLAMA_MODEL_DIR = 'outputs/smoke-llama-base-model';

/**
 * `--preset smoke-llama`: the smoke run on a random Qwen2-style model (2 layers, hidden 64, 4 query
 * / 2 key-value heads, q/k/v biases, tied head, GPT-2 vocabulary and tokenizer with a ChatML chat
 * template): LoRA on PEFT's Llama-family default (q_proj, v_proj), NF4 base, prompts in the
 * tokenizer's chat template.
 */
export const smokeLlamaPreset: Preset = {
  ...smokePreset,
  name: 'smoke-llama',
  description: 'the smoke run on a tiny random Qwen2-style model with a ChatML template (Llama-family code path, under a minute on CPU)',
  config: { ...smokePreset.config, model: SMOKE_LLAMA_MODEL_DIR, outputDir: 'outputs/smoke-llama-GRPO' },
  async prepare(config, log) {
    if (config.model !== SMOKE_LLAMA_MODEL_DIR || existsSync(join(SMOKE_LLAMA_MODEL_DIR, 'config.json'))) return;
    await writeTinyLlama(SMOKE_LLAMA_MODEL_DIR, { family: 'qwen2', numHiddenLayers: 2, hiddenSize: 64, numAttentionHeads: 4, numKeyValueHeads: 2, intermediateSize: 128, seed: 0 });
    log(`smoke-llama: wrote a random Qwen2-style model (2 layers, hidden 64, 4/2 heads, GPT-2 vocabulary, ChatML template) to ${SMOKE_LLAMA_MODEL_DIR}`);
  },
};
