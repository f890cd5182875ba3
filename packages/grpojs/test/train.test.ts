/**
 * train() end to end on a tiny random GPT-2, offline: the report, the saved files, reloading the
 * adapter (its greedy answers must reproduce training's final evaluation exactly), the prompt
 * format (seed template, a tokenizer's chat template, and the error without one), and the hub
 * error that names the local-file options.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
  PromptFormatError,
  splitTrainConfig,
  SYSTEM_PROMPT,
  train,
  writeTinyGPT2,
  type TrainConfigInput,
  type TrainReport,
} from '../src/index.js';
import { CHATML } from './helpers/chatml.js';

const work = mkdtempSync(join(tmpdir(), 'grpojs-train-'));
const silent = { info: () => {}, warn: () => {} };
const problems = [
  ['Ann has 3 pens and buys 4 more. How many pens does she have?', 'She has 3+4=<<3+4=7>>7 pens.\n#### 7'],
  ['A box has 5 rows of 6 eggs. How many eggs are in the box?', 'There are 5*6=<<5*6=30>>30 eggs.\n#### 30'],
  ['Bo reads 8 pages a day for 3 days. How many pages does he read?', 'He reads 8*3=<<8*3=24>>24 pages.\n#### 24'],
  ['Cy had 20 dollars and spent 9. How many dollars are left?', 'He has 20-9=<<20-9=11>>11 dollars left.\n#### 11'],
];

const evalProblems = [
  ['Dee has 2 bags of 5 apples. How many apples does she have?', 'She has 2*5=<<2*5=10>>10 apples.\n#### 10'],
  ['Eli walks 3 km and then 6 km. How far does he walk?', 'He walks 3+6=<<3+6=9>>9 km.\n#### 9'],
];

// A random model's completions score 0 on all seven rewards (zero advantages, no update); this one
// always varies, so the adapter really trains.
const lengthReward = Object.assign((completions: string[]) => completions.map((c) => c.length / 100), { rewardName: 'length' });
const rewardFunctions = [...defaultRewards, lengthReward];

let config: TrainConfigInput;
let report: TrainReport;
const logLines: string[] = [];

beforeAll(async () => {
  const data = join(work, 'problems.jsonl');
  writeFileSync(data, problems.map(([question, answer]) => JSON.stringify({ question, answer })).join('\n') + '\n');
  // Evaluation needs rows apart from the training rows (a single file has no eval split).
  const evalData = join(work, 'eval-problems.jsonl');
  writeFileSync(evalData, evalProblems.map(([question, answer]) => JSON.stringify({ question, answer })).join('\n') + '\n');
  config = {
    model: await writeTinyGPT2(join(work, 'tiny')),
    data,
    evalData,
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
  report = await train(config, { logger: { info: (line: string) => logLines.push(line), warn: () => {} }, cwd: work, rewardFunctions });
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
    for (const scores of [report.finalEval?.model, report.finalEval?.base]) {
      expect(Number.isFinite(scores?.accuracy), `accuracy ${scores?.accuracy} must be finite`).toBe(true);
      expect(scores?.accuracy).toBeGreaterThanOrEqual(0);
      expect(scores?.accuracy).toBeLessThanOrEqual(1);
    }
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
    // The reward functions as the metrics name them, in order, with their weights (the CLI's --reward-module adds to them).
    expect((saved.rewards as { name: string }[]).map((r) => r.name)).toEqual(['correctness', 'format', 'strict_format', 'numeric', 'conciseness', 'repetition', 'cot_clarity', 'length']);
    expect(report.rewards.every((r) => Number.isFinite(r.weight))).toBe(true);
  });

  it('records and logs the resolved choices: seed template (GPT-2 has no chat template) and LoRA on c_attn', () => {
    expect(logLines.filter((line) => line.includes('prompt format'))).toEqual(['grpojs: prompt format: seed template']);
    expect(logLines).toContain('grpojs: LoRA adapters on c_attn');
    expect(report.config).toMatchObject({ promptFormat: 'seed', loraTargetModules: ['c_attn'] });
    const saved = JSON.parse(readFileSync(join(report.outputDir, 'report.json'), 'utf8')) as { config: Record<string, unknown> };
    expect(saved.config).toMatchObject({ promptFormat: 'seed', loraTargetModules: ['c_attn'] });
    const runConfig = JSON.parse(readFileSync(join(report.runDir!, 'config.json'), 'utf8')) as { config: Record<string, unknown> };
    expect(runConfig.config).toMatchObject({ model: config.model, promptFormat: 'seed', loraTargetModules: ['c_attn'], learningRate: 1e-3 });
    const prompts = readFileSync(join(report.outputDir, 'completions.jsonl'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { prompt: string }).prompt);
    for (const prompt of prompts) expect(prompt).toMatch(/^system: [\s\S]*\nuser: [^\n]+\n$/);
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
      expect(model.promptFormat.format).toBe('seed');
      const answer = await answerQuestion(model, 'What is 6 * 7?', { maxNewTokens: 5 });
      expect(answer.prompt).toBe(`system: ${SYSTEM_PROMPT}\nuser: What is 6 * 7?\n`);
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

describe('promptFormat', () => {
  // The tiny GPT-2 with a ChatML chat template in its tokenizer_config.json, as an instruct model ships.
  let chatModel: string;
  const oneStep = (name: string): TrainConfigInput => ({ ...config, model: chatModel, outputDir: join(work, name), maxSteps: 1, evalSplit: null, saveMerged: false });
  const promptsOf = (outputDir: string) =>
    readFileSync(join(outputDir, 'completions.jsonl'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { prompt: string }).prompt);

  beforeAll(() => {
    chatModel = join(work, 'tiny-chat');
    cpSync(config.model as string, chatModel, { recursive: true });
    const file = join(chatModel, 'tokenizer_config.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), chat_template: CHATML }));
  });

  it("chat-template without one fails before the weights load, naming the tokenizer's source", async () => {
    const lines: string[] = [];
    const error = await train({ ...config, outputDir: join(work, 'out-no-template'), promptFormat: 'chat-template' }, { logger: { info: (l: string) => lines.push(l), warn: () => {} } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PromptFormatError);
    expect((error as PromptFormatError).tokenizer).toBe(config.model);
    expect((error as Error).message).toContain(`the tokenizer of ${config.model as string} has no chat template (its tokenizer_config.json has no chat_template)`);
    expect(lines.some((l) => l.includes('loaded'))).toBe(false);
  });

  it("auto uses the tokenizer's chat template, ending with the generation prompt; the reloaded model prompts the same way", async () => {
    const lines: string[] = [];
    const run = await train(oneStep('out-chat'), { logger: { info: (l: string) => lines.push(l), warn: () => {} }, cwd: work, rewardFunctions });
    expect(lines.filter((l) => l.includes('prompt format'))).toEqual([`grpojs: prompt format: chat template of ${chatModel}`]);
    expect(run.config.promptFormat).toBe('chat-template');
    for (const prompt of promptsOf(run.outputDir)) {
      expect(prompt.startsWith(`<|im_start|>system\n${SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n`)).toBe(true);
      expect(prompt.endsWith('<|im_end|>\n<|im_start|>assistant\n')).toBe(true);
    }
    const model = await loadTrainedModel(run.outputDir);
    try {
      expect(model.promptFormat.format).toBe('chat-template');
      const answer = await answerQuestion(model, 'What is 6 * 7?', { maxNewTokens: 2 });
      expect(answer.prompt).toBe(`<|im_start|>system\n${SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\nWhat is 6 * 7?<|im_end|>\n<|im_start|>assistant\n`);
    } finally {
      model.dispose();
    }
  });

  it("seed keeps the seed template over the tokenizer's; reloading follows the recorded format unless told otherwise", async () => {
    const run = await train({ ...oneStep('out-seed'), promptFormat: 'seed' }, { logger: silent, cwd: work, rewardFunctions });
    expect(run.config.promptFormat).toBe('seed');
    for (const prompt of promptsOf(run.outputDir)) expect(prompt).toMatch(/^system: [\s\S]*\nuser: [^\n]+\n$/);
    for (const [options, format] of [[{}, 'seed'], [{ promptFormat: 'chat-template' as const }, 'chat-template']] as const) {
      const model = await loadTrainedModel(run.outputDir, options);
      try {
        expect(model.promptFormat.format).toBe(format);
        const answer = await answerQuestion(model, 'Q?', { maxNewTokens: 1, systemPrompt: null });
        expect(answer.prompt).toBe(format === 'seed' ? 'user: Q?\n' : '<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n');
      } finally {
        model.dispose();
      }
    }
  });
});

describe('hub failures', () => {
  it('an unreachable model names the local-file options', async () => {
    const error = await train({ ...config, outputDir: join(work, 'out-hub-model'), model: 'no-such-org/no-such-model', offline: true, cacheDir: join(work, 'empty-cache') }, { logger: silent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubUnavailableError);
    expect((error as Error).message).toMatch(/Cannot load the model "no-such-org\/no-such-model" from the Hugging Face hub/);
    expect((error as Error).message).toMatch(/--model <folder[\s\S]*--data <GSM8K/);
  });

  it('unreachable data too', async () => {
    const error = await train({ ...config, outputDir: join(work, 'out-hub-data'), evalData: null, data: 'openai/gsm8k', offline: true, cacheDir: join(work, 'empty-cache') }, { logger: silent }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubUnavailableError);
    expect((error as HubUnavailableError).what).toBe('data');
  });
});
