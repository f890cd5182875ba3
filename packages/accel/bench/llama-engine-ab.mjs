// The Llama decode engine's step alone (LlamaDecodeEngine at the SmolLM2-135M shape: 30 layers,
// 576 wide, 9 / 3 heads of 64, 1536 inner, tied 49152 vocab; 8 rows, a 128-position cache, random
// weights, no LoRA) for one or more builds of the addon loaded in one process, in alternating
// rounds of 10 timed steps so every build sees the same machine load. For an A/B of a native
// change: copy build/Release/grpojs_accel.node aside, rebuild, then
//   node bench/llama-engine-ab.mjs --addons /tmp/old.node,build/Release/grpojs_accel.node [--threads 1] [--nf4] [--rounds 4]
// --nf4 holds every projection as NF4 codes (random codes, blockSize 64). Prints each build's
// median and fastest step, the weight bytes streamed per second, and the logit sum (equal builds
// give equal sums; a changed summation order moves it by float32 rounding).
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
if (process.argv.includes('--help')) {
  console.log('node bench/llama-engine-ab.mjs --addons a.node,b.node [--threads 1] [--nf4] [--rounds 4]');
  process.exit(0);
}
const require = createRequire(import.meta.url);
const addons = arg('addons', 'build/Release/grpojs_accel.node').split(',').map((p) => [p, require(resolve(p))]);
const threads = Number(arg('threads', '1'));
const nf4 = process.argv.includes('--nf4');
const rounds = Number(arg('rounds', '4'));
const STEPS = 12; // per round; the first 2 are warm-up
const L = 30, C = 576, H = 9, KV = 3, D = 64, I = 1536, V = 49152, B = 8, T = 128;
const spec = { numLayers: L, hiddenSize: C, numHeads: H, numKvHeads: KV, headDim: D, intermediateSize: I, vocabSize: V, maxPositions: 2048, rmsNormEps: 1e-5, ropeTheta: 100000, tiedHead: true, threads };
const shapes = { 'self_attn.q_proj': [C, H * D], 'self_attn.k_proj': [C, KV * D], 'self_attn.v_proj': [C, KV * D], 'self_attn.o_proj': [H * D, C], 'mlp.gate_proj': [C, I], 'mlp.up_proj': [C, I], 'mlp.down_proj': [I, C] };

let seed = 1;
const uniform = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed / 4294967296 - 0.5) * 0.1;
};
const randoms = (n) => Float32Array.from({ length: n }, uniform);
const weights = Object.fromEntries(Object.entries(shapes).map(([m, [i, o]]) => [m, randoms(i * o)]));
const embedding = randoms(V * C);
const ones = new Float32Array(C).fill(1);
const table = Float32Array.from([-1, -0.696, -0.525, -0.395, -0.284, -0.185, -0.091, 0, 0.08, 0.161, 0.246, 0.338, 0.441, 0.563, 0.723, 1]);
const keys = randoms(B * KV * T * D);
const values = randoms(B * KV * T * D);

function makeEngine(addon) {
  const e = new addon.LlamaDecodeEngine(spec);
  e.setEmbedding({ weight: embedding });
  e.setNorm({ which: 'final', weight: ones });
  for (let layer = 0; layer < L; layer++) {
    e.setNorm({ layer, which: 'input', weight: ones });
    e.setNorm({ layer, which: 'post', weight: ones });
    for (const [module, [i, o]] of Object.entries(shapes)) {
      if (!nf4) {
        e.setLinear({ layer, module, weight: weights[module] });
        continue;
      }
      const codeWords = Int32Array.from({ length: (i * o) / 8 }, (_, k) => Math.imul(k, 2654435761));
      e.setLinearNf4({ layer, module, codeWords, absmax: new Float32Array((o * i) / 64).fill(0.05), blockSize: 64, table });
    }
  }
  return e;
}

const tokens = Int32Array.from({ length: B }, (_, b) => b * 101 + 7);
const logits = new Float32Array(B * V);
/** Step times (ms) of one round from a freshly loaded cache, and the last logits' sum. */
function round(e) {
  e.reset({ batch: B, capacity: T + STEPS });
  for (let layer = 0; layer < L; layer++) e.loadCache({ layer, keys, values, srcCapacity: T, length: T, starts: new Int32Array(B) });
  const times = [];
  for (let s = 0; s < STEPS; s++) {
    const t0 = performance.now();
    e.step({ tokens, positions: new Int32Array(B).fill(T + s), logits });
    times.push(performance.now() - t0);
  }
  return { times: times.slice(2), sum: logits.reduce((a, v) => a + v, 0) };
}

const runs = addons.map(([path, addon]) => ({ path, engine: makeEngine(addon), times: [], sum: 0 }));
const weightBytes = runs[0].engine.info().bytes;
console.log(`${nf4 ? 'NF4' : 'fp32'} weights ${(weightBytes / 1e6).toFixed(1)} MB, ${threads} thread(s), load ${loadavg()[0].toFixed(2)}`);
for (let r = 0; r < rounds; r++) {
  for (const run of runs) {
    const { times, sum } = round(run.engine);
    run.times.push(...times);
    run.sum = sum;
  }
}
for (const { path, engine, times, sum } of runs) {
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`${path} (${engine.info().simd}): median ${median.toFixed(1)} ms (${(weightBytes / 1e6 / median).toFixed(2)} GB/s), fastest ${times[0].toFixed(1)} ms (${(weightBytes / 1e6 / times[0]).toFixed(2)} GB/s) over ${times.length} steps; logit sum ${sum.toFixed(3)}`);
  engine.dispose();
}
console.log(`load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
