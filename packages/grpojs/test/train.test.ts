/**
 * train() end to end on a tiny random GPT-2, offline: the report, the saved files, reloading the
 * adapter (its greedy answers must reproduce training's final evaluation exactly), and the hub
 * error that names the local-file options.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  answerQuestion,
  defaultRewards,
  evaluate,
  HubUnavailableError,
  loadJobModel,
  loadPeftAdapter,
  loadTrainedModel,
  parseTrainConfig,
  splitTrainConfig,
  SYSTEM_PROMPT,
  train,
  writeTinyGPT2,
  type TrainConfigInput,
  type TrainReport,
} from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'grpojs-train-'));
const silent = { info: () => {}, warn: () => {} };
const problems = [
  ['Ann has 3 pens and buys 4 more. How many pens does she have?', 'She has 3+4=<<3+4=7>>7 pens.\n#### 7'],
  ['A box has 5 rows of 6 eggs. How many eggs are in the box?', 'There are 5*6=<<5*6=30>>30 eggs.\n#### 30'],
  ['Bo reads 8 pages a day for 3 days. How many pages does he read?', 'He reads 8*3=<<8*3=24>>24 pages.\n#### 24'],
  ['Cy had 20 dollars and spent 9. How many dollars are left?', 'He has 20-9=<<20-9=11>>11 dollars left.\n#### 11'],
];

// A random model's completions score 0 on all seven rewards (zero advantages, no update); this one
// always varies, so the adapter really trains.
const lengthReward = Object.assign((completions: string[]) => completions.map((c) => c.length / 100), { rewardName: 'length' });
const rewardFunctions = [...defaultRewards, lengthReward];

let config: TrainConfigInput;
let report: TrainReport;

beforeAll(async () => {
  const data = join(work, 'problems.jsonl');
  writeFileSync(data, problems.map(([question, answer]) => JSON.stringify({ question, answer })).join('\n') + '\n');
  config = {
    model: await writeTinyGPT2(join(work, 'tiny')),
    data,
    outputDir: join(work, 'out'),
    reportTo: ['local'],
    runsDir: join(work, 'runs'),
    maxSteps: 2,
    gradientAccumulationSteps: 1,
    learningRate: 1e-3,
    maxPromptLength: 96,
    maxCompletionLength: 8,
    loggingSteps: 1,
    saveSteps: 0,
    evalSteps: 0,
    evalMaxSamples: 2,
    saveMerged: true,
  };
  report = await train(config, { logger: silent, cwd: work, rewardFunctions });
}, 300_000);

describe('train() on a tiny random GPT-2', () => {
  it('runs the steps and evaluates the fine-tuned model against its base at the end', () => {
    expect(report.result.globalStep).toBe(2);
    expect(report.result.completed).toBe(true);
    expect(report.trainRows).toBe(4);
    expect(report.evalRows).toBe(2);
    expect(report.finalEval?.step).toBe(2);
    expect(report.finalEval?.model.samples).toBe(2);
    expect(report.finalEval?.base.samples).toBe(2);
    // GSM8K exact match is passed to the trainer's evaluation: accuracy is reported (0 for a random model).
    expect(report.finalEval?.model.accuracy).toBeTypeOf('number');
    expect(report.finalEval?.base.accuracy).toBeTypeOf('number');
    expect(Object.keys(report.finalEval?.model.rewards ?? {})).toEqual(['correctness', 'format', 'strict_format', 'numeric', 'conciseness', 'repetition', 'cot_clarity', 'length']);
  });

  it('saves a PEFT adapter whose B matrices moved from their zero init, and report.json', async () => {
    const adapter = await loadPeftAdapter(report.outputDir);
    expect(adapter.config).toMatchObject({ r: 16, alpha: 64, dropout: 0.05, targetModules: ['c_attn'] });
    const b = [...adapter.tensors].filter(([name]) => name.includes('lora_B'));
    expect(b).toHaveLength(2);
    for (const [, tensor] of b) expect(tensor.data.some((v) => v !== 0)).toBe(true);
    const saved = JSON.parse(readFileSync(join(report.outputDir, 'report.json'), 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ globalStep: 2, completed: true, finalEval: { step: 2 } });
  });

  it('with saveMerged, writes a plain HF folder with the adapter folded in', async () => {
    const merged = join(report.outputDir, 'merged');
    for (const file of ['config.json', 'model.safetensors', 'tokenizer.json']) expect(existsSync(join(merged, file)), file).toBe(true);
    expect(existsSync(join(merged, 'adapter_config.json'))).toBe(false);
    const again = await evaluate({ ...config, quantization: 'none' }, { adapter: merged, logger: silent, rewardFunctions });
    expect(again.model.reward).toBeCloseTo(report.finalEval!.model.reward, 6);
  }, 120_000);

  it('writes the run directory with metrics and report.html', () => {
    expect(report.runDir).not.toBeNull();
    for (const file of ['metrics.jsonl', 'config.json', 'report.html']) expect(existsSync(join(report.runDir!, file)), file).toBe(true);
  });

  it('reloads the adapter: evaluate() reproduces the final evaluation exactly (greedy)', async () => {
    const again = await evaluate(config, { adapter: report.outputDir, logger: silent, rewardFunctions });
    expect(again.model).toEqual(report.finalEval?.model);
    expect(again.base).toEqual(report.finalEval?.base);
  }, 120_000);

  it('answers a question from the saved folder, prompted as in training', async () => {
    const model = await loadTrainedModel(report.outputDir);
    try {
      const answer = await answerQuestion(model, 'What is 6 * 7?', { maxNewTokens: 5 });
      expect(answer.prompt).toContain(SYSTEM_PROMPT);
      expect(answer.prompt).toContain('What is 6 * 7?');
      expect(answer.completionIds.length).toBeGreaterThan(0);
      expect(answer.completionIds.length).toBeLessThanOrEqual(5);
      expect(model.tokenizer.decode(answer.completionIds, { skipSpecialTokens: true })).toBe(answer.completion);
    } finally {
      model.dispose();
    }
  }, 60_000);
});

describe('loadJobModel', () => {
  it('takes the tokenizer option: "embedded" is the built-in GPT-2 BPE', async () => {
    const { job } = splitTrainConfig(parseTrainConfig({ ...config, tokenizer: 'embedded', quantization: 'none' }));
    const model = await loadJobModel(job, 0);
    try {
      expect(model.tokenizer.encode('Hello, my name is')).toEqual([15496, 11, 616, 1438, 318]);
      expect(model.trainableVariables()).toHaveLength(4);
    } finally {
      model.dispose();
    }
  });
});

describe('hub failures', () => {
  it('an unreachable model names the local-file options', async () => {
    const error = await train({ ...config, model: 'no-such-org/no-such-model', offline: true, cacheDir: join(work, 'empty-cache') }, { logger: silent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubUnavailableError);
    expect((error as Error).message).toMatch(/Cannot load the model "no-such-org\/no-such-model" from the Hugging Face hub/);
    expect((error as Error).message).toMatch(/--model <folder[\s\S]*--data <GSM8K/);
  });

  it('unreachable data too', async () => {
    const error = await train({ ...config, data: 'openai/gsm8k', offline: true, cacheDir: join(work, 'empty-cache') }, { logger: silent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubUnavailableError);
    expect((error as HubUnavailableError).what).toBe('data');
  });
});
