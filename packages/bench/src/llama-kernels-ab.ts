/**
 * In-process A/B of each Llama training kernel of @grpojs/accel (RMSNorm, SwiGLU, rotary into
 * heads) against the tfjs formula it replaces, at the SmolLM2-135M shapes of one micro-batch (2
 * rows × 256 tokens: x [512, 576], the MLP's [512, 1536], q [512, 9·64]): forward, and forward +
 * backward through tf.grads, the best of --reps calls per path, the paths alternating so both see
 * the same load; then the same with the kernel pool on 1 thread. One op at a time, so unlike the
 * phase A/B (llama-train-ab.ts) the machine's load moves the two paths together.
 * `pnpm build && node dist/llama-kernels-ab.js [--reps 30]`.
 */
import { loadavg } from 'node:os';
import { ACCEL_KERNEL_FAMILIES, ACCEL_KERNELS } from '@grpojs/accel/contract';
import { setKernelThreads } from '@grpojs/accel';
import { initRuntime, rmsNorm, rotaryHeads, rotaryTables, swiGlu, tf } from '@grpojs/model';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const reps = Number(arg('reps', '30'));
await initRuntime({ backend: 'wasm', accel: true, log: () => {} });
const saved = ACCEL_KERNEL_FAMILIES.llama.map((k) => {
  const c = tf.getKernel(ACCEL_KERNELS[k], tf.getBackend());
  if (c === undefined) throw new Error(`${ACCEL_KERNELS[k]} is not registered: build @grpojs/accel's addon`);
  return c;
});
const use = (native: boolean): void => {
  for (const c of saved) {
    const on = tf.getKernel(c.kernelName, c.backendName) !== undefined;
    if (!native && on) tf.unregisterKernel(c.kernelName, c.backendName);
    if (native && !on) tf.registerKernel(c);
  }
};

const [B, T, C, I, H, D] = [2, 256, 576, 1536, 9, 64];
const x = tf.randomNormal([B * T, C], 0, 1, 'float32', 1) as tf.Tensor2D;
const w = tf.randomNormal([C], 1, 0.1, 'float32', 2) as tf.Tensor1D;
const gate = tf.randomNormal([B * T, I], 0, 1, 'float32', 3) as tf.Tensor2D;
const up = tf.randomNormal([B * T, I], 0, 1, 'float32', 4) as tf.Tensor2D;
const positions = Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => t));
const invFreq = Float64Array.from({ length: D / 2 }, (_, i) => 1 / 100000 ** ((2 * i) / D));
const { cos, sin } = rotaryTables(positions, invFreq);

const ops: Record<string, { fwd: () => tf.Tensor; grad: () => tf.Tensor[] }> = {
  'RMSNorm [512, 576]': { fwd: () => rmsNorm(x, w, 1e-5), grad: () => tf.grads((a, b) => tf.sum(rmsNorm(a as tf.Tensor2D, b as tf.Tensor1D, 1e-5)))([x, w]) },
  'SwiGLU [512, 1536]': { fwd: () => swiGlu(gate, up), grad: () => tf.grads((a, b) => tf.sum(swiGlu(a as tf.Tensor2D, b as tf.Tensor2D)))([gate, up]) },
  'rotary q into heads [512, 9·64]': {
    fwd: () => rotaryHeads(x, B, H, cos, sin),
    grad: () => tf.grads((a) => tf.sum(rotaryHeads(a as tf.Tensor2D, B, H, cos, sin)))([x]),
  },
};
const timeOne = (f: () => tf.Tensor | tf.Tensor[]): number => {
  const t0 = performance.now();
  const out = f();
  for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
  const ms = performance.now() - t0;
  tf.dispose(out);
  return ms;
};

for (const threads of [0, 1]) {
  const inEffect = threads > 0 ? setKernelThreads(threads) : setKernelThreads(0);
  console.log(`kernel threads ${inEffect}; load ${loadavg()[0].toFixed(2)}`);
  for (const [name, op] of Object.entries(ops)) {
    const best = { native: { fwd: Infinity, grad: Infinity }, tfjs: { fwd: Infinity, grad: Infinity } };
    for (let r = 0; r < reps; r++) {
      for (const path of ['native', 'tfjs'] as const) {
        use(path === 'native');
        best[path].fwd = Math.min(best[path].fwd, timeOne(op.fwd));
        best[path].grad = Math.min(best[path].grad, timeOne(op.grad));
      }
    }
    use(true);
    const f = (v: number) => v.toFixed(2);
    console.log(`${name}: forward ${f(best.tfjs.fwd)} → ${f(best.native.fwd)} ms; forward + backward ${f(best.tfjs.grad)} → ${f(best.native.grad)} ms (tfjs → native, best of ${reps})`);
  }
}
console.log(`load after ${loadavg()[0].toFixed(2)}`);
