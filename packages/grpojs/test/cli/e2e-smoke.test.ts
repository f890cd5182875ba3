/**
 * The built CLI end to end, in child processes, fully offline: `--preset smoke` with two steps
 * (tiny random GPT-2, bundled problems, NF4 + LoRA, eval vs base, save, reload, generate,
 * report.html), then `generate` and `eval` on the saved folder, then `--resume latest` one step further.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadPeftAdapter } from '../../src/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { SMOKE_DATA_DIR } from '../../src/cli/presets/smoke.js';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

describe.skipIf(!existsSync(CLI))('grpojs --preset smoke (built CLI; run `pnpm build` first)', () => {
  const cwd = tempDir('grpojs-smoke-');
  let stdout = '';

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, GRPOJS_BACKEND: process.env.GRPOJS_BACKEND ?? 'wasm' };
    delete env.npm_lifecycle_event;
    const result = await run(process.execPath, [CLI, '--preset', 'smoke', '--max-steps', '2', '--save-steps', '0', '--eval-steps', '0', '--eval-max-samples', '2'], { cwd, env, timeout: 110_000 });
    stdout = result.stdout;
  }, 120_000);

  it('saves a PEFT adapter and report.json in the output folder', () => {
    const out = join(cwd, 'outputs/smoke-GRPO');
    for (const file of ['adapter_config.json', 'adapter_model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'report.json', 'checkpoint-2']) expect(existsSync(join(out, file)), file).toBe(true);
    const adapter = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(adapter).toMatchObject({ peft_type: 'LORA', r: 16, lora_alpha: 64, target_modules: ['c_attn'] });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { globalStep: number; finalEval: { model: { samples: number }; base: { samples: number } }; config: Record<string, unknown> };
    expect(report.globalStep).toBe(2);
    // The choices left to the model and tokenizer, resolved: GPT-2's LoRA default and, without a chat template, the seed's.
    expect(report.config).toMatchObject({ loraTargetModules: ['c_attn'], promptFormat: 'seed' });
    expect(report.finalEval.model.samples).toBe(2);
    expect(report.finalEval.base.samples).toBe(2);
  });

  it('trained the adapter: every LoRA B moved from its zero init', async () => {
    const adapter = await loadPeftAdapter(join(cwd, 'outputs/smoke-GRPO'));
    const b = [...adapter.tensors].filter(([name]) => name.endsWith('lora_B.weight'));
    expect(b).toHaveLength(2);
    for (const [name, tensor] of b) expect(tensor.data.some((v) => v !== 0), name).toBe(true);
  });

  it('writes the run directory with metrics.jsonl and report.html', () => {
    const match = /Run directory: (\S+)/.exec(stdout);
    expect(match, stdout).not.toBeNull();
    const runDir = match![1];
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(metrics.some((m) => m.step === 2 && 'loss' in m && 'reward' in m)).toBe(true);
    expect(metrics.some((m) => 'eval_accuracy' in m && 'eval_base_accuracy' in m)).toBe(true);
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toMatch(/<html[\s\S]*<\/html>/);
  });

  it('logs the prompt format once, at the start', () => {
    expect(stdout.match(/prompt format: .*/g)).toEqual(['prompt format: seed template']);
  });

  it('prints each evaluation as a fine-tuned vs base table and the summary in a few lines, none over 120 characters', () => {
    expect(stdout).toMatch(/^step 2\/2 \(100%\) · evaluation · .*\n {25}fine-tuned {8}base\n {2}accuracy {19}\d\.\d{4} {6}\d\.\d{4}$/m);
    expect(stdout).toMatch(/^summary: globalStep 2 · skippedSteps 0\n {2}final eval: accuracy \S+ \(base \S+\) · reward \S+ \(base \S+\)$/m);
    expect(stdout).not.toMatch(/eval_/); // no metric-by-metric eval or summary line
    const lines = stdout.split('\n').filter((l) => /^(step \d+\/\d+ .* · evaluation|summary:| {2}final eval:| {2}(accuracy|reward|completion length|rewards\/\S+) +-?\d)/.test(l));
    expect(lines).toHaveLength(1 + 11 + 2 + 11); // the step-2 eval (header, 11 rows), the summary, the final table
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(120);
  });

  it('prints each sampled completion as one line of at most 120 characters', () => {
    const samples = stdout.split('\n').filter((l) => l.startsWith('  sample @'));
    expect(samples.length).toBeGreaterThan(0);
    for (const line of samples) expect(line.length, line).toBeLessThanOrEqual(120);
  });

  it('prints the fine-tuned vs base table and the reloaded answer', () => {
    expect(stdout).toMatch(/Final evaluation at step 2 on test \(2 samples, greedy\)/);
    expect(stdout).toMatch(/^\s+accuracy\s+\d\.\d{4}\s+\d\.\d{4}$/m);
    expect(stdout).toMatch(/Reloaded .*smoke-GRPO and asked: "Ana has 9 stickers/);
  });

  it('`generate` reloads the saved folder and answers', async () => {
    const { stdout: answer } = await run(process.execPath, [CLI, 'generate', 'outputs/smoke-GRPO', '--prompt', 'What is 6 * 7?', '--max-new-tokens', '6', '--compare-base'], { cwd, timeout: 60_000 });
    expect(answer).toMatch(/--- base model \(adapters disabled\) ---/);
    expect(answer.split('--- base model')[0].trim().length).toBeGreaterThan(0);
  }, 70_000);

  it('`generate --prompt-format chat-template` on a tokenizer without one exits with status 2 and says why', async () => {
    const args = [CLI, 'generate', 'outputs/smoke-GRPO', '--prompt', 'What is 6 * 7?', '--prompt-format', 'chat-template'];
    const error = (await run(process.execPath, args, { cwd, timeout: 60_000 }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(2);
    expect(error.stderr).toMatch(/the tokenizer of outputs\/smoke-GRPO has no chat template \(its tokenizer_config\.json has no chat_template\)/);
  }, 70_000);

  it('`eval` on the saved folder reproduces the final evaluation of training', async () => {
    const { stdout: table } = await run(process.execPath, [CLI, 'eval', '--preset', 'smoke', '--eval-max-samples', '2'], { cwd, timeout: 60_000 });
    const report = JSON.parse(readFileSync(join(cwd, 'outputs/smoke-GRPO/report.json'), 'utf8')) as { finalEval: { model: { reward: number }; base: { reward: number } } };
    const row = /^\s+reward\s+(-?\d+\.\d{4})\s+(-?\d+\.\d{4})$/m.exec(table);
    expect(row, table).not.toBeNull();
    expect(Number(row![1])).toBeCloseTo(report.finalEval.model.reward, 4);
    expect(Number(row![2])).toBeCloseTo(report.finalEval.base.reward, 4);
  }, 70_000);

  it('`--resume latest` continues from the last checkpoint to a later step', async () => {
    const args = ['--preset', 'smoke', '--max-steps', '3', '--save-steps', '0', '--eval-steps', '0', '--eval-max-samples', '2', '--report-to', 'console', '--resume', 'latest'];
    await run(process.execPath, [CLI, ...args], { cwd, timeout: 60_000 });
    const report = JSON.parse(readFileSync(join(cwd, 'outputs/smoke-GRPO/report.json'), 'utf8')) as { globalStep: number; totalSteps: number };
    expect(report).toMatchObject({ globalStep: 3, totalSteps: 3 });
    expect(existsSync(join(cwd, 'outputs/smoke-GRPO/checkpoint-3'))).toBe(true);
  }, 70_000);
});

describe.skipIf(!existsSync(CLI))('grpojs without the hub (built CLI)', () => {
  it('says the hub is unavailable and names --model and --data; exit status 1', async () => {
    const cwd = tempDir('grpojs-nohub-');
    const args = [CLI, '--model', 'no-such-org/no-such-model', '--offline', '--cache-dir', join(cwd, 'cache'), '--data', SMOKE_DATA_DIR];
    const error = (await run(process.execPath, args, { cwd, timeout: 60_000 }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toMatch(/Cannot load the model "no-such-org\/no-such-model" from the Hugging Face hub/);
    expect(error.stderr).toMatch(/--model <folder/);
    expect(error.stderr).toMatch(/--data <GSM8K/);
  }, 70_000);

  it('a bad flag value exits with status 2 and names the flag, whether the schema or the parser rejects it', async () => {
    const outOfRange = (await run(process.execPath, [CLI, '--print-config', '--lora-r', '0'], { timeout: 60_000 }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(outOfRange.code).toBe(2);
    expect(outOfRange.stderr).toMatch(/--lora-r \(loraR\): Too small/);
    const notANumber = (await run(process.execPath, [CLI, '--print-config', '--lora-r', 'x'], { timeout: 60_000 }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toMatch(/--lora-r <int>.*expected a number/);
  }, 70_000);

  it('a bad GRPOJS_* switch exits with status 2 and names the variable', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, GRPOJS_BACKEND: 'cuda' };
    delete env.npm_lifecycle_event;
    const args = [CLI, '--preset', 'smoke', '--max-steps', '1', '--save-steps', '0', '--eval-steps', '0', '--output-dir', 'outputs/bad-env'];
    const bad = (await run(process.execPath, args, { cwd: tempDir('grpojs-bad-env-'), env, timeout: 60_000 }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^grpojs: GRPOJS_BACKEND: unknown backend "cuda"; use one of tensorflow, wasm, cpu\./m);
  }, 70_000);
});
