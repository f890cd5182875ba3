/**
 * A resume continues the same run or says why it cannot (issue 11, items 1 and 3), on the bigram
 * policy: a fresh run refuses a folder holding another run's checkpoints (or replaces them with
 * overwriteOutputDir), a resume with other data, config or model is refused, a checkpoint without
 * a recorded identity gets a warning, a torn completions.jsonl is repaired with a log line, stale
 * temporaries are removed, a damaged newest checkpoint is named with the previous sound one, and
 * checkpoints are fsynced before they are renamed into place.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import type { GRPOTrainerOptions } from '../src/trainer-options.js';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
/** A pid no process has: above Linux's pid_max. */
const DEAD_PID = 4_194_400;
let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-resume-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

interface Logs {
  warn: string[];
  info: string[];
}

/** A trainer on the bigram task; `extra` overrides config, `options` the trainer options. */
function make(dir: string, extra: GRPOConfigInput = {}, options: Partial<GRPOTrainerOptions> = {}) {
  const model = new BigramPolicy(tokenizer.vocabSize, { seed: 3 });
  const logs: Logs = { warn: [], info: [] };
  const trainer = new GRPOTrainer({
    model,
    tokenizer,
    rewardFunctions: [countReward('c')],
    trainDataset: syntheticPrompts(32),
    runConfig: { data: 'a.jsonl', reportTo: ['local'] },
    mayChangeOnResume: ['reportTo'],
    modelIdentity: { source: 'bigram', configSha256: 'abc' },
    logger: { warn: (m: string) => logs.warn.push(m), info: (m: string) => logs.info.push(m) },
    ...options,
    config: {
      outputDir: join(root, dir),
      numGenerations: 4,
      perDeviceTrainBatchSize: 2,
      gradientAccumulationSteps: 2,
      maxCompletionLength: 6,
      learningRate: 0.05,
      loggingSteps: 1,
      saveSteps: 2,
      evalSteps: 0,
      maxSteps: 4,
      ...extra,
    },
  });
  const close = () => {
    trainer.dispose();
    model.dispose();
  };
  return { model, trainer, logs, close };
}

/** Trains a run of `steps` steps in `dir` (checkpoints every 2) and returns its final LoRA B. */
async function trainRun(dir: string, steps = 4, extra: GRPOConfigInput = {}, options: Partial<GRPOTrainerOptions> = {}): Promise<number[]> {
  const run = make(dir, { maxSteps: steps, ...extra }, options);
  await run.trainer.train();
  const b = Array.from(run.model.loraB.dataSync());
  run.close();
  return b;
}

const checkpoints = async (dir: string) => (await readdir(join(root, dir))).filter((n) => n.startsWith('checkpoint-')).sort();

describe('a run never continues from another run', () => {
  it('a fresh run refuses a folder holding checkpoints and leaves them as they were', async () => {
    await trainRun('taken');
    const before = await readFile(join(root, 'taken', 'checkpoint-4', 'trainable_variables.bin'));
    const other = make('taken', {}, { trainDataset: syntheticPrompts(32, 3, 99) });
    await expect(other.trainer.train()).rejects.toThrow(/taken already holds another run's files \(checkpoint-2, checkpoint-4, completions\.jsonl\).*--resume latest.*--overwrite-output-dir/);
    other.close();
    expect(await checkpoints('taken')).toEqual(['checkpoint-2', 'checkpoint-4']);
    expect(await readFile(join(root, 'taken', 'checkpoint-4', 'trainable_variables.bin'))).toEqual(before);
  });

  it('overwriteOutputDir removes the old checkpoints and completions first, then trains', async () => {
    await trainRun('overwrite', 4);
    const run = make('overwrite', { overwriteOutputDir: true, maxSteps: 2 }, { trainDataset: syntheticPrompts(32, 3, 99) });
    await run.trainer.train();
    run.close();
    expect(await checkpoints('overwrite')).toEqual(['checkpoint-2']);
    expect(run.logs.info.join('\n')).toMatch(/overwriteOutputDir: removed the previous run's checkpoint-2, checkpoint-4, completions\.jsonl from .*overwrite/);
    const steps = (await readFile(join(root, 'overwrite', 'completions.jsonl'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(new Set(steps)).toEqual(new Set([1, 2]));
  });

  it('resume refuses other training rows, a changed config field, another model or job setting, and names them', async () => {
    await trainRun('identity', 2);
    const refusals: [string, GRPOConfigInput, Partial<GRPOTrainerOptions>, RegExp][] = [
      ['data', {}, { trainDataset: syntheticPrompts(32, 3, 99) }, /belongs to a different run: training rows: 32 rows, sha256 [0-9a-f]{12}… → 32 rows, sha256/],
      ['config', { learningRate: 0.01 }, {}, /belongs to a different run: learningRate: 0\.05 → 0\.01\..*Only these may change on resume: outputDir, overwriteOutputDir, runName, maxSteps/],
      ['model', {}, { modelIdentity: { source: 'bigram', configSha256: 'def' } }, /belongs to a different run: model\.configSha256: abc → def/],
      ['job', {}, { runConfig: { data: 'b.jsonl', reportTo: ['local'] } }, /belongs to a different run: data: a\.jsonl → b\.jsonl/],
    ];
    for (const [what, extra, options, message] of refusals) {
      const run = make('identity', extra, options);
      await expect(run.trainer.resume('latest'), what).rejects.toThrow(message);
      run.close();
    }
  });

  it('fields meant to change on resume may change (maxSteps, saveSteps, a mayChangeOnResume field), with a warning', async () => {
    await trainRun('allowed', 2);
    const run = make('allowed', { maxSteps: 4, saveSteps: 1 }, { runConfig: { data: 'a.jsonl', reportTo: ['console'] } });
    await run.trainer.resume('latest');
    const result = await run.trainer.train();
    run.close();
    expect(result.globalStep).toBe(4);
    expect(run.logs.warn.join('\n')).toMatch(/resuming .*checkpoint-2 with maxSteps: 2 → 4; saveSteps: 2 → 1; reportTo: \["local"\] → \["console"\]/);
  });

  it('a checkpoint written before identities were recorded resumes with a warning, not a crash', async () => {
    await trainRun('legacy', 2);
    const statePath = join(root, 'legacy', 'checkpoint-2', 'trainer_state.json');
    const state = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, unknown> & { config: Record<string, unknown> };
    delete state.identity;
    delete state.config.overwriteOutputDir;
    await writeFile(statePath, JSON.stringify(state));
    const run = make('legacy', {}, { trainDataset: syntheticPrompts(32, 3, 99) });
    await run.trainer.resume('latest');
    run.close();
    expect(run.logs.warn.join('\n')).toMatch(/checkpoint-2 was written before checkpoints recorded their run's data and model: .*make sure the data and model are the ones it was trained with/);
  });
});

describe('crash-consistent files', () => {
  it('a torn last line of completions.jsonl is cut off on resume, with a log line naming the file and the bytes', async () => {
    await trainRun('torn', 2);
    const file = join(root, 'torn', 'completions.jsonl');
    const complete = await readFile(file, 'utf8');
    await appendFile(file, '{"step":3,"prompt":"ab'); // the disk filled up during the next append
    const run = make('torn');
    await run.trainer.resume('latest');
    expect(run.logs.warn).toContain(`grpojs: ${file}: dropped a torn last line (22 bytes) left by a crash or a full disk during an append.`);
    expect(await readFile(file, 'utf8')).toBe(complete);
    await run.trainer.train();
    run.close();
    const steps = (await readFile(file, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect([...new Set(steps)]).toEqual([1, 2, 3, 4]);
  });

  it('a damaged line inside completions.jsonl is an error naming the file and line', async () => {
    await trainRun('garbled', 2);
    const file = join(root, 'garbled', 'completions.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[2] = 'garbage';
    await writeFile(file, lines.join('\n'));
    const run = make('garbled');
    await expect(run.trainer.resume('latest')).rejects.toThrow(`${file}:3 is not a JSON line`);
    run.close();
  });

  it('temporaries of a killed save are removed when a run starts; other files are kept', async () => {
    const dir = join(root, 'stale');
    await mkdir(join(dir, `.checkpoint-6.tmp-${DEAD_PID}`), { recursive: true });
    await writeFile(join(dir, `.checkpoint-6.tmp-${DEAD_PID}`, 'optimizer.bin'), 'x');
    await writeFile(join(dir, `adapter_model.safetensors.tmp-${DEAD_PID}-q1w2e3`), 'x');
    await writeFile(join(dir, 'notes.tmp'), 'x');
    const run = make('stale', { maxSteps: 2 });
    await run.trainer.train();
    run.close();
    const names = await readdir(dir);
    expect(names.filter((n) => n.includes('.tmp'))).toEqual(['notes.tmp']);
    expect(run.logs.info.join('\n')).toMatch(/removed 2 temporary file\(s\) left by an interrupted save in .*stale: \.checkpoint-6\.tmp-4194400, adapter_model\.safetensors\.tmp-4194400-q1w2e3/);
  });

  it('checkpoint files and folders are fsynced before and after the rename', async () => {
    const probe = await open(join(root, 'probe'), 'w');
    const sync = vi.spyOn(Object.getPrototypeOf(probe) as { sync: () => Promise<void> }, 'sync');
    await probe.close();
    const run = make('synced', { maxSteps: 1, saveSteps: 1, logCompletions: false });
    await run.trainer.train();
    run.close();
    const files = await readdir(join(root, 'synced', 'checkpoint-1'));
    expect(sync.mock.calls.length).toBeGreaterThanOrEqual(files.length + 2); // every file, the folder, the parent
  });
});

describe('a damaged checkpoint is named, never loaded silently', () => {
  /** Rewrites `file` of checkpoint-4 in `dir` through `edit`. */
  async function damage(dir: string, file: string, edit: (bytes: Buffer) => Buffer | string): Promise<void> {
    const path = join(root, dir, 'checkpoint-4', file);
    await writeFile(path, edit(await readFile(path)));
  }

  it('a flipped byte: the newest is refused and the previous sound one is offered; resuming it by name works', async () => {
    await trainRun('flipped', 4);
    await damage('flipped', 'trainable_variables.bin', (b) => {
      b[5] ^= 0xff;
      return b;
    });
    const run = make('flipped');
    await expect(run.trainer.resume('latest')).rejects.toThrow(
      /flipped[/\\]checkpoint-4 is damaged and was not loaded: .*trainable_variables\.bin: its sha256 differs .*The previous checkpoint .*checkpoint-2 is complete: resume from it \(CLI: --resume checkpoint-2\)/,
    );
    await run.trainer.resume('checkpoint-2');
    expect(run.trainer.globalStep).toBe(2);
    run.close();
  });

  it('NaN values, a step count that disagrees with the files, a truncated file: each is named', async () => {
    await trainRun('nan', 4);
    await damage('nan', 'optimizer.bin', (b) => {
      b.writeFloatLE(Number.NaN, 4);
      return b;
    });
    await damage('nan', 'optimizer.json', (b) => {
      const manifest = JSON.parse(b.toString()) as { sha256: string };
      return JSON.stringify({ ...manifest, sha256: undefined });
    });
    await damage('nan', 'trainer_state.json', (b) => b.toString().replace('"globalStep": 4', '"globalStep": 5'));
    const run = make('nan');
    const error = (await run.trainer.resume('latest').catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('CheckpointError');
    expect(error.message).toMatch(/the folder is step 4 but trainer_state\.json says globalStep 5/);
    expect(error.message).toMatch(/optimizer\.bin: the moments of "bigram\.lora_A#\d+" hold NaN\/Inf/);
    expect(error.message).toMatch(/--resume checkpoint-2/);
    await damage('nan', 'trainable_variables.bin', (b) => b.subarray(0, 8));
    await expect(run.trainer.resume('latest')).rejects.toThrow(/trainable_variables\.bin holds 8 bytes but .* lists \d+ float32 values/);
    run.close();
  });

  it('a trainer_state.json without its fields or with a malformed identity is damaged, not a crash', async () => {
    await trainRun('fields', 4);
    await damage('fields', 'trainer_state.json', (b) => {
      const state = JSON.parse(b.toString()) as Record<string, unknown>;
      delete state.rewardNames;
      return JSON.stringify(state);
    });
    const run = make('fields');
    await expect(run.trainer.resume('latest')).rejects.toThrow(/checkpoint-4 is damaged and was not loaded: trainer_state\.json has no rewardNames\..*--resume checkpoint-2/);
    await damage('fields', 'trainer_state.json', (b) => JSON.stringify({ ...(JSON.parse(b.toString()) as object), rewardNames: ['count_c'], identity: { data: 1 } }));
    await expect(run.trainer.resume('latest')).rejects.toThrow(/trainer_state\.json has a malformed identity/);
    run.close();
  });

  it('a checkpoint of another LoRA shape is refused as not fitting this model', async () => {
    await trainRun('shape', 2);
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 3, rank: 2 });
    const trainer = new GRPOTrainer({ model, tokenizer, rewardFunctions: [countReward('c')], trainDataset: syntheticPrompts(32), config: { outputDir: join(root, 'shape'), numGenerations: 4 } });
    await expect(trainer.resume('latest')).rejects.toThrow(/checkpoint-2 does not fit this model: "bigram\.lora_A#\d+" \[\d+,4\] where the model has "bigram\.lora_A#\d+" \[\d+,2\]/);
    trainer.dispose();
    model.dispose();
  });

  it('the sha256 recorded for each tensor file matches its bytes', async () => {
    await trainRun('sums', 2);
    for (const base of ['trainable_variables', 'optimizer']) {
      const manifest = JSON.parse(await readFile(join(root, 'sums', 'checkpoint-2', `${base}.json`), 'utf8')) as { sha256: string };
      const bytes = await readFile(join(root, 'sums', 'checkpoint-2', `${base}.bin`));
      expect(manifest.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(existsSync(join(root, 'sums', 'checkpoint-2', 'trainer_state.json'))).toBe(true);
  });
});
