/**
 * What a resume checks before it restores anything: that the checkpoint is complete and sound
 * (readable, finite, its step counts agree with each other and with its folder name), that it fits
 * this model (the LoRA variables' names and shapes), and that it belongs to this run (config, data
 * and model identity, run-identity.ts). A damaged newest checkpoint is never loaded silently: the
 * error names it and the previous complete one to resume from instead.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { latestCheckpoint, listCheckpoints, loadCheckpoint, type CheckpointContents, type TrainerState } from './checkpoint.js';
import { stepsPerGenerationBatch } from './config.js';
import { CheckpointError } from './errors.js';
import { formatChange, identityChanges, RESUMABLE_CONFIG_FIELDS, type RunIdentity } from './run-identity.js';

/** A variable as the model has it now. */
export interface ExpectedVariable {
  name: string;
  shape: readonly number[];
}

/** A variable name without the `#<k>` suffix tfjs' global registry forced on a second model in one process. */
const canonicalName = (name: string) => name.replace(/#\d+$/, '');

/**
 * Where `request` points: 'latest' = the newest checkpoint-<step> under outputDir; a bare
 * `checkpoint-<step>` with no such folder in the working directory = that folder under outputDir;
 * anything else = the path as given.
 */
export async function resolveCheckpoint(request: string, outputDir: string): Promise<string> {
  if (request === 'latest') {
    const latest = await latestCheckpoint(outputDir);
    if (!latest) throw new CheckpointError(`No checkpoint-<step> folder under ${outputDir} to resume from.`);
    return latest;
  }
  if (/^checkpoint-\d+$/.test(request) && !existsSync(request) && existsSync(join(outputDir, request))) return join(outputDir, request);
  return request;
}

/** Why the checkpoint in `dir` cannot be resumed as saved ([] = sound): counts that disagree, non-finite values. */
export function checkpointProblems(dir: string, contents: CheckpointContents): string[] {
  const { state, optimizer, scheduler, variables, generationBatch } = contents;
  const problems: string[] = [];
  const missing = ['rewardNames', 'logHistory', 'logWindow'].filter((key) => !Array.isArray(state[key as keyof TrainerState]));
  if (typeof state.config !== 'object' || state.config === null) missing.push('config');
  if (missing.length > 0) return [`trainer_state.json has no ${missing.join(', ')}`];
  const identity = state.identity;
  if (identity !== undefined && (typeof identity?.data?.sha256 !== 'string' || typeof identity.runConfig !== 'object' || identity.runConfig === null)) {
    problems.push('trainer_state.json has a malformed identity');
  }
  const step = state.globalStep;
  const named = /^checkpoint-(\d+)$/.exec(basename(dir));
  if (!Number.isInteger(step) || step < 0) problems.push(`trainer_state.json has globalStep ${String(step)}`);
  else if (named && Number(named[1]) !== step) problems.push(`the folder is step ${named[1]} but trainer_state.json says globalStep ${step}`);
  if (!Number.isInteger(optimizer.step) || optimizer.step < 0 || optimizer.step > step) {
    problems.push(`optimizer.json counts ${String(optimizer.step)} updates after ${step} steps`);
  }
  const iterations = stepsPerGenerationBatch(state.config ?? {});
  if (state.dataPosition?.generationBatchIndex !== Math.floor(step / iterations)) {
    problems.push(`trainer_state.json puts the data at generation batch ${String(state.dataPosition?.generationBatchIndex)}, not ${Math.floor(step / iterations)} after ${step} steps`);
  }
  if ((step % iterations !== 0) !== (generationBatch !== null)) {
    problems.push(generationBatch === null ? 'generation_batch.json is missing (the step is inside a generation batch)' : 'generation_batch.json is there but the step starts a new generation batch');
  }
  if (scheduler.totalSteps !== state.totalSteps) problems.push(`scheduler.json plans ${scheduler.totalSteps} steps, trainer_state.json ${state.totalSteps}`);
  const lastLogged = state.logHistory?.at(-1)?.step ?? 0;
  if (lastLogged > step) problems.push(`trainer_state.json logged step ${lastLogged} after ${step} steps`);
  for (const v of variables) if (!v.data.every(Number.isFinite)) problems.push(`trainable_variables.bin: "${v.name}" holds NaN/Inf`);
  for (const v of optimizer.variables) {
    if (!v.m.every(Number.isFinite) || !v.v.every(Number.isFinite)) problems.push(`optimizer.bin: the moments of "${v.name}" hold NaN/Inf`);
  }
  return problems;
}

/** Reads and checks one checkpoint: its contents, or the reasons it is damaged. */
async function readSound(dir: string): Promise<{ contents: CheckpointContents } | { problems: string[] }> {
  let contents: CheckpointContents;
  try {
    contents = await loadCheckpoint(dir);
  } catch (error) {
    if (error instanceof CheckpointError) return { problems: [error.message] };
    throw error;
  }
  const problems = checkpointProblems(dir, contents);
  return problems.length > 0 ? { problems } : { contents };
}

/** The newest sound checkpoint older than `dir` in the same folder, or null. */
async function previousSound(dir: string): Promise<string | null> {
  const named = /^checkpoint-(\d+)$/.exec(basename(dir));
  const older = (await listCheckpoints(dirname(dir))).filter((c) => !named || c.step < Number(named[1])).reverse();
  for (const candidate of older) if ('contents' in (await readSound(candidate.path))) return candidate.path;
  return null;
}

/**
 * Reads the checkpoint `request` points to (see resolveCheckpoint) and checks that it is sound and
 * fits the model's variables. Throws CheckpointError saying what is wrong; for a damaged
 * checkpoint it names the previous sound one to resume from instead.
 */
export async function loadResumePoint(request: string, outputDir: string, variables: readonly ExpectedVariable[]): Promise<{ dir: string; contents: CheckpointContents }> {
  const dir = await resolveCheckpoint(request, outputDir);
  const read = await readSound(dir);
  if ('problems' in read) {
    const previous = await previousSound(dir);
    const flag = previous && resolve(dirname(previous)) === resolve(outputDir) ? basename(previous) : previous;
    throw new CheckpointError(
      `${dir} is damaged and was not loaded: ${read.problems.map((p) => p.replace(/\.$/, '')).join('; ')}. ` +
        (previous
          ? `The previous checkpoint ${previous} is complete: resume from it (CLI: --resume ${flag}) and training repeats the steps after it.`
          : 'There is no earlier complete checkpoint next to it: start a new run (CLI: --overwrite-output-dir, or another --output-dir).'),
    );
  }
  const saved = read.contents.variables;
  const mismatch =
    saved.length !== variables.length
      ? `it holds ${saved.length} trainable variables, the model has ${variables.length}`
      : saved
          .map((v, i) => ({ v, want: variables[i] }))
          .filter(({ v, want }) => canonicalName(v.name) !== canonicalName(want.name) || v.shape.join(',') !== want.shape.join(','))
          .map(({ v, want }) => `"${v.name}" [${v.shape}] where the model has "${want.name}" [${want.shape}]`)
          .slice(0, 3)
          .join(', ');
  if (mismatch) throw new CheckpointError(`${dir} does not fit this model: ${mismatch}. Resume with the model and LoRA config (r, target modules) it was trained with.`);
  return { dir, contents: read.contents };
}

/** What this trainer is, to compare with a checkpoint's run. */
export interface CurrentRun {
  /** The resolved trainer config (GRPO's or SFT's). */
  config: Readonly<Record<string, unknown>>;
  identity: RunIdentity;
  rewardNames: readonly string[];
  /** runConfig fields that may differ from the checkpoint's (GRPOTrainerOptions.mayChangeOnResume). */
  mayChange: readonly string[];
}

/**
 * Refuses (CheckpointError) a checkpoint of another run: other rewards, config fields outside
 * RESUMABLE_CONFIG_FIELDS / `mayChange`, other training rows or model. Changes that are allowed
 * are logged; a checkpoint without a recorded identity gets a warning that data and model are unchecked.
 */
export function checkSameRun<C extends object>(dir: string, state: TrainerState<C>, now: CurrentRun, logger: Pick<Console, 'warn'>): void {
  if (state.rewardNames.join(',') !== now.rewardNames.join(',')) {
    throw new CheckpointError(`${dir} was trained with rewards [${state.rewardNames}] but this trainer has [${now.rewardNames}]; pass the same reward functions.`);
  }
  const changes = identityChanges(
    { config: state.config as Readonly<Record<string, unknown>>, identity: state.identity ?? null },
    { config: now.config, identity: now.identity },
    new Set(now.mayChange),
  );
  const refused = changes.filter((c) => !c.allowed);
  if (refused.length > 0) {
    throw new CheckpointError(
      `${dir} belongs to a different run: ${refused.map(formatChange).join('; ')}. Resume with the settings, data and model it was trained with, ` +
        'or start a new run in another outputDir (CLI: --output-dir <folder>) or over this one (CLI: --overwrite-output-dir). ' +
        `Only these may change on resume: ${[...RESUMABLE_CONFIG_FIELDS, ...now.mayChange].join(', ')}.`,
    );
  }
  const allowed = changes.filter((c) => c.field !== 'outputDir');
  if (allowed.length > 0) logger.warn(`grpojs: resuming ${dir} with ${allowed.map(formatChange).join('; ')}; the run will not reproduce the original exactly.`);
  if (state.identity === undefined) {
    logger.warn(
      `grpojs: ${dir} was written before checkpoints recorded their run's data and model: its trainer config matches, but make sure the data and model are the ones it was trained with.`,
    );
  }
}
