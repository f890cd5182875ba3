/**
 * The built CLI stopped early, in child processes, fully offline (`--preset smoke`): SIGTERM (what
 * schedulers and `docker stop` send) and Ctrl-C's SIGINT both abandon the step under way within
 * about a second, write the last completed step's checkpoint, say how to resume, never claim an
 * adapter was saved, and exit non-zero (143, 130); the checkpoint then resumes to completion. A
 * second Ctrl-C quits at once (130) and names the newest checkpoint on disk. A run whose every
 * update is rolled back stops with exit status 1 and saves no adapter.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the (first) signal to the process's exit. */
  stopMs: number;
}

interface Send {
  /** Wait this long after the first step is logged (default 0). */
  delayMs?: number;
  /** Send the signal again as soon as the "Stopping:" line is on stderr. */
  twice?: boolean;
}

/** Runs the CLI; with `signal`, sends it once the first training step has been logged (see Send). */
function runCli(args: string[], cwd: string, signal?: NodeJS.Signals, send: Send = {}): Promise<Exit> {
  const env: NodeJS.ProcessEnv = { ...process.env, GRPOJS_BACKEND: process.env.GRPOJS_BACKEND ?? 'wasm' };
  delete env.npm_lifecycle_event;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let scheduled = false;
    let sentAt = 0;
    let again = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (signal && !scheduled && /^step 1\//m.test(stdout)) {
        scheduled = true;
        setTimeout(() => {
          sentAt = performance.now();
          child.kill(signal);
        }, send.delayMs ?? 0);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (signal && send.twice && !again && /Stopping: /.test(stderr)) {
        again = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, stopMs: performance.now() - sentAt });
    });
  });
}

const smoke = (outputDir: string, maxSteps: number) => [
  '--preset', 'smoke', '--output-dir', outputDir, '--max-steps', String(maxSteps),
  '--save-steps', '0', '--eval-steps', '0', '--eval-max-samples', '2', '--report-to', 'console',
];

describe.skipIf(!existsSync(CLI))('grpojs train stopped by a signal (built CLI; run `pnpm build` first)', () => {
  const cwd = tempDir('grpojs-signals-');

  it('SIGTERM: abandons the step, writes the last checkpoint, says how to resume, saves no adapter, exits 143; --resume latest completes the run', async () => {
    const stopped = await runCli(smoke('outputs/term', 40), cwd, 'SIGTERM');
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toMatch(/SIGTERM received\. Stopping: abandoning step \d+, saving checkpoint-\d+ \(send SIGTERM again to quit at once without saving/);
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
    expect(stopped.stderr).toMatch(/SIGINT received\. Stopping: abandoning step \d+, saving checkpoint-\d+ \(press Ctrl-C again to quit at once without saving/);
    expect(stopped.stderr).toMatch(/stopped by SIGINT at step \d+ of 40; resume with --resume latest \(checkpoint \S+checkpoint-\d+\)/);
    expect(stopped.stdout).not.toMatch(/Adapter and tokenizer saved/);
    expect(existsSync(join(cwd, 'outputs/int/adapter_model.safetensors'))).toBe(false);
  }, 170_000);

  // A step of 1–6 s on 2 cores, depending on load (160-token completions); the old CLI finished it before stopping.
  const slowStep = (outputDir: string) => [...smoke(outputDir, 40), '--max-completion-length', '160'];

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} in the middle of a running step: abandons it and exits ${signal === 'SIGINT' ? 130 : 143} within 2 s, with checkpoint-1`, async () => {
      const stopped = await runCli(slowStep(`outputs/slow-${signal}`), cwd, signal, { delayMs: 200 });
      expect(stopped.code, stopped.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(stopped.stopMs).toBeLessThan(2000);
      expect(stopped.stderr).toMatch(new RegExp(`${signal} received\\. Stopping: abandoning step 2, saving checkpoint-1 `));
      expect(stopped.stdout).not.toMatch(/^step 2\//m); // step 2 was abandoned, not finished
      expect(stopped.stdout).toMatch(/Stopped at step 1 of 40; checkpoint \S+checkpoint-1\./);
      expect(existsSync(join(cwd, `outputs/slow-${signal}/checkpoint-1/trainer_state.json`))).toBe(true);
    }, 170_000);
  }

  it('a second Ctrl-C quits at once with 130 and says nothing was saved since the newest checkpoint', async () => {
    const quit = await runCli(slowStep('outputs/twice'), cwd, 'SIGINT', { delayMs: 200, twice: true });
    expect(quit.code, quit.stderr).toBe(130);
    expect(quit.stderr).toMatch(/grpojs: SIGINT again: quitting at once; nothing was saved since (the start \(this run wrote no checkpoint\)|\S+checkpoint-1)\./);
    expect(quit.stdout).not.toMatch(/Stopped at step/);
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
