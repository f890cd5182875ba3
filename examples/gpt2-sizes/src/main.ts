/**
 * Example: the same GRPO job on another GPT-2 size. Only `model` changes; the LoRA targets can
 * grow with the model (here also the attention output projection `attn.c_proj`; a bare `c_proj`
 * would match the MLP's c_proj too, as PEFT's suffix matching does).
 *
 *   GPT2_SIZE=openai-community/gpt2-medium node dist/main.js     # 355M parameters, from the hub
 *
 * Without GPT2_SIZE (CI) it writes a random 4-layer, n_embd 64 GPT-2 ("a size" that fits a test)
 * and checks the saved adapter has one A/B pair per targeted module of every layer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPeftAdapter, train, writeTinyGPT2 } from 'grpojs';

const work = mkdtempSync(join(tmpdir(), 'grpojs-gpt2-sizes-'));
const hubModel = process.env.GPT2_SIZE;
const layers = 4;
const model = hubModel ?? (await writeTinyGPT2(join(work, 'gpt2-4x64'), { nLayer: layers, nHead: 4, nEmbd: 64 }));
const data = hubModel ? 'openai/gsm8k' : join(work, 'problems.jsonl');
if (!hubModel) {
  writeFileSync(data, JSON.stringify({ question: 'Bo reads 8 pages a day for 3 days. How many pages does he read?', answer: '8*3=24\n#### 24' }) + '\n');
}

const report = await train({
  model,
  data,
  loraTargetModules: ['c_attn', 'attn.c_proj'],
  outputDir: join(work, 'out'),
  reportTo: ['console'],
  ...(hubModel ? { maxSteps: 100 } : { maxSteps: 1, gradientAccumulationSteps: 1, maxCompletionLength: 8, evalSplit: null }),
});

const adapter = await loadPeftAdapter(report.outputDir);
console.log(`${model}: adapter with ${adapter.tensors.size} tensors, targets ${adapter.config.targetModules.join(', ')}`);
if (!hubModel) {
  assert.equal(adapter.tensors.size, layers * 2 * 2, 'one lora_A and one lora_B per targeted module per layer');
  assert.deepEqual(adapter.tensors.get('base_model.model.transformer.h.0.attn.c_proj.lora_A.weight')?.shape, [16, 64]);
}
