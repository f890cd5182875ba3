/**
 * Checkpoints: `outputDir/checkpoint-<step>/` holds what an exact resume needs — the PEFT adapter
 * (written by the model's own save), the exact trainable values, the AdamW moments, the scheduler,
 * the RNG scheme, the data position, the logging window and, when numIterations > 1 and the step
 * falls inside a generation batch's iterations, that batch, and the identity of the run
 * (run-identity.ts). Written atomically and durably: a temp folder next to the target is filled,
 * every file in it and the folder are fsynced, it is renamed, and the parent folder is fsynced, so
 * a crash or a power loss never leaves a half checkpoint (at worst a temp folder, removed by the
 * next run: removeStaleCheckpointTemps).
 */
import type { Metrics } from '@grpojs/tracking';
import { processAlive, syncDir } from '@grpojs/model';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GenerationBatch } from './batch.js';
import type { GRPOConfig } from './config.js';
import type { EntropyControllerState } from './entropy-bonus.js';
import { CheckpointError } from './errors.js';
import { writeCheckpointFile } from './file-context.js';
import type { EvalScores } from './evaluate.js';
import type { AdamWState } from './optimizer.js';
import type { PolicyModel } from './policy-model.js';
import type { RunIdentity } from './run-identity.js';
import { readTensorFile, writeTensorFile, type NamedArray } from './tensor-file.js';

/**
 * trainer_state.json: where training stands (HF Trainer's file of the same name, grpojs fields).
 * `C` is the trainer's resolved config (GRPO's, or the SFTTrainer's, which has no rewards or base eval).
 */
export interface TrainerState<C extends object = GRPOConfig> {
  version: 1;
  /** Optimizer steps done (the checkpoint's number). */
  globalStep: number;
  totalSteps: number;
  /** Fractional epoch reached. */
  epoch: number;
  /** Cumulative prompt + completion tokens (TRL num_tokens). */
  numTokens: number;
  /** Steps skipped because the loss or a gradient was NaN/Inf. */
  skippedSteps: number;
  /** The next generation batch to use: its index in the data stream and its place in the epoch. */
  dataPosition: { generationBatchIndex: number; epoch: number; batchInEpoch: number };
  /** Per-step metrics not yet logged (so the resumed run logs the same averages). */
  logWindow: Metrics[];
  /** Every log entry so far, with its step. */
  logHistory: (Metrics & { step: number })[];
  rewardNames: string[];
  /** Cached base-model (adapters off) evaluation on every eval row, which never changes during training. */
  baseEval: EvalScores | null;
  /** The same on the periodic evaluations' sample (periodicEvalSamples); absent from checkpoints written before it existed. */
  periodicBaseEval?: EvalScores | null;
  config: C;
  /** What identifies the run (absent from checkpoints written before identities were recorded). */
  identity?: RunIdentity;
  /** The adaptive entropy coefficient's state (useAdaptiveEntropy only; TRL entropy_ctrl_state.json). */
  entropyControl?: EntropyControllerState;
}

/** Everything a checkpoint holds besides the adapter files. */
export interface CheckpointContents<C extends object = GRPOConfig> {
  state: TrainerState<C>;
  scheduler: { type: string; learningRate: number; warmupSteps: number; totalSteps: number; lastLearningRate: number };
  rng: { seed: number; scheme: string };
  variables: NamedArray[];
  optimizer: AdamWState;
  /** The generation batch still in use (numIterations > 1), else null. */
  generationBatch: GenerationBatch | null;
}

const CHECKPOINT_PREFIX = 'checkpoint-';
/** `.checkpoint-<step>.tmp-<pid>`: the temp folder saveCheckpoint fills; group 1 is the writer's pid. */
const CHECKPOINT_TEMP = /^\.checkpoint-\d+\.tmp-(\d+)$/;

/** JSON that keeps NaN and ±Infinity (rewards use NaN for "not applicable"). */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v), 1);
}

function fromJson<T>(text: string): T {
  return JSON.parse(text, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$number === 'string'
      ? Number(v.$number)
      : v,
  ) as T;
}

/** Writes checkpoint-<step> under outputDir atomically and returns its path. */
export async function saveCheckpoint<C extends object>(outputDir: string, model: Pick<PolicyModel, 'save'>, contents: CheckpointContents<C>): Promise<string> {
  const step = contents.state.globalStep;
  const target = join(outputDir, `${CHECKPOINT_PREFIX}${step}`);
  const temp = join(outputDir, `.${CHECKPOINT_PREFIX}${step}.tmp-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  await model.save(temp, { adapterOnly: true });
  await writeTensorFile(temp, 'trainable_variables', contents.variables);
  await writeTensorFile(
    temp,
    'optimizer',
    contents.optimizer.variables.flatMap((v) => [
      { name: `${v.name}/m`, shape: v.shape, data: v.m },
      { name: `${v.name}/v`, shape: v.shape, data: v.v },
    ]),
    { step: contents.optimizer.step },
  );
  await writeCheckpointFile(join(temp, 'scheduler.json'), `${toJson(contents.scheduler)}\n`);
  await writeCheckpointFile(join(temp, 'rng_state.json'), `${toJson(contents.rng)}\n`);
  if (contents.generationBatch) await writeCheckpointFile(join(temp, 'generation_batch.json'), toJson(contents.generationBatch));
  await writeCheckpointFile(join(temp, 'trainer_state.json'), `${toJson(contents.state)}\n`);
  await syncFolder(temp);
  await rm(target, { recursive: true, force: true });
  await rename(temp, target);
  await syncDir(outputDir);
  return target;
}

/** fsyncs every file in `dir` (and below), then `dir` itself. */
async function syncFolder(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await syncFolder(path);
      continue;
    }
    const handle = await open(path, 'r+'); // Windows flushes only handles open for writing
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  await syncDir(dir);
}

/**
 * Removes the temp folders of saveCheckpoint under outputDir whose writer is gone (or is this
 * process, before it saves anything); returns their paths. Other names are never touched.
 */
export async function removeStaleCheckpointTemps(outputDir: string): Promise<string[]> {
  const names = await readdir(outputDir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const match = CHECKPOINT_TEMP.exec(name);
    if (!match || (Number(match[1]) !== process.pid && processAlive(Number(match[1])))) continue;
    await rm(join(outputDir, name), { recursive: true, force: true });
    removed.push(join(outputDir, name));
  }
  return removed;
}

async function readJson<T>(dir: string, file: string): Promise<T> {
  const path = join(dir, file);
  try {
    return fromJson<T>(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CheckpointError(`Cannot read ${path}: ${(error as Error).message}. Resume from a complete checkpoint-<step> folder.`, { cause: error });
  }
}

/** Reads a checkpoint folder written by saveCheckpoint (not the adapter: the trainer restores exact values). */
export async function loadCheckpoint(dir: string): Promise<CheckpointContents> {
  const state = await readJson<TrainerState>(dir, 'trainer_state.json');
  if (state.version !== 1) {
    throw new CheckpointError(`${join(dir, 'trainer_state.json')} has version ${String(state.version)}; this grpojs reads version 1.`);
  }
  const variables = (await readTensorFile(dir, 'trainable_variables')).tensors;
  const opt = await readTensorFile(dir, 'optimizer');
  const byName = new Map(opt.tensors.map((t) => [t.name, t]));
  const optimizer: AdamWState = {
    step: Number(opt.metadata.step),
    variables: variables.map((v) => {
      const m = byName.get(`${v.name}/m`);
      const s = byName.get(`${v.name}/v`);
      if (!m || !s) throw new CheckpointError(`${join(dir, 'optimizer.json')} has no moments for variable "${v.name}".`);
      return { name: v.name, shape: v.shape, m: m.data, v: s.data };
    }),
  };
  let generationBatch: GenerationBatch | null = null;
  try {
    generationBatch = fromJson<GenerationBatch>(await readFile(join(dir, 'generation_batch.json'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CheckpointError(`${join(dir, 'generation_batch.json')}: ${(error as Error).message}`, { cause: error });
  }
  return {
    state,
    scheduler: await readJson(dir, 'scheduler.json'),
    rng: await readJson(dir, 'rng_state.json'),
    variables,
    optimizer,
    generationBatch,
  };
}

/** checkpoint-<step> folders under outputDir, oldest first. */
export async function listCheckpoints(outputDir: string): Promise<{ step: number; path: string }[]> {
  let names: string[];
  try {
    names = await readdir(outputDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^checkpoint-\d+$/.test(n))
    .map((n) => ({ step: Number(n.slice(CHECKPOINT_PREFIX.length)), path: join(outputDir, n) }))
    .sort((a, b) => a.step - b.step);
}

/** The newest checkpoint folder under outputDir, or null. */
export async function latestCheckpoint(outputDir: string): Promise<string | null> {
  const all = await listCheckpoints(outputDir);
  return all.length ? all[all.length - 1].path : null;
}

/** Deletes the oldest checkpoints so at most `limit` remain. */
export async function rotateCheckpoints(outputDir: string, limit: number | null): Promise<void> {
  if (limit === null) return;
  const all = await listCheckpoints(outputDir);
  for (const old of all.slice(0, Math.max(0, all.length - limit))) await rm(old.path, { recursive: true, force: true });
}
