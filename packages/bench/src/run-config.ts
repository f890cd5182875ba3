/**
 * Runs one benchmark configuration in this process (the CLI starts one process per configuration
 * so that peak RSS and the wasm heap belong to it alone): load, one warm-up step, `runs` timed
 * steps, an optional profile, and a 512×768×3072 matmul for the GFLOP/s the backend reaches.
 * Usage: node dist/run-config.js '<BenchConfig JSON>' <result.json>
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { tf } from '@grpojs/model';
import { type StepTimes, createStepContext, grpoStep } from './grpo-step.js';
import type { BenchConfig } from './options.js';
import { type StepProfile, profileStep } from './profile.js';
import { type BackendInfo, WORK_UNIT, loadBenchModel, setupBackend } from './setup.js';

/** Everything one configuration measured; medians over the timed runs. */
export interface ConfigResult {
  config: BenchConfig;
  backend: BackendInfo;
  workUnit: typeof WORK_UNIT;
  loadavgBefore: number[];
  loadavgAfter: number[];
  warmup: StepTimes;
  runs: StepTimes[];
  median: StepTimes;
  rolloutTokensPerSecond: number;
  trainingTokensPerSecond: number;
  matmulGflops: number;
  memory: {
    fp32WeightBytes: number;
    loadedWeightBytes: number;
    tfBytesAfterLoad: number;
    tfBytesAfterSteps: number;
    wasmHeapBytes: number | null;
    peakRssBytes: number;
  };
  profile?: StepProfile;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** GFLOP/s of a 512×768×3072 matmul (a GPT-2 MLP layer over 512 tokens), best of ~1 s. */
function matmulGflops(): number {
  const a = tf.randomUniform([512, 768]); // [512, 768]
  const b = tf.randomUniform([768, 3072]); // [768, 3072]
  tf.matMul(a, b).dispose();
  let best = Infinity;
  const until = performance.now() + 1000;
  let reps = 0;
  while (performance.now() < until || reps < 2) {
    const t0 = performance.now();
    tf.matMul(a, b).dispose();
    best = Math.min(best, performance.now() - t0);
    reps++;
  }
  tf.dispose([a, b]);
  return (2 * 512 * 768 * 3072) / (best / 1000) / 1e9;
}

function wasmHeapBytes(): number | null {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.byteLength ?? null;
}

/** Runs `config` and returns its measurements. */
export async function runConfig(
  config: BenchConfig,
  log: (line: string) => void,
  save?: (partial: ConfigResult) => Promise<void>,
): Promise<ConfigResult> {
  const backend = await setupBackend(config);
  const loadavgBefore = loadavg();
  const model = await loadBenchModel(config);
  const ctx = createStepContext(model.lm, config.microBatch);
  const label = `${config.model} ${config.quant} accel=${backend.accel ? 'on' : 'off'}`;
  const warmup = await grpoStep(ctx);
  log(`${label}: warm-up step ${warmup.total.toFixed(2)} s`);
  const runs: StepTimes[] = [];
  for (let i = 0; i < config.runs; i++) {
    runs.push(await grpoStep(ctx));
    log(`${label}: run ${i + 1}/${config.runs} ${runs[i].total.toFixed(2)} s (rollout ${runs[i].rollout.toFixed(2)}, ref ${runs[i].reference.toFixed(2)}, train ${runs[i].training.toFixed(2)}) load ${loadavg()[0].toFixed(2)}`);
  }
  const med = (k: Exclude<keyof StepTimes, 'cpu'>) => median(runs.map((r) => r[k]));
  const medCpu = (k: keyof StepTimes['cpu']) => median(runs.map((r) => r.cpu[k]));
  const m: StepTimes = {
    rollout: med('rollout'),
    reference: med('reference'),
    training: med('training'),
    optimizer: med('optimizer'),
    total: med('total'),
    cpu: { rollout: medCpu('rollout'), reference: medCpu('reference'), training: medCpu('training'), optimizer: medCpu('optimizer'), total: medCpu('total') },
  };
  const tfBytesAfterSteps = tf.memory().numBytes;
  const gflops = matmulGflops();
  const result: ConfigResult = {
    config,
    backend,
    workUnit: WORK_UNIT,
    loadavgBefore,
    loadavgAfter: loadavg(),
    warmup,
    runs,
    median: m,
    rolloutTokensPerSecond: (WORK_UNIT.sequences * WORK_UNIT.newTokens) / m.rollout,
    trainingTokensPerSecond: (WORK_UNIT.sequences * (WORK_UNIT.promptTokens + WORK_UNIT.newTokens)) / m.training,
    matmulGflops: gflops,
    memory: {
      fp32WeightBytes: model.fp32WeightBytes,
      loadedWeightBytes: model.loadedWeightBytes,
      tfBytesAfterLoad: model.tfBytesAfterLoad,
      tfBytesAfterSteps,
      wasmHeapBytes: wasmHeapBytes(),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    },
  };
  // The timed results are saved first: a profile that runs out of wasm memory must not lose them.
  await save?.(result);
  if (config.profile) {
    result.profile = await profileStep(ctx, config.quant === 'nf4');
    result.memory.wasmHeapBytes = wasmHeapBytes();
    result.memory.peakRssBytes = process.resourceUsage().maxRSS * 1024;
  }
  ctx.optimizer.dispose();
  await model.dispose();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [json, out] = process.argv.slice(2);
  const save = (r: ConfigResult) => writeFile(out, JSON.stringify(r, null, 2));
  await save(await runConfig(JSON.parse(json) as BenchConfig, (line) => console.error(line), save));
}
