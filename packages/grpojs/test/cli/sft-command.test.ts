/**
 * `grpojs sft`: SFTConfig flags from the schema (TRL spellings too), JSONL rows in the SFT shapes,
 * LoRA by default or --full-fine-tuning, a saved output folder and an exact --resume; bad rows are
 * refused naming the file and line.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddedGPT2Tokenizer, makeLlamaConfig, writeRandomLlamaCheckpoint } from '@grpojs/model';
import { runProgram, tempDir } from './helpers.js';

let root: string;
let model: string;
let train: string;
beforeAll(async () => {
  root = tempDir('grpojs-cli-sft-');
  model = join(root, 'model');
  const tokenizer = await embeddedGPT2Tokenizer();
  const shape = { vocabSize: tokenizer.vocabSize, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 2, numKeyValueHeads: 1, maxPositionEmbeddings: 128 };
  await writeRandomLlamaCheckpoint(model, makeLlamaConfig({ ...shape, tieWordEmbeddings: false, bosTokenId: null, eosTokenIds: [tokenizer.eosTokenId] }), 0, tokenizer);
  train = join(root, 'train.jsonl');
  const rows = Array.from({ length: 8 }, (_, i) => ({ prompt: `What is ${i} + 1?`, completion: ` ${i + 1}` }));
  rows.push({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] } as never);
  writeFileSync(train, rows.map((r) => JSON.stringify(r)).join('\n'));
}, 60_000);

describe('grpojs sft', () => {
  it('lists the SFTConfig flags in its help', async () => {
    const { stdout } = await runProgram(['sft', '--help']);
    for (const flag of ['--max-length', '--completion-only-loss', '--assistant-only-loss', '--per-device-train-batch-size', '--learning-rate']) expect(stdout).toContain(flag);
  });

  it('trains LoRA adapters from JSONL rows, saves the folder, and resumes', async () => {
    const out = join(root, 'lora');
    const args = ['sft', '--model', model, '--train-file', train, '--output-dir', out, '--per_device_train_batch_size', '2', '--gradient-accumulation-steps', '2', '--learning-rate', '0.01', '--logging-steps', '1'];
    const first = await runProgram([...args, '--max-steps', '2']);
    expect(first.error).toBeUndefined();
    expect(first.stdout).toMatch(/SFT done: 2\/2 steps/);
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint-2', 'trainer_state.json'), 'utf8'));
    expect(state.config).toMatchObject({ perDeviceTrainBatchSize: 2, learningRate: 0.01, completionOnlyLoss: null });
    // The model's argmax matches reach the log: TRL's mean_token_accuracy, a fraction.
    const accuracies = state.logHistory.map((e: Record<string, number>) => e.mean_token_accuracy);
    expect(accuracies).toHaveLength(2);
    expect(accuracies.every((a: number) => a >= 0 && a <= 1), `mean_token_accuracy per log: ${accuracies}`).toBe(true);
    const resumed = await runProgram([...args, '--max-steps', '3', '--resume', 'latest']);
    expect(resumed.error).toBeUndefined();
    expect(resumed.stdout).toMatch(/SFT done: 3\/3 steps/);
  }, 120_000);

  it('applies the GRPOJS_* switches of the environment, as train does (a bad one names the variable)', async () => {
    process.env.GRPOJS_ACCEL_VOCAB = 'false';
    try {
      const { error } = await runProgram(['sft', '--model', model, '--train-file', train, '--output-dir', join(root, 'env'), '--max-steps', '1']);
      expect(String(error)).toMatch(/GRPOJS_ACCEL_VOCAB/);
    } finally {
      delete process.env.GRPOJS_ACCEL_VOCAB;
    }
  });

  it('refuses a row of no SFT shape, naming the file and line', async () => {
    const bad = join(root, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ prompt: 'a', completion: 'b' })}\n${JSON.stringify({ question: 'a' })}\n`);
    const { error } = await runProgram(['sft', '--model', model, '--train-file', bad, '--output-dir', join(root, 'bad')]);
    expect(String(error)).toMatch(/bad\.jsonl.*line 2.*none of the SFT fields/s);
  });
});
