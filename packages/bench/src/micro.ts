/**
 * Micro-benchmarks behind the step profile's biggest buckets, each isolated so a proposed fix can
 * be measured against it: vocab-sized elementwise kernels on the backend (Exp, log-softmax), host
 * sampling from one row of logits (as generate does, and a one-exp-pass variant), the LM head at
 * decode, and the logits download. `pnpm micro [--accel on|off]`.
 */
import { loadavg } from 'node:os';
import { Mulberry32, sampleToken, tf } from '@grpojs/model';
import { setupBackend } from './setup.js';

const V = 50257;

function timeMs(fn: () => void, minMs = 400): number {
  fn();
  let n = 0;
  let best = Infinity;
  const until = performance.now() + minMs;
  while (performance.now() < until || n < 3) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
    n++;
  }
  return best;
}

/** Sampling with one exp pass into a reused buffer (what sampleToken does with two passes). */
function sampleOnePass(logits: Float32Array, temperature: number, rng: Mulberry32, scratch: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const inv = 1 / temperature;
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += scratch[i] = Math.exp((logits[i] - max) * inv);
  const u = rng.next() * z;
  let c = 0;
  for (let i = 0; i < logits.length; i++) if (u < (c += scratch[i])) return i;
  return logits.length - 1;
}

const accel = !process.argv.includes('off');
const info = await setupBackend({ model: 'distilgpt2', quant: 'none', accel, runs: 1, profile: false, microBatch: 2, checkpointing: false });
console.log(`backend ${info.backend}, BLAS ${info.accel ? `on (${info.blas}, ${info.blasThreads} threads)` : 'off'}, load ${loadavg()[0].toFixed(2)}`);
const rows: [string, string][] = [];
const logits = tf.randomNormal([256, V]); // [256 tokens, vocab]: one micro-batch of 2 × 128 completion positions
const n = 256 * V;
const exp = timeMs(() => tf.exp(logits).dispose());
rows.push(['wasm Exp over [256, 50257]', `${exp.toFixed(1)} ms (${(n / exp / 1e3).toFixed(0)} M/s)`]);
const lse = timeMs(() => tf.tidy(() => tf.logSumExp(logits, -1, true)).dispose());
rows.push(['wasm logSumExp over [256, 50257]', `${lse.toFixed(1)} ms`]);
const ls = timeMs(() => tf.logSoftmax(logits).dispose());
rows.push(['wasm logSoftmax over [256, 50257]', `${ls.toFixed(1)} ms`]);
const sub = timeMs(() => tf.sub(logits, 1).dispose());
rows.push(['wasm Sub (scalar) over [256, 50257]', `${sub.toFixed(1)} ms (${(n / sub / 1e3).toFixed(0)} M/s)`]);
const act = tf.randomNormal([512, 3072]); // [2·256 tokens, 4C]: the MLP activation of one micro-batch
const tanh = timeMs(() => tf.tanh(act).dispose());
rows.push(['wasm Tanh over [512, 3072] (GELU)', `${tanh.toFixed(1)} ms (${((512 * 3072) / tanh / 1e3).toFixed(0)} M/s)`]);
const cache = tf.zeros([8, 12, 256, 64]); // one layer's key cache at the work unit's length
// One decode step writes position 200 of every (batch, head) row, as KVCache.update does.
const idx = tf.tensor2d(Array.from({ length: 8 * 12 }, (_, r) => [Math.floor(r / 12), r % 12, 200]), [96, 3], 'int32');
const upd = tf.randomNormal([96, 64]);
const scatter = timeMs(() => tf.tensorScatterUpdate(cache, idx, upd).dispose());
rows.push(['KV cache write: tensorScatterUpdate into [8,12,256,64]', `${scatter.toFixed(2)} ms (× 12 per decode step)`]);
tf.dispose([act, cache, idx, upd]);
const host = Float32Array.from(logits.dataSync().subarray(0, V));
const jsExp = timeMs(() => {
  let s = 0;
  for (let i = 0; i < V; i++) s += Math.exp(host[i]);
  if (s === -1) console.log(s);
});
rows.push(['JS Math.exp over 50257', `${jsExp.toFixed(2)} ms (${(V / jsExp / 1e3).toFixed(0)} M/s)`]);
const rng = new Mulberry32(1);
const opts = { doSample: true, temperature: 0.9, topK: 0, topP: 1 };
rows.push(['sampleToken (model/src/inference/sampling.ts), 1 row', `${timeMs(() => sampleToken(host, opts, rng)).toFixed(2)} ms`]);
const scratch = new Float32Array(V);
rows.push(['one-exp-pass sampling, 1 row', `${timeMs(() => sampleOnePass(host, 0.9, rng, scratch)).toFixed(2)} ms`]);
const h = tf.randomNormal([8, 768]); // [8, C]: one decode step
const headT = tf.randomNormal([768, V], 0, 0.02); // [C, vocab], the transposed tied head
rows.push(['LM head at decode, [8,768]·[768,50257]', `${timeMs(() => tf.matMul(h, headT).dispose()).toFixed(1)} ms`]);
const wte = tf.randomNormal([V, 768], 0, 0.02); // [vocab, C], the embedding itself
rows.push(['LM head at decode, [8,768]·[50257,768]ᵀ (transposeB)', `${timeMs(() => tf.matMul(h, wte, false, true).dispose()).toFixed(1)} ms`]);
const h256 = tf.randomNormal([256, 768]); // [256, C]: one micro-batch's completion positions
const headMs = timeMs(() => tf.matMul(h256, headT).dispose());
rows.push(['LM head, training chunk [256,768]·[768,50257]', `${headMs.toFixed(1)} ms (${((2 * 256 * 768 * V) / headMs / 1e6).toFixed(0)} GFLOP/s)`]);
tf.dispose([wte, h256]);
const last = tf.randomNormal([8, V]);
rows.push(['download [8, 50257] logits (dataSync)', `${timeMs(() => void last.dataSync()).toFixed(2)} ms`]);
tf.dispose([logits, h, headT, last]);
const w = Math.max(...rows.map((r) => r[0].length));
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
console.log(`load ${loadavg()[0].toFixed(2)}`);
