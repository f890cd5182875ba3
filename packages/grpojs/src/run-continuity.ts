/**
 * What keeps a job's output folder to one run (see docs/reliability.md): the job fields that may
 * change when a run is resumed, the files a job writes there, and the model identity recorded in
 * every checkpoint. The trainer compares everything else of a checkpoint's run with this one.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { removeStaleTempFiles, type CausalLM } from '@grpojs/model';
import { prepareOutputDir, type GRPOConfig } from '@grpojs/rl';
import type { JobOptions } from './job-options.js';

/**
 * Job fields that may differ when a run is resumed: where numbers are reported, where files are
 * cached, how fast it runs (backend, accel, gradient checkpointing) and whether a merged copy is
 * written. Every other job field (model, revision, data, splits, LoRA, prompt format, …) must be
 * the checkpoint's. The trainer's own list is @grpojs/rl's RESUMABLE_CONFIG_FIELDS.
 */
export const RESUMABLE_JOB_FIELDS: readonly (keyof JobOptions)[] = [
  'reportTo',
  'wandbProject',
  'wandbEntity',
  'runsDir',
  'backend',
  'accel',
  'gradientCheckpointing',
  'cacheDir',
  'offline',
  'saveMerged',
];

/** Files a job writes into outputDir besides the trainer's (the final adapter, report.json, merged/). */
export const JOB_RUN_FILES: readonly string[] = ['adapter_config.json', 'adapter_model.safetensors', 'report.json', 'merged'];

/**
 * Before anything loads: removes temporaries of an interrupted save, and for a fresh run refuses
 * an outputDir holding another run's checkpoints or files (CheckpointError), or removes them with
 * overwriteOutputDir.
 */
export async function prepareJobOutputDir(grpo: GRPOConfig, resuming: boolean, logger: Pick<Console, 'info'>): Promise<void> {
  await prepareOutputDir(grpo.outputDir, { resuming, overwrite: grpo.overwriteOutputDir, runFiles: JOB_RUN_FILES, logger });
  await removeStaleTempFiles(join(grpo.outputDir, 'merged'));
}

/**
 * The base model's identity as checkpoints record it: a sha256 of its parsed config.json (the
 * `model` and `revision` job fields are compared as job settings). The weights are not hashed.
 */
export function modelIdentity(model: Pick<CausalLM, 'modelConfig'>): Record<string, unknown> {
  return { configSha256: createHash('sha256').update(JSON.stringify(model.modelConfig)).digest('hex') };
}
