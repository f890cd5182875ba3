/**
 * `--reward-module` through the built CLI, offline: a one-step `--preset smoke` run with a reward
 * module written into the temp cwd and a weight for it; its metric reaches metrics.jsonl and it is
 * recorded, with its weight, in report.json. A missing module exits 2 before anything loads.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const MODULE = `// Rewards a completion for each digit it holds (at most 1).
export default [
  Object.assign((completions) => completions.map((c) => Math.min(1, (c.match(/\\d/g) ?? []).length / 4)), { rewardName: 'has_digits' }),
];
`;

describe.skipIf(!existsSync(CLI))('grpojs --reward-module (built CLI; run `pnpm build` first)', () => {
  const cwd = tempDir('grpojs-reward-e2e-');
  const env: NodeJS.ProcessEnv = { ...process.env, GRPOJS_BACKEND: process.env.GRPOJS_BACKEND ?? 'wasm' };
  delete env.npm_lifecycle_event;
  let stdout = '';

  beforeAll(async () => {
    writeFileSync(join(cwd, 'my-rewards.mjs'), MODULE);
    // The smoke preset's list is the seven defaults and smoke_length; the module's reward comes ninth.
    const args = ['--preset', 'smoke', '--max-steps', '1', '--save-steps', '0', '--eval-steps', '0', '--eval-max-samples', '2', '--reward-module', './my-rewards.mjs', '--reward-weights', '1,1,1,1,1,1,1,1,2'];
    stdout = (await run(process.execPath, [CLI, ...args], { cwd, env, timeout: 110_000 })).stdout;
  }, 120_000);

  it('logs the resolved rewards once, in order', () => {
    expect(stdout.match(/rewards \(in --reward-weights order\)/g)).toHaveLength(1);
    expect(stdout).toMatch(/correctness, format, strict_format, numeric, conciseness, repetition, cot_clarity, smoke_length, has_digits \(\.\/my-rewards\.mjs#default\[0\]\)/);
  });

  it('logs the module reward\'s metric and records it with its weight in report.json', () => {
    const runDir = /Run directory: (\S+)/.exec(stdout)![1];
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(metrics.some((m) => m.step === 1 && typeof m['rewards/has_digits/mean'] === 'number')).toBe(true);
    const report = JSON.parse(readFileSync(join(cwd, 'outputs/smoke-GRPO/report.json'), 'utf8')) as { rewards: { name: string; weight: number }[] };
    expect(report.rewards.map((r) => r.name)).toEqual(['correctness', 'format', 'strict_format', 'numeric', 'conciseness', 'repetition', 'cot_clarity', 'smoke_length', 'has_digits']);
    expect(report.rewards.at(-1)).toEqual({ name: 'has_digits', weight: 2 });
  });

  it('eval takes the module too, alone with --no-default-rewards', async () => {
    const args = ['eval', '--preset', 'smoke', '--eval-max-samples', '2', '--reward-module', './my-rewards.mjs', '--no-default-rewards'];
    const out = (await run(process.execPath, [CLI, ...args], { cwd, env, timeout: 60_000 })).stdout;
    expect(out).toContain('grpojs: rewards (in --reward-weights order): has_digits (./my-rewards.mjs#default[0])');
    expect(out).toMatch(/has_digits/);
  }, 70_000);

  it('eval takes the modules a --config file names, relative to the file, from another folder', async () => {
    mkdirSync(join(cwd, 'configs'), { recursive: true });
    writeFileSync(join(cwd, 'configs/eval.yaml'), 'evalMaxSamples: 2\nreward_modules: [../my-rewards.mjs]\ndefault_rewards: false\n');
    const out = (await run(process.execPath, [CLI, 'eval', '--preset', 'smoke', '--config', 'configs/eval.yaml'], { cwd, env, timeout: 60_000 })).stdout;
    expect(out).toContain('grpojs: rewards (in --reward-weights order): has_digits (../my-rewards.mjs#default[0])');
  }, 70_000);

  it('exits 2 naming the path when the module does not exist', async () => {
    const error = (await run(process.execPath, [CLI, '--preset', 'smoke', '--reward-module', './nope.js'], { cwd, env }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(2);
    expect(error.stderr).toMatch(/grpojs: --reward-module \.\/nope\.js: no such file/);
  });
});
