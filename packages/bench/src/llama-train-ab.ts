/**
 * In-process A/B of the Llama family's native training-step kernels (@grpojs/accel's RMSNorm,
 * SwiGLU and rotary-into-heads, forward and backward) against the tfjs formulas they replace
 * (the same model with those kernels unregistered), on the reference phase (log-probs of the work
 * unit's 8 rows, LoRA off) and the training phase (forward + backward of the GRPO loss, gradient
 * checkpointing as the bench uses it), alternating so both see the same machine load. The
 * completions are one rollout's. Prints each run (wall and CPU seconds), the best of each path,
 * and the largest difference of the reference log-probs between the paths.
 * `pnpm build && node dist/llama-train-ab.js [--model smollm2-135m|qwen2.5-0.5b] [--runs 2] [--no-checkpointing] [--paths native]`.
 */
import { loadavg } from 'node:os';
import { initRuntime, tf } from '@grpojs/model';
import { RMS_NORM, RMS_NORM_GRAD, ROTARY_HEADS, ROTARY_HEADS_GRAD, SWIGLU, SWIGLU_GRAD } from '@grpojs/accel';
import { createStepContext, referenceLogProbs, rollout, trainingGrads } from './grpo-step.js';
import { loadBenchModel } from './setup.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const runs = Number(arg('runs', '2'));
const model = arg('model', 'smollm2-135m') as 'smollm2-135m' | 'qwen2.5-0.5b';
// --no-checkpointing keeps every layer's activations on the tape (the bench always checkpoints the
// Llama shapes: without the native kernels SmolLM2's outgrew the 4 GB wasm heap); --paths native
// runs one path only (the tfjs path without checkpointing still outgrows it).
const checkpointing = !process.argv.includes('--no-checkpointing');
const paths = arg('paths', 'native,tfjs').split(',') as ('native' | 'tfjs')[];
const config = { model, quant: 'none' as const, accel: true, runs: 1, profile: false, microBatch: 2, checkpointing };
await initRuntime({ backend: 'wasm', accel: true, log: () => {} });
const bench = await loadBenchModel(config);
const ctx = createStepContext(bench.lm, config.microBatch);
const completions = await rollout(ctx);
const advantages = completions.map((_, i) => (i % 2 === 0 ? 1 : -1));

const KERNELS = [RMS_NORM, RMS_NORM_GRAD, SWIGLU, SWIGLU_GRAD, ROTARY_HEADS, ROTARY_HEADS_GRAD];
const saved = KERNELS.map((k) => {
  const c = tf.getKernel(k, tf.getBackend());
  if (c === undefined) throw new Error(`${k} is not registered on ${tf.getBackend()}: build @grpojs/accel's addon`);
  return c;
});
type Path = 'native' | 'tfjs';
function use(path: Path): void {
  for (const c of saved) {
    const on = tf.getKernel(c.kernelName, c.backendName) !== undefined;
    if (path === 'tfjs' && on) tf.unregisterKernel(c.kernelName, c.backendName);
    if (path === 'native' && !on) tf.registerKernel(c);
  }
}

interface Result {
  refS: number;
  trainS: number;
  refCpuS: number;
  trainCpuS: number;
  ref: Float32Array;
}
function time(path: Path): Result {
  use(path);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const refs = referenceLogProbs(ctx, completions);
  const ref = Float32Array.from(refs.flatMap((r) => Array.from(r.dataSync())));
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const { grads } = trainingGrads(ctx, completions, refs, advantages);
  for (const g of grads) g.dataSync();
  const t2 = performance.now();
  const c2 = process.cpuUsage(c1);
  const cRef = process.cpuUsage(c0);
  tf.dispose([...refs, ...grads]);
  const cpu = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
  return { refS: (t1 - t0) / 1e3, trainS: (t2 - t1) / 1e3, refCpuS: cpu(cRef) - cpu(c2), trainCpuS: cpu(c2), ref };
}

console.log(`model ${model}, reference + training phases (8 rows, micro-batches of 2, checkpointing ${checkpointing}); load before ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const warm: Partial<Record<Path, Result>> = {};
for (const path of paths) warm[path] = time(path);
const best: Record<Path, { ref: number; train: number }> = { native: { ref: Infinity, train: Infinity }, tfjs: { ref: Infinity, train: Infinity } };
const before = tf.memory().numTensors;
for (let run = 0; run < runs; run++) {
  for (const path of paths) {
    const r = time(path);
    best[path].ref = Math.min(best[path].ref, r.refS);
    best[path].train = Math.min(best[path].train, r.trainS);
    console.log(`run ${run} ${path}: reference ${r.refS.toFixed(2)} s (cpu ${r.refCpuS.toFixed(2)}), training ${r.trainS.toFixed(2)} s (cpu ${r.trainCpuS.toFixed(2)}), load ${loadavg()[0].toFixed(2)}`);
  }
}
use('native');
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
for (const path of paths) console.log(`${path}: best reference ${best[path].ref.toFixed(2)} s, best training ${best[path].train.toFixed(2)} s`);
// The LoRA gradients are not compared here: each training pass draws new LoRA dropout masks (the
// model's tests compare them without dropout).
if (warm.native && warm.tfjs) {
  console.log(`native vs tfjs: reference log-probs max |diff| ${maxDiff(warm.native.ref, warm.tfjs.ref).toExponential(2)} (max |logp| ${maxAbs(warm.tfjs.ref).toFixed(2)})`);
}
const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.byteLength;
console.log(`wasm heap ${heap === undefined ? 'n/a' : `${(heap / 2 ** 20).toFixed(0)} MiB`}`);
console.log(`numTensors before the timed runs ${before}, after ${tf.memory().numTensors}; load after ${loadavg()[0].toFixed(2)}`);
await bench.dispose();
