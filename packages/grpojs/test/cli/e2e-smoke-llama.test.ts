/**
 * The built CLI on a Llama-family model, offline, in child processes: `--preset smoke-llama` trains a
 * tiny random Qwen2-style checkpoint (NF4 base, LoRA on PEFT's default q_proj + v_proj, prompts in
 * its ChatML chat template) for two steps and saves a PEFT adapter with the names and shapes Python
 * PEFT writes for Qwen2ForCausalLM; `generate` reloads it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadPeftAdapter } from '../../src/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

describe.skipIf(!existsSync(CLI))('grpojs --preset smoke-llama (built CLI; run `pnpm build` first)', () => {
  const cwd = tempDir('grpojs-smoke-llama-');
  const out = join(cwd, 'outputs/smoke-llama-GRPO');
  let stdout = '';

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, GRPOJS_BACKEND: process.env.GRPOJS_BACKEND ?? 'wasm' };
    delete env.npm_lifecycle_event;
    const args = [CLI, '--preset', 'smoke-llama', '--max-steps', '2', '--save-steps', '0', '--eval-steps', '0', '--eval-max-samples', '2'];
    stdout = (await run(process.execPath, args, { cwd, env, timeout: 150_000 })).stdout;
  }, 160_000);

  it('resolves the Llama-family LoRA default and the tokenizer chat template, and says so', () => {
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { globalStep: number; config: Record<string, unknown> };
    expect(report.globalStep).toBe(2);
    expect(report.config).toMatchObject({ loraTargetModules: ['q_proj', 'v_proj'], promptFormat: 'chat-template' });
    expect(stdout.match(/prompt format: .*/g)).toEqual([expect.stringMatching(/^prompt format: chat template of .*smoke-llama-base-model/)]);
    expect(stdout).toMatch(/\(qwen2\)/);
  });

  it('writes adapter_config.json and tensor names and shapes as PEFT does for Qwen2ForCausalLM, with every B trained', async () => {
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 16, lora_alpha: 64, fan_in_fan_out: false, target_modules: ['q_proj', 'v_proj'] });
    const adapter = await loadPeftAdapter(out);
    const shapes = Object.fromEntries([...adapter.tensors].map(([name, t]) => [name, t.shape]));
    const want: Record<string, number[]> = {};
    for (const layer of [0, 1]) {
      const p = `base_model.model.model.layers.${layer}.self_attn`;
      want[`${p}.q_proj.lora_A.weight`] = [16, 64];
      want[`${p}.q_proj.lora_B.weight`] = [64, 16]; // 4 heads × 16
      want[`${p}.v_proj.lora_A.weight`] = [16, 64];
      want[`${p}.v_proj.lora_B.weight`] = [32, 16]; // 2 key/value heads × 16
    }
    expect(shapes).toEqual(want);
    for (const [name, t] of adapter.tensors) if (name.endsWith('lora_B.weight')) expect(t.data.some((v) => v !== 0), name).toBe(true);
  });

  it('`generate` reloads the adapter on its base and answers, with the base for comparison', async () => {
    const { stdout: answer } = await run(process.execPath, [CLI, 'generate', 'outputs/smoke-llama-GRPO', '--prompt', 'What is 6 * 7?', '--max-new-tokens', '6', '--compare-base'], { cwd, timeout: 60_000 });
    expect(answer).toMatch(/--- base model \(adapters disabled\) ---/);
    expect(answer.split('--- base model')[0].trim().length).toBeGreaterThan(0);
  }, 70_000);
});
