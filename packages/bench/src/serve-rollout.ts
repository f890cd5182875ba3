/**
 * GRPO steps per minute with the rollout in process (local) vs on 1 and 2 `grpojs serve` workers
 * (child processes of the built CLI on 127.0.0.1), same model, batch and seed; each step's time
 * split into generation, weight sync and training as the trainer logs it. Run after `pnpm build`:
 *   node packages/bench/dist/serve-rollout.js [--layers 4] [--embd 128] [--steps 4] [--completion 32]
 * Workers on the same machine share its cores with the trainer, so 2 workers help only when the
 * machine has cores to spare; across machines each worker brings its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { embeddedGPT2Tokenizer, loadCausalLM, makeGPT2Config, writeRandomGPT2Checkpoint } from '@grpojs/model';
import { GRPOTrainer, type GRPOConfigInput } from '@grpojs/rl';

const CLI = fileURLToPath(new URL('../../grpojs/dist/cli/main.js', import.meta.url));
const { values } = parseArgs({ options: { layers: { type: 'string', default: '4' }, embd: { type: 'string', default: '128' }, steps: { type: 'string', default: '4' }, completion: { type: 'string', default: '32' } } });
const STEPS = Number(values.steps);
const backend = 'wasm' as const;

async function writeModel(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'grpojs-bench-serve-')), 'bench-gpt2');
  const tokenizer = await embeddedGPT2Tokenizer();
  const n = Number(values.embd);
  await writeRandomGPT2Checkpoint(dir, makeGPT2Config({ nLayer: Number(values.layers), nHead: Math.max(1, n / 64), nEmbd: n, nPositions: 256, vocabSize: tokenizer.vocabSize }), 0);
  await tokenizer.save(dir);
  return dir;
}

function startServe(model: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--model', model, '--port', '0', '--backend', backend], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) resolve({ url: m[1], child });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`grpojs serve exited ${code}:\n${text}`)));
  });
}

async function run(modelDir: string, urls: string[]): Promise<Record<string, number>> {
  const model = await loadCausalLM(modelDir, { backend, lora: { r: 8, alpha: 16, seed: 1 } });
  const config: GRPOConfigInput = {
    outputDir: mkdtempSync(join(tmpdir(), 'grpojs-bench-run-')),
    seed: 1, maxSteps: STEPS + 1, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, numGenerations: 4,
    maxPromptLength: 32, maxCompletionLength: Number(values.completion), saveSteps: 0, evalSteps: 0, logCompletions: false, loggingSteps: 100,
    ...(urls.length > 0 ? { rolloutKind: 'server' as const, rolloutUrls: urls, rolloutModel: 'bench-gpt2' } : {}),
  };
  const rows = Array.from({ length: 64 }, (_, i) => ({ prompt: `Question ${i}: what is ${i} times ${i + 3}?` }));
  const reward = (cs: string[]) => cs.map((c) => c.length / 100);
  const trainer = new GRPOTrainer({ model, tokenizer: model.tokenizer!, rewardFunctions: [reward], trainDataset: rows, config, logger: { warn: () => {}, info: () => {} } });
  const result = await trainer.train();
  trainer.dispose();
  model.dispose();
  const timed = result.stepMetrics.slice(1); // the first step warms up (engine creation, first load)
  const mean = (k: string) => timed.reduce((s, m) => s + ((m[k] as number | undefined) ?? 0), 0) / timed.length;
  return { step: mean('step_time'), generation: mean('step_time/generation'), sync: mean('step_time/weight_sync'), training: mean('step_time/training') };
}

const modelDir = await writeModel();
const servers = [await startServe(modelDir), await startServe(modelDir)];
try {
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`);
  console.log(`GPT-2 ${values.layers} layers × ${values.embd}, 4 prompts × 4 generations, ${values.completion} new tokens, ${STEPS} timed steps after 1 warm-up`);
  console.log('| rollout | steps/min | s/step | generation s | weight sync s | scoring + old/ref log-probs s | training s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, urls] of [['local', []], ['1 grpojs serve worker', [servers[0].url]], ['2 grpojs serve workers', servers.map((s) => s.url)]] as const) {
    const t = await run(modelDir, [...urls]);
    console.log(`| ${name} | ${(60 / t.step).toFixed(1)} | ${t.step.toFixed(2)} | ${t.generation.toFixed(2)} | ${name === 'local' ? '—' : t.sync.toFixed(2)} | ${(t.step - t.generation - t.sync - t.training).toFixed(2)} | ${t.training.toFixed(2)} |`);
  }
} finally {
  servers.forEach((s) => s.child.kill('SIGTERM'));
}
