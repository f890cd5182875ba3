/**
 * Issue 11, item 1, through the built CLI (offline, `--preset smoke`, a step or two per run): run A
 * trains in outputs/smoke-GRPO; run B with other `--data` in the same folder is refused and leaves
 * A's checkpoints as they were; with `--overwrite-output-dir` B replaces them; `--resume latest`
 * with A's data is then refused as another run's, and with B's data continues B.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SMOKE_DATA_DIR } from '../../src/cli/presets/smoke.js';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const OUT = 'outputs/smoke-GRPO';

describe.skipIf(!existsSync(CLI))('a run in an output folder never mixes with another run (built CLI; run `pnpm build` first)', () => {
  const cwd = tempDir('grpojs-resume-safety-');
  const env: NodeJS.ProcessEnv = { ...process.env, GRPOJS_BACKEND: process.env.GRPOJS_BACKEND ?? 'wasm' };
  delete env.npm_lifecycle_event;
  const cli = (args: string[]) =>
    run(process.execPath, [CLI, '--preset', 'smoke', '--save-steps', '1', '--eval-split', 'null', '--report-to', 'console', ...args], { cwd, env, timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const checkpoints = () => readdirSync(join(cwd, OUT)).filter((n) => n.startsWith('checkpoint-')).sort();
  const dataOf = (checkpoint: string) =>
    (JSON.parse(readFileSync(join(cwd, OUT, checkpoint, 'trainer_state.json'), 'utf8')) as { identity: { data: { sha256: string } } }).identity.data.sha256;
  // Run B's data: the smoke problems in the opposite order.
  const dataB = join(cwd, 'data-b');
  mkdirSync(dataB);
  const rows = readFileSync(join(SMOKE_DATA_DIR, 'train.jsonl'), 'utf8').trim().split('\n');
  writeFileSync(join(dataB, 'train.jsonl'), `${rows.reverse().join('\n')}\n`);
  writeFileSync(join(dataB, 'test.jsonl'), readFileSync(join(SMOKE_DATA_DIR, 'test.jsonl')));

  it('run B is refused in run A\'s folder, replaces it with --overwrite-output-dir, and --resume latest only continues B', async () => {
    const a = await cli(['--max-steps', '2']);
    expect(a.code, a.stderr).toBe(0);
    expect(checkpoints()).toEqual(['checkpoint-1', 'checkpoint-2']);
    const weightsA = readFileSync(join(cwd, OUT, 'checkpoint-2', 'trainable_variables.bin'));

    const refused = await cli(['--data', dataB, '--max-steps', '4']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/outputs\/smoke-GRPO already holds another run's files \(checkpoint-1, checkpoint-2, completions\.jsonl, adapter_config\.json, adapter_model\.safetensors, report\.json\)/);
    expect(refused.stderr).toMatch(/--resume latest.*--output-dir <folder>.*--overwrite-output-dir/);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(refused.stderr).not.toMatch(/GRPOJS_DEBUG/); // a known failure: no stack-trace hint either
    expect(checkpoints()).toEqual(['checkpoint-1', 'checkpoint-2']);
    expect(readFileSync(join(cwd, OUT, 'checkpoint-2', 'trainable_variables.bin'))).toEqual(weightsA);
    const dataA = dataOf('checkpoint-2');

    const b = await cli(['--data', dataB, '--max-steps', '1', '--overwrite-output-dir']);
    expect(b.code, b.stderr).toBe(0);
    expect(checkpoints()).toEqual(['checkpoint-1']); // A's checkpoint-2 is gone, not kept beside B's
    expect(dataOf('checkpoint-1')).not.toBe(dataA);

    const resumeWithA = await cli(['--max-steps', '2', '--resume', 'latest']);
    expect(resumeWithA.code).not.toBe(0);
    expect(resumeWithA.stderr).toMatch(/checkpoint-1 belongs to a different run: data: .*; training rows: 12 rows, sha256 [0-9a-f]{12}… → 12 rows, sha256 [0-9a-f]{12}…/);
    expect(checkpoints()).toEqual(['checkpoint-1']);

    const resumeWithB = await cli(['--data', dataB, '--max-steps', '2', '--resume', 'latest']);
    expect(resumeWithB.code, resumeWithB.stderr).toBe(0);
    expect(checkpoints()).toEqual(['checkpoint-1', 'checkpoint-2']);
    expect(JSON.parse(readFileSync(join(cwd, OUT, 'report.json'), 'utf8'))).toMatchObject({ globalStep: 2, totalSteps: 2 });
    expect(dataOf('checkpoint-2')).toBe(dataOf('checkpoint-1'));
  }, 300_000);
});
