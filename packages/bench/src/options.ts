/**
 * Command-line options of the GRPO step benchmark, parsed with node:util's parseArgs (no extra
 * dependency for a handful of flags) and validated here so a typo names the flag and its allowed values.
 */
import { parseArgs } from 'node:util';

/** Which model shape to benchmark (random weights): the tiny smoke model, distilgpt2, SmolLM2-135M, Qwen2.5-0.5B. */
export type ModelShape = 'tiny' | 'distilgpt2' | 'smollm2-135m' | 'qwen2.5-0.5b';
export const MODEL_SHAPES: readonly ModelShape[] = ['tiny', 'distilgpt2', 'smollm2-135m', 'qwen2.5-0.5b'];
/** Frozen base weights: fp32 or NF4 (bitsandbytes' 4-bit NormalFloat, double quantization). */
export type QuantMode = 'none' | 'nf4';

/** One benchmark configuration, run in its own process so its peak RSS is its own. */
export interface BenchConfig {
  model: ModelShape;
  quant: QuantMode;
  /** Replace the wasm matmul kernels with @grpojs/accel's BLAS ones. */
  accel: boolean;
  /** Timed runs after one warm-up step; the report takes the median. */
  runs: number;
  /** Also profile one step by kernel (tf.profile) and by phase. */
  profile: boolean;
  /** Rows per training micro-batch (spec defaults: 1 prompt × numGenerations 2, G = 4). */
  microBatch: number;
  /** Gradient checkpointing (recompute each block in the backward pass). */
  checkpointing: boolean;
  /** BLAS threads (accel only); undefined: OpenBLAS's default (one per core). */
  threads?: number;
}

/** Thrown for a bad command-line flag; the message names the flag and what it accepts. */
export class BenchOptionsError extends Error {
  override name = 'BenchOptionsError';
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new BenchOptionsError(`--${flag} ${value}: "${item}" is not one of ${allowed.join(', ')} (comma-separate to run several).`);
    }
  }
  return items as T[];
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new BenchOptionsError(`--${flag} ${value}: expected an integer ≥ 1.`);
  return n;
}

/** Timed runs per shape when --runs is not given (the Llama shapes take minutes per step here). */
const DEFAULT_RUNS: Record<ModelShape, number> = { tiny: 3, distilgpt2: 2, 'smollm2-135m': 1, 'qwen2.5-0.5b': 1 };

/**
 * Shapes whose training pass always uses gradient checkpointing: without it the taped activations
 * of SmolLM2-135M's 30 layers over a 2 × 256-token micro-batch outgrow the wasm backend's 4 GB heap
 * (measured: "memory access out of bounds" in the backward pass; 739 MB heap with checkpointing).
 */
const CHECKPOINTED: Record<ModelShape, boolean> = { tiny: false, distilgpt2: false, 'smollm2-135m': true, 'qwen2.5-0.5b': true };

/** Parsed flags: the configurations to run (cross product) and where to write the JSON. */
export interface BenchPlan {
  configs: BenchConfig[];
  outFile: string;
  /** Run the PyTorch anchor (anchor/torch_grpo_step.py) for each model after its configurations. */
  anchor: boolean;
}

export const USAGE = `Usage: pnpm bench [--model tiny,distilgpt2,smollm2-135m,qwen2.5-0.5b] [--quant none,nf4] [--accel on,off]
                  [--runs N] [--profile] [--micro-batch ROWS] [--checkpointing] [--threads N]
                  [--no-anchor] [--out bench-results/<name>.json]
Each flag takes one value or a comma list; every combination runs in its own process.
Default: tiny and distilgpt2, accel on, quant none and nf4 (all but tiny), runs 3 (tiny) / 2 (distilgpt2) / 1 (Llama shapes),
micro-batches of 2 rows (the spec's 1 prompt × 2 generations, 4 accumulation steps); the Llama
shapes always train with gradient checkpointing (their activations outgrow the 4 GB wasm heap).
After each model's configurations the PyTorch anchor (anchor/torch_grpo_step.py, fp32, same work
unit and threads) runs with $GRPOJS_BENCH_PYTHON or /usr/bin/python3, so every row gets a same-run
ratio; --no-anchor skips it (it is skipped with a note when torch does not import).`;

/** Parses argv (without node and the script path) into a plan. */
export function parseBenchArgs(argv: string[], now = new Date()): BenchPlan {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      quant: { type: 'string' },
      accel: { type: 'string' },
      runs: { type: 'string' },
      threads: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'micro-batch': { type: 'string' },
      checkpointing: { type: 'boolean', default: false },
      'no-anchor': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new BenchOptionsError(USAGE);
  const models = oneOf<ModelShape>('model', values.model ?? 'tiny,distilgpt2', MODEL_SHAPES);
  const quants = values.quant === undefined ? null : oneOf<QuantMode>('quant', values.quant, ['none', 'nf4']);
  const accels = oneOf('accel', values.accel ?? 'on', ['on', 'off']).map((a) => a === 'on');
  const runs = values.runs === undefined ? null : positiveInt('runs', values.runs);
  const microBatch = values['micro-batch'] === undefined ? 2 : positiveInt('micro-batch', values['micro-batch']);
  const threads = values.threads === undefined ? undefined : positiveInt('threads', values.threads);
  const configs: BenchConfig[] = [];
  for (const model of models) {
    // By default the tiny model runs fp32 only (it is the seconds-long regression check).
    for (const quant of quants ?? (model === 'tiny' ? ['none' as const] : ['none' as const, 'nf4' as const])) {
      for (const accel of accels) {
        const checkpointing = values.checkpointing || CHECKPOINTED[model];
        configs.push({ model, quant, accel, runs: runs ?? DEFAULT_RUNS[model], profile: values.profile, microBatch, checkpointing, threads });
      }
    }
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return { configs, outFile: values.out ?? `bench-results/grpo-step-${stamp}.json`, anchor: !values['no-anchor'] };
}
