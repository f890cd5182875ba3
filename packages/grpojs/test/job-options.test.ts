import { readFileSync } from 'node:fs';
import { GRPOConfigSchema } from '@grpojs/rl';
import { describe, expect, it } from 'vitest';
import { defaultOutputDir, JobOptionsSchema, parseTrainConfig, splitTrainConfig, TrainConfigError } from '../src/index.js';

describe('parseTrainConfig', () => {
  it('fills the reference job: distilgpt2, LoRA r16/α64, NF4, GSM8K, TRL-era trainer defaults', () => {
    const config = parseTrainConfig({});
    expect(config).toMatchObject({
      model: 'distilgpt2', quantization: 'nf4', doubleQuant: true, loraR: 16, loraAlpha: 64, loraDropout: 0.05,
      promptFormat: 'auto', gradientCheckpointing: true, data: 'openai/gsm8k', trainSplit: 'train', evalSplit: 'test',
      wandbProject: null, outputDir: 'outputs/distilgpt2-GRPO', learningRate: 1e-5, numGenerations: 2,
      gradientAccumulationSteps: 4, maxPromptLength: 128, maxCompletionLength: 128, loggingSteps: 10, saveSteps: 50, evalSteps: 20,
    });
  });

  it("leaves loraTargetModules to the architecture's default unless it is given (train() records the resolved c_attn)", () => {
    expect(parseTrainConfig({}).loraTargetModules).toBeUndefined();
    expect(parseTrainConfig({ loraTargetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }).loraTargetModules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj']);
    expect(() => parseTrainConfig({ loraTargetModules: [] })).toThrow(TrainConfigError);
  });

  it('takes promptFormat auto, seed or chat-template', () => {
    for (const promptFormat of ['auto', 'seed', 'chat-template'] as const) expect(parseTrainConfig({ promptFormat }).promptFormat).toBe(promptFormat);
    expect(() => parseTrainConfig({ promptFormat: 'chatml' })).toThrow(/promptFormat: Invalid option: expected one of "auto"\|"seed"\|"chat-template"/);
  });

  it('derives outputDir from the model unless it is given', () => {
    expect(parseTrainConfig({ model: 'openai-community/gpt2-medium' }).outputDir).toBe('outputs/gpt2-medium-GRPO');
    expect(parseTrainConfig({ model: './models/tiny/' }).outputDir).toBe('outputs/tiny-GRPO');
    expect(parseTrainConfig({ model: 'gpt2', outputDir: 'out' }).outputDir).toBe('out');
    expect(defaultOutputDir('C:\\models\\gpt2')).toBe('outputs/gpt2-GRPO');
  });

  it('lists every bad field, unknown keys included', () => {
    let error: unknown;
    try {
      parseTrainConfig({ loraR: 0, quantization: 'nf8', learning_rate: 1e-5, numGenerations: 1 }, 'job.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainConfigError);
    const issues = (error as TrainConfigError).issues.map((i) => i.field).sort();
    expect(issues).toEqual(['learning_rate', 'loraR', 'numGenerations', 'quantization']);
    expect((error as Error).message).toMatch(/^Invalid job\.yaml:\n/);
  });

  it("applies the trainer's cross-field checks", () => {
    expect(() => parseTrainConfig({ epsilon: 0.3, epsilonHigh: 0.1 })).toThrow(/epsilonHigh \(0\.1\) must be >= epsilon \(0\.3\)/);
  });

  it('splits into exactly the trainer fields and the job fields', () => {
    const { grpo, job } = splitTrainConfig(parseTrainConfig({ learningRate: 3e-5, model: 'gpt2', loraTargetModules: ['c_attn'] }));
    expect(Object.keys(grpo).sort()).toEqual(Object.keys(GRPOConfigSchema.shape).sort());
    expect(Object.keys(job).sort()).toEqual(Object.keys(JobOptionsSchema.shape).sort());
    expect(grpo.learningRate).toBe(3e-5);
    expect(job.model).toBe('gpt2');
    expect(GRPOConfigSchema.parse(grpo)).toEqual(grpo);
  });
});

describe('docs/grpojs.md', () => {
  it('documents every job option (the table cannot silently fall behind the schema)', () => {
    const doc = readFileSync(new URL('../../../docs/grpojs.md', import.meta.url), 'utf8');
    const missing = Object.keys(JobOptionsSchema.shape).filter((name) => !doc.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
