/**
 * A job that cannot finish fails before the model loads (or, for what needs the tokenizer, before
 * the first step), with an error that names the folder, file or option: unwritable output and runs
 * folders, evaluation that would run on the training rows, data without usable answers or with
 * undecodable bytes, sequence lengths beyond the model's positions, a reward weight list of the
 * wrong length. Most cases give a `model` that does not exist: reaching the model load would
 * surface as a different error.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetFormatError,
  evaluate,
  loadJobData,
  parseTrainConfig,
  splitTrainConfig,
  train,
  TrainConfigError,
  UnwritableFolderError,
  writeTinyGPT2,
  type TrainConfigInput,
} from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'grpojs-fail-early-'));
const silent = { info: () => {}, warn: () => {} };
const row = (i: number, answer = `#### ${i}`) => JSON.stringify({ question: `Q${i}: what is ${i} + 0?`, answer: `${i}+0=${i}\n${answer}` });
const jsonl = (name: string, lines: string[]) => {
  const file = join(work, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
};
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => row(from + i));

const missingModel = join(work, 'no-such-model');
let trainFile: string;
let testFile: string;
let base: TrainConfigInput;

/** What train() threw (or a marker when it did not). */
const failure = (config: TrainConfigInput, hooks = {}) => train(config, { logger: silent, cwd: work, ...hooks }).then(() => new Error('no error'), (e: unknown) => e as Error);

beforeAll(() => {
  trainFile = jsonl('train.jsonl', rows(0, 8));
  testFile = jsonl('test.jsonl', rows(100, 102));
  base = { model: missingModel, data: trainFile, evalData: testFile, outputDir: join(work, 'out'), reportTo: ['local'], runsDir: join(work, 'runs'), maxSteps: 1 };
});

describe('output and runs folders are checked before anything loads', () => {
  const aFile = () => jsonl('a-file', ['not a folder']);

  it('an outputDir that cannot be created names the folder, the option, the flag and the OS reason', async () => {
    const folder = join(aFile(), 'out');
    const error = await failure({ ...base, outputDir: folder });
    expect(error).toBeInstanceOf(UnwritableFolderError);
    expect(error.message).toContain(folder);
    expect(error.message).toContain('outputDir (CLI: --output-dir)');
    expect(error.message).toMatch(/ENOTDIR|EEXIST/);
    expect((error as UnwritableFolderError).option).toBe('outputDir');
  });

  it('so does the runs dir of the local tracker', async () => {
    const folder = join(aFile(), 'runs');
    const error = await failure({ ...base, runsDir: folder });
    expect(error).toBeInstanceOf(UnwritableFolderError);
    expect(error.message).toContain('runsDir (CLI: --runs-dir)');
    expect(error.message).toContain(folder);
  });

  it('a relative runsDir is taken from hooks.cwd, as the tracker takes it', async () => {
    const cwd = join(work, 'cwd-with-file');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'runs'), 'a file where the runs folder should be');
    const error = await failure({ ...base, runsDir: 'runs' }, { cwd });
    expect(error).toBeInstanceOf(UnwritableFolderError);
    expect(error.message).toContain(join(cwd, 'runs'));
  });

  it('the runs dir is not checked when no local tracker writes there; folders that pass are created, without a probe left behind', async () => {
    const outputDir = join(work, 'fresh-out');
    const error = await failure({ ...base, outputDir, reportTo: ['console'], runsDir: join(aFile(), 'runs') });
    expect(error).not.toBeInstanceOf(UnwritableFolderError);
    expect(readdirSync(outputDir)).toEqual([]);
  });

  it('a read-only folder (when the OS enforces it for this user)', async () => {
    const folder = join(work, 'read-only');
    mkdirSync(folder, { mode: 0o555 });
    let writable = true;
    try {
      writeFileSync(join(folder, 'x'), '');
      rmSync(join(folder, 'x'));
    } catch {
      writable = false;
    }
    const error = await failure({ ...base, outputDir: folder });
    if (writable) expect(error).not.toBeInstanceOf(UnwritableFolderError); // root: permissions do not apply
    else expect(error.message).toMatch(new RegExp(`${folder}[\\s\\S]*EACCES`));
  });
});

describe('evaluation never runs on the training rows', () => {
  const options = (config: TrainConfigInput) => splitTrainConfig(parseTrainConfig(config)).job;

  it('a single-file data without evalData or evalHoldout is an error that names the ways out', async () => {
    const error = await failure({ ...base, evalData: null });
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error.message).toContain(trainFile);
    for (const way of ['--eval-data', '--eval-holdout', '--eval-split null']) expect(error.message).toContain(way);
  });

  it('also when evalData is the same file under another spelling, or the eval split is the training split', async () => {
    const sameFile = await failure({ ...base, evalData: join(work, '.', 'sub', '..', 'train.jsonl') });
    expect(sameFile).toBeInstanceOf(TrainConfigError);
    expect(sameFile.message).toMatch(/training rows/);
    const folder = join(work, 'both-splits');
    jsonl('both-splits/train.jsonl', rows(0, 4));
    jsonl('both-splits/test.jsonl', rows(10, 12));
    const sameSplit = await failure({ ...base, data: folder, evalData: null, evalSplit: 'train' });
    expect(sameSplit).toBeInstanceOf(TrainConfigError);
    expect(sameSplit.message).toMatch(/training rows/);
  });

  it('a hub dataset whose eval split is the training split fails before any download', async () => {
    const error = await failure({ ...base, data: 'openai/gsm8k', evalData: null, evalSplit: 'train', offline: true, cacheDir: join(work, 'empty-cache') });
    expect(error).toBeInstanceOf(TrainConfigError);
  });

  it('a folder with only a train split: the unknown split error says how to evaluate', async () => {
    const folder = join(work, 'train-only');
    jsonl('train-only/train.jsonl', rows(0, 4));
    const error = await failure({ ...base, data: folder, evalData: null });
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error.message).toMatch(/Unknown split "test" .*Available splits: train/);
    expect(error.message).toContain('--eval-holdout');
  });

  it('a folder with train and test splits (the reference layout) loads both, with no holdout', async () => {
    const folder = join(work, 'reference');
    jsonl('reference/train.jsonl', rows(0, 4));
    jsonl('reference/test.jsonl', rows(10, 13));
    const lines: string[] = [];
    const data = await loadJobData(options({ data: folder }), { seed: 0, logger: { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l) } });
    expect([data.train.length, data.eval.length]).toEqual([4, 3]);
    expect(lines).toEqual([]);
  });

  it('evalHoldout holds out seeded rows that are never trained on, says so, and evaluate() gets the same rows', async () => {
    const job = options({ data: trainFile, evalHoldout: 0.25 });
    const lines: string[] = [];
    const data = await loadJobData(job, { seed: 3, logger: { info: (l: string) => lines.push(l), warn: () => {} } });
    expect(data.eval).toHaveLength(2);
    expect(data.train).toHaveLength(6);
    const trained = new Set(data.train.map((r) => r.question));
    expect(data.eval.some((r) => trained.has(r.question))).toBe(false);
    expect(lines.join('\n')).toMatch(/held out 2 of 8 rows of .*train\.jsonl for evaluation \(evalHoldout 0\.25, seed 3\)/);
    const again = await loadJobData(job, { seed: 3, evalOnly: true });
    expect(again.train).toEqual([]);
    expect(again.eval.map((r) => r.question)).toEqual(data.eval.map((r) => r.question));
    const other = await loadJobData(job, { seed: 4 });
    expect(other.eval.map((r) => r.question)).not.toEqual(data.eval.map((r) => r.question));
    // maxTrainSamples and evalMaxSamples cut the two parts after the split, so they do not move the eval rows.
    const capped = await loadJobData({ ...job, maxTrainSamples: 2 }, { seed: 3, evalLimit: 1 });
    expect(capped.train.map((r) => r.question)).toEqual(data.train.slice(0, 2).map((r) => r.question));
    expect(capped.eval.map((r) => r.question)).toEqual(data.eval.slice(0, 1).map((r) => r.question));
  });

  it('evalHoldout is checked with the config: a count or a fraction, not with evalData or without evaluation', () => {
    expect(parseTrainConfig({ evalHoldout: 100 }).evalHoldout).toBe(100);
    expect(() => parseTrainConfig({ evalHoldout: 1.5 })).toThrow(/evalHoldout: .*fraction/);
    expect(() => parseTrainConfig({ evalHoldout: 0.1, evalData: 'x.jsonl' })).toThrow(/evalHoldout: .*evalData/);
    expect(() => parseTrainConfig({ evalHoldout: 0.1, evalSplit: null })).toThrow(/evalHoldout: .*evalSplit/);
  });

  it('evaluate() on a single-file data refuses too, before loading the adapter', async () => {
    const error = await evaluate({ ...base, evalData: null }, { adapter: missingModel, logger: silent }).then(() => new Error('no error'), (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error.message).toContain('--eval-holdout');
  });
});

describe('data a job cannot learn from', () => {
  it('no row with a "#### <answer>": an error naming the file, before the model loads', async () => {
    const file = jsonl('no-answers.jsonl', [row(1, 'the answer is 1'), row(2, 'two')]);
    const error = await failure({ ...base, data: file });
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect(error.message).toContain(file);
  });

  it('some rows without one: a warning with the count, the file and the first lines', async () => {
    const file = jsonl('some-answers.jsonl', [row(1), row(2, 'two'), row(3), row(4, 'four')]);
    const warnings: string[] = [];
    const data = await loadJobData(splitTrainConfig(parseTrainConfig({ data: file, evalData: testFile })).job, { seed: 0, logger: { info: () => {}, warn: (l: string) => warnings.push(l) } });
    expect(data.train).toHaveLength(4);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toMatch(/2 of 4 training rows .*lines 2, 4/);
  });

  it('bytes that are not UTF-8: an error naming the file and line', async () => {
    const file = join(work, 'latin1.jsonl');
    writeFileSync(file, Buffer.concat([Buffer.from(`${row(1)}\n{"question": "caf`), Buffer.from([0xe9]), Buffer.from('", "answer": "#### 2"}\n')]));
    const error = await failure({ ...base, data: file });
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect(error.message).toContain(`${file}, line 2: not valid UTF-8`);
  });
});

describe("sequence lengths beyond the model's positions", () => {
  let small: string;
  let noWeights: string;

  beforeAll(async () => {
    small = await writeTinyGPT2(join(work, 'tiny-64'), { nPositions: 64 });
    noWeights = join(work, 'tiny-64-config-only');
    cpSync(small, noWeights, { recursive: true, filter: (source) => !source.endsWith('.safetensors') });
  });

  it("maxPromptLength + maxCompletionLength over n_positions: an error from config.json, before the weights load", async () => {
    expect(existsSync(join(noWeights, 'model.safetensors'))).toBe(false);
    const error = await failure({ ...base, model: noWeights, maxPromptLength: 48, maxCompletionLength: 32 });
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error.message).toMatch(/48 \+ 32 = 80 .*n_positions 64/);
    expect(error.message).toContain('--max-completion-length');
  });

  it('with maxPromptLength null, the longest prompt is measured before the first step', async () => {
    const long = jsonl('long.jsonl', [JSON.stringify({ question: 'word '.repeat(80), answer: '#### 1' }), row(1)]);
    const outputDir = join(work, 'out-long');
    const error = await failure({ ...base, model: small, data: long, maxPromptLength: null, maxCompletionLength: 8, gradientAccumulationSteps: 1, quantization: 'none', outputDir });
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error.message).toMatch(/longest prompt \(training row 1: ".*"\) is \d+ tokens; \+ maxCompletionLength 8 = \d+ exceeds n_positions 64/);
    expect(error.message).toContain('--max-prompt-length');
    expect(readdirSync(outputDir)).toEqual([]);
  });
});

describe('other config the trainer would only reject after the model load', () => {
  it('rewardWeights of the wrong length', async () => {
    const error = await failure({ ...base, rewardWeights: [1, 2] });
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error.message).toMatch(/rewardWeights has 2 entries for 7 reward functions/);
  });

  it('fewer training rows than one generation batch', async () => {
    const error = await failure({ ...base, perDeviceTrainBatchSize: 3, gradientAccumulationSteps: 4 });
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error.message).toMatch(/3 × 4 = 12 prompts per generation batch, but there are 8 training rows/);
    expect(error.message).toContain('--gradient-accumulation-steps');
  });

  it('fewer training rows than one generation batch of stepsPerGeneration micro-batches', async () => {
    const error = await failure({ ...base, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 2, stepsPerGeneration: 10 });
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error.message).toMatch(/1 × 10 = 10 prompts per generation batch, but there are 8 training rows/);
    expect(error.message).toContain('--steps-per-generation');
  });
});

