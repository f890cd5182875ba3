/**
 * Measures generation with a quantized base at the distilgpt2 shape (6 × 768, vocab 50257, random
 * weights): 8 rows × 16 new tokens after 16-token prompts, fp32 vs nf4 with and without
 * `quantCacheDuringGenerate`. Prints the median time of 3 runs and the peak backend bytes of one
 * run (tf.profile) above what the model holds. Run after `pnpm build`:
 *   node scripts/bench-quant-generate.mjs [nf4|int8]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCausalLM, makeGPT2Config, tf, writeRandomGPT2Checkpoint } from '../dist/index.js';

const kind = process.argv[2] ?? 'nf4';
const dir = await mkdtemp(join(tmpdir(), 'grpojs-bench-qgen-'));
const config = makeGPT2Config({ vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 6, nHead: 12, bosTokenId: 50256, eosTokenId: 50256 });
await writeRandomGPT2Checkpoint(dir, config, 1);
const prompts = Array.from({ length: 8 }, (_, b) => Array.from({ length: 16 }, (_, i) => (i * 131 + b * 17) % 50000));
const opts = { maxNewTokens: 16, seed: 3, eosTokenId: -1, padTokenId: 0 }; // no EOS: all 16 steps run
const MiB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

for (const [label, load] of [
  ['fp32', {}],
  [`${kind}, cache off`, { quantization: kind, quantCacheDuringGenerate: false }],
  [`${kind}, cache on`, { quantization: kind }],
]) {
  const lm = await loadCausalLM(dir, { ...load, lora: { r: 8, alpha: 16, targetModules: ['c_attn'], seed: 1 } });
  await lm.generate(prompts, { ...opts, maxNewTokens: 2 }); // warm-up (decode tables, XNNPACK)
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await lm.generate(prompts, opts);
    times.push(performance.now() - t0);
  }
  const held = tf.memory().numBytes;
  const { peakBytes } = await tf.profile(() => lm.generate(prompts, opts));
  times.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(16)} median ${(times[1] / 1000).toFixed(2)} s (runs ${times.map((t) => (t / 1000).toFixed(2)).join(', ')}), ` +
      `weights held ${MiB(lm.model.weightBytes())}, peak during generate +${MiB(peakBytes - held)}`,
  );
  lm.dispose();
}
await rm(dir, { recursive: true, force: true });
