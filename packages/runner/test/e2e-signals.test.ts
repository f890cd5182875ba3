/**
 * The built CLI stopped early, in child processes, fully offline (`--preset smoke`): SIGTERM (what
 * schedulers and `docker stop` send) and Ctrl-C's SIGINT both finish the current step, write a
 * checkpoint, say how to resume, never claim an adapter was saved, and exit non-zero (143, 130);
 * the checkpoint then resumes to completion. A run whose every update is rolled back stops with
 * exit status 1 and saves no adapter.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; with `signal`, sends it once the first training step has been logged. */
function runCli(args: string[], cwd: string, signal?: NodeJS.Signals): Promise<Exit> {
  const env: NodeJS.ProcessEnv = { ...process.env, GRPOJS_BACKEND: process.env.GRPOJS_BACKEND ?? 'wasm' };
  delete env.npm_lifecycle_event;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (signal && !sent && /^step 1\//m.test(stdout)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const smoke = (outputDir: string, maxSteps: number) => [
  '--preset', 'smoke', '--output-dir', outputDir, '--max-steps', String(maxSteps),
  '--save-steps', '0', '--eval-steps', '0', '--eval-max-samples', '2', '--report-to', 'console',
];

describe.skipIf(!existsSync(CLI))('grpojs train stopped by a signal (built CLI; run `pnpm build` first)', () => {
  const cwd = tempDir('grpojs-signals-');

  it('SIGTERM: finishes the step, writes a checkpoint, says how to resume, saves no adapter, exits 143; --resume latest completes the run', async () => {
    const stopped = await runCli(smoke('outputs/term', 40), cwd, 'SIGTERM');
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toMatch(/SIGTERM received: stopping after this step and saving a checkpoint \(SIGTERM again to quit now/);
    const line = /stopped by SIGTERM at step (\d+) of 40; resume with --resume latest \(checkpoint (\S+)\)\./.exec(stopped.stderr);
    expect(line, stopped.stderr).not.toBeNull();
    const step = Number(line![1]);
    expect(step).toBeGreaterThanOrEqual(1);
    expect(step).toBeLessThan(40);
    expect(line![2]).toMatch(new RegExp(`outputs/term/checkpoint-${step}$`));
    expect(stopped.stdout).toMatch(new RegExp(`Stopped at step ${step} of 40; checkpoint \\S+checkpoint-${step}\\. No adapter was saved`));
    expect(stopped.stdout).toMatch(/Continue with the same command plus --resume latest \(or --resume \S+checkpoint-\d+\)/);
    expect(stopped.stdout).not.toMatch(/Adapter and tokenizer saved/);
    const out = join(cwd, 'outputs/term');
    expect(existsSync(join(out, `checkpoint-${step}`, 'trainer_state.json'))).toBe(true);
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(false);

    const resumed = await runCli([...smoke('outputs/term', step + 1), '--resume', 'latest'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/Adapter and tokenizer saved to/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { globalStep: number; completed: boolean };
    expect(report).toMatchObject({ globalStep: step + 1, completed: true });
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
  }, 320_000);

  it('SIGINT (Ctrl-C) does the same and exits 130', async () => {
    const stopped = await runCli(smoke('outputs/int', 40), cwd, 'SIGINT');
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/SIGINT received: stopping after this step and saving a checkpoint \(Ctrl-C again to quit now/);
    expect(stopped.stderr).toMatch(/stopped by SIGINT at step \d+ of 40; resume with --resume latest \(checkpoint \S+checkpoint-\d+\)/);
    expect(stopped.stdout).not.toMatch(/Adapter and tokenizer saved/);
    expect(existsSync(join(cwd, 'outputs/int/adapter_model.safetensors'))).toBe(false);
  }, 170_000);
});

describe.skipIf(!existsSync(CLI))('grpojs train that diverges (built CLI)', () => {
  it('every update explodes the weights (lr 1e30, no clipping): rolled back, stopped after --max-consecutive-skipped-steps, exit 1, no adapter', async () => {
    const cwd = tempDir('grpojs-diverged-');
    const args = [...smoke('outputs/diverged', 10), '--learning-rate', '1e30', '--max-grad-norm', '0', '--max-consecutive-skipped-steps', '2'];
    const run = await runCli(args, cwd);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/grpojs: Training diverged: 2 optimizer step\(s\) in a row, up to step 2, were skipped \(maxConsecutiveSkippedSteps = 2/);
    expect(run.stderr).not.toMatch(/GRPOJS_DEBUG/); // a known failure, not a crash
    expect(run.stdout + run.stderr).toMatch(/step 1 skipped: the update made "[^"]+lora_B[^"]*" exploded/);
    expect(run.stdout).not.toMatch(/Adapter and tokenizer saved/);
    expect(existsSync(join(cwd, 'outputs/diverged/adapter_model.safetensors'))).toBe(false);
  }, 170_000);
});
