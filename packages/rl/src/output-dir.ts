/**
 * The output folder before a run writes to it: temporaries of a killed run are removed, and a
 * fresh run (not a resume) never starts in a folder that holds another run's checkpoints or run
 * files — its checkpoints would overwrite some of the other run's and keep the rest, its
 * completions would be appended to the other run's, and `resume('latest')` could pick the other
 * run's newest checkpoint. With overwriteOutputDir the old files are removed first instead.
 */
import { removeStaleTempFiles } from '@grpojs/model';
import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { listCheckpoints, removeStaleCheckpointTemps } from './checkpoint.js';
import { CheckpointError } from './errors.js';

/** Files the trainer itself writes into outputDir besides checkpoint-<step>/ folders. */
export const TRAINER_RUN_FILES: readonly string[] = ['completions.jsonl'];

/** Options of {@link prepareOutputDir}. */
export interface PrepareOutputDirOptions {
  /** A resume continues the run in the folder: nothing is refused or removed but temporaries. */
  resuming: boolean;
  /** Remove the old checkpoints and run files instead of refusing (config overwriteOutputDir). */
  overwrite: boolean;
  /** More names that belong to a run (e.g. the final adapter files, a job's report.json); TRAINER_RUN_FILES always count. */
  runFiles?: readonly string[];
  /** Says what was removed. */
  logger?: Pick<Console, 'info'>;
}

/**
 * Removes stale temporaries and, for a fresh run, refuses (CheckpointError) or with `overwrite`
 * removes the checkpoints and run files already in outputDir. A missing folder is fine.
 */
export async function prepareOutputDir(outputDir: string, options: PrepareOutputDirOptions): Promise<void> {
  const log = (line: string) => options.logger?.info(`grpojs: ${line}`);
  const temps = [...(await removeStaleCheckpointTemps(outputDir)), ...(await removeStaleTempFiles(outputDir))];
  if (temps.length > 0) log(`removed ${temps.length} temporary file(s) left by an interrupted save in ${outputDir}: ${temps.map((p) => basename(p)).join(', ')}`);
  if (options.resuming) return;
  const names = new Set([...TRAINER_RUN_FILES, ...(options.runFiles ?? [])]);
  const present = new Set(await readdir(outputDir).catch(() => [] as string[]));
  const found = [...(await listCheckpoints(outputDir)).map((c) => basename(c.path)), ...[...names].filter((n) => present.has(n))];
  if (found.length === 0) return;
  if (options.overwrite) {
    for (const name of found) await rm(join(outputDir, name), { recursive: true, force: true });
    log(`overwriteOutputDir: removed the previous run's ${found.join(', ')} from ${outputDir}`);
    return;
  }
  const shown = found.length > 6 ? [...found.slice(0, 5), `… (${found.length} in all)`] : found;
  throw new CheckpointError(
    `${outputDir} already holds another run's files (${shown.join(', ')}); a new run there would mix its checkpoints and completions with them. ` +
      'To continue that run, resume it (CLI: --resume latest). To start a new run, choose another outputDir (CLI: --output-dir <folder>), ' +
      'or set overwriteOutputDir (CLI: --overwrite-output-dir) to delete those files first.',
  );
}
