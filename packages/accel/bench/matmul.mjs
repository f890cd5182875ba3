// Matmul throughput of the tfjs wasm backend with and without @grpojs/accel (a few seconds).
// Shapes: 512x768x3072 (a GPT-2 MLP matmul over a 512-token batch) and 8x768x2304 (decode: 8
// sequences, one token each, through c_attn). `pnpm bench` builds ../dist first (the script imports it).
// --mlp adds a training step of a 768-3072-768 MLP over 256 rows (forward, backward, SGD), whose
// backward matmuls are transposed: plain wasm takes seconds per step there, so it is opt-in.
//   pnpm bench            OPENBLAS_NUM_THREADS=1 pnpm bench            pnpm bench --mlp
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { disableBlasMatMul, enableBlasMatMul } from '../dist/index.js';

const SHAPES = [
  [512, 768, 3072],
  [8, 768, 2304],
];
const SECONDS_PER_CASE = 0.5;

/** GFLOP/s of a [m, k] x [k, n] matmul, timed over about SECONDS_PER_CASE after two warm-up calls. */
function measure(m, k, n) {
  const a = tf.randomUniform([m, k], -1, 1); // [m, k]
  const b = tf.randomUniform([k, n], -1, 1); // [k, n]
  for (let i = 0; i < 2; i++) tf.matMul(a, b).dispose();
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS_PER_CASE * 1000) {
    tf.matMul(a, b).dispose();
    reps++;
  }
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([a, b]);
  return (2 * m * k * n * reps) / seconds / 1e9;
}

await tf.setBackend('wasm');
const status = enableBlasMatMul({ backends: ['wasm'] });
if (!status.enabled) console.log(`BLAS matmul not available: ${status.reason}; only plain wasm is measured`);
else console.log(`BLAS: ${status.blas}, ${status.threads} thread(s)`);
for (const [m, k, n] of SHAPES) {
  const blas = status.enabled ? measure(m, k, n) : NaN;
  disableBlasMatMul();
  const plain = measure(m, k, n);
  if (status.enabled) enableBlasMatMul({ backends: ['wasm'] });
  const speedup = status.enabled ? `  (${(blas / plain).toFixed(1)}x)` : '';
  console.log(
    `${m}x${k}x${n}: accel ${status.enabled ? blas.toFixed(1) : '-'} GFLOP/s, plain wasm ${plain.toFixed(1)} GFLOP/s${speedup}`,
  );
}

/** Milliseconds per SGD step of a 2-layer MLP (x [256, 768] -> 3072 -> 768), at least `reps` steps. */
function mlpStepMs(reps) {
  return tf.tidy(() => {
    const x = tf.randomNormal([256, 768]); // [rows, in]
    const w1 = tf.variable(tf.mul(tf.randomNormal([768, 3072]), 0.02)); // [in, hidden]
    const w2 = tf.variable(tf.mul(tf.randomNormal([3072, 768]), 0.02)); // [hidden, out]
    const optimizer = tf.train.sgd(0.01);
    const step = () =>
      tf.dispose(optimizer.minimize(() => tf.mean(tf.square(tf.matMul(tf.relu(tf.matMul(x, w1)), w2))), true));
    step();
    const start = performance.now();
    for (let i = 0; i < reps; i++) step();
    const ms = (performance.now() - start) / reps;
    tf.dispose([w1, w2]);
    return ms;
  });
}

if (process.argv.includes('--mlp')) {
  const accel = status.enabled ? mlpStepMs(10) : NaN;
  disableBlasMatMul();
  const plain = mlpStepMs(1);
  console.log(`MLP training step 256x768x3072x768: accel ${accel.toFixed(0)} ms, plain wasm ${plain.toFixed(0)} ms`);
}
