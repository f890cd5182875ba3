/**
 * outputDir/completions.jsonl on resume: a line torn by a crash or a full disk during an append is
 * cut off, and rows logged after the checkpoint's step (the run went on past its last checkpoint
 * before it died) are dropped, so the resumed run neither fails on the file nor logs a step twice.
 * Both are a truncation of the file (rows are appended in step order), never a rewrite.
 */
import { repairJsonlTail } from '@grpojs/tracking';
import { readFile, truncate } from 'node:fs/promises';
import { CheckpointError } from './errors.js';

/** Repairs and trims `path` (a missing file is fine) so it ends with the rows of steps <= `step`; says what it dropped. */
export async function prepareCompletionsFile(path: string, step: number, logger: Pick<Console, 'warn' | 'info'>): Promise<void> {
  const torn = await repairJsonlTail(path);
  if (torn > 0) logger.warn(`grpojs: ${path}: dropped a torn last line (${torn} bytes) left by a crash or a full disk during an append.`);
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CheckpointError(`Cannot read ${path}: ${(error as Error).message}.`);
  }
  let offset = 0;
  let line = 0;
  while (offset < text.length) {
    const end = text.indexOf(0x0a, offset);
    line += 1;
    let row: { step?: unknown };
    try {
      row = JSON.parse(text.subarray(offset, end).toString('utf8')) as { step?: unknown };
    } catch (error) {
      throw new CheckpointError(`${path}:${line} is not a JSON line (${(error as Error).message}); move the file away (it only logs samples) and resume again.`);
    }
    if (typeof row.step === 'number' && row.step > step) {
      await truncate(path, offset);
      logger.info(`grpojs: ${path}: dropped ${text.length - offset} bytes of completions logged after step ${step} (after the checkpoint resumed from).`);
      return;
    }
    offset = end + 1;
  }
}
