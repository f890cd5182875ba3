/**
 * The job's side of "one run per output folder": its run files (final adapter, report.json,
 * merged/) count as another run's, --overwrite-output-dir removes exactly those (and the trainer's),
 * stale temporaries in merged/ go, and the model identity changes with the model's config.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGRPOConfig } from '@grpojs/rl';
import { describe, expect, it } from 'vitest';
import { JobOptionsSchema } from '../src/job-options.js';
import { modelIdentity, prepareJobOutputDir, RESUMABLE_JOB_FIELDS } from '../src/run-continuity.js';

/** A pid no process has: above Linux's pid_max. */
const DEAD_PID = 4_194_400;
const quiet = { info: () => {} };

function finishedRunDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grpojs-continuity-'));
  mkdirSync(join(dir, 'merged'));
  for (const file of ['report.json', 'adapter_config.json', 'adapter_model.safetensors', 'tokenizer.json', 'notes.txt', `merged/model.safetensors.tmp-${DEAD_PID}-a1b2`]) {
    writeFileSync(join(dir, file), 'x');
  }
  return dir;
}

describe('prepareJobOutputDir', () => {
  it('refuses a fresh run where a finished job left its adapter and report.json (no checkpoints needed)', async () => {
    const dir = finishedRunDir();
    await expect(prepareJobOutputDir(parseGRPOConfig({ outputDir: dir }), false, quiet)).rejects.toThrow(
      /already holds another run's files \(adapter_config\.json, adapter_model\.safetensors, report\.json, merged\).*--overwrite-output-dir/,
    );
    await prepareJobOutputDir(parseGRPOConfig({ outputDir: dir }), true, quiet); // a resume is not refused
    expect(readdirSync(join(dir, 'merged'))).toEqual([]); // but the stale temporary went
  });

  it('with overwriteOutputDir removes exactly the run files and keeps the rest', async () => {
    const dir = finishedRunDir();
    const lines: string[] = [];
    await prepareJobOutputDir(parseGRPOConfig({ outputDir: dir, overwriteOutputDir: true }), false, { info: (l: string) => lines.push(l) });
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'tokenizer.json']);
    expect(existsSync(join(dir, 'merged'))).toBe(false);
    expect(lines.join('\n')).toMatch(/overwriteOutputDir: removed the previous run's adapter_config\.json, adapter_model\.safetensors, report\.json, merged from/);
  });
});

describe('run identity of a job', () => {
  it('the model identity is a hash of the parsed config', () => {
    const a = modelIdentity({ modelConfig: { architecture: 'gpt2', nLayer: 2 } as never });
    expect(a).toEqual(modelIdentity({ modelConfig: { architecture: 'gpt2', nLayer: 2 } as never }));
    expect(a).not.toEqual(modelIdentity({ modelConfig: { architecture: 'gpt2', nLayer: 3 } as never }));
  });

  it('every field that may change on resume is a job option', () => {
    for (const field of RESUMABLE_JOB_FIELDS) expect(Object.keys(JobOptionsSchema.shape), field).toContain(field);
    expect(RESUMABLE_JOB_FIELDS).not.toContain('data');
    expect(RESUMABLE_JOB_FIELDS).not.toContain('model');
  });
});
