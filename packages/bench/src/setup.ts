/**
 * Builds the benchmarked policy: a model of the chosen shape with random weights (written as an HF
 * folder to a temp dir, so the real loader runs), LoRA r16 on PEFT's default targets for the
 * architecture (c_attn for GPT-2, q_proj + v_proj for the Llama family), fp32 or NF4 base, on the
 * wasm backend with or without @grpojs/accel's BLAS matmul.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blasMatMulBackends, enableBlasMatMul } from '@grpojs/accel';
import {
  type CausalLM,
  type GPT2Config,
  type LlamaConfig,
  initRuntime,
  loadCausalLM,
  makeGPT2Config,
  makeLlamaConfig,
  type RuntimeOptions,
  runtimeOptionsFromEnv,
  tf,
  writeRandomGPT2Checkpoint,
  writeRandomLlamaCheckpoint,
} from '@grpojs/model';
import type { BenchConfig, ModelShape } from './options.js';

/** The GRPO work unit every configuration runs: 8 sequences of 128 prompt + 128 new tokens. */
export const WORK_UNIT = { sequences: 8, promptTokens: 128, newTokens: 128 } as const;

/**
 * Model shapes: distilgpt2 (6 × 768, 12 heads), the CLI's tiny smoke model (2 × 32), and the
 * published configs' shapes of SmolLM2-135M (30 × 576, 9 / 3 heads, 1536 inner, vocab 49152, tied)
 * and Qwen2.5-0.5B (24 × 896, 14 / 2 heads, 4864 inner, vocab 151936, q/k/v biases, tied).
 */
export function modelConfig(shape: ModelShape): { kind: 'gpt2'; config: GPT2Config } | { kind: 'llama'; config: LlamaConfig } {
  const gpt2 = { vocabSize: 50257, eosTokenId: 50256, bosTokenId: 50256 };
  switch (shape) {
    case 'distilgpt2':
      return { kind: 'gpt2', config: makeGPT2Config({ ...gpt2, nLayer: 6, nEmbd: 768, nHead: 12, nPositions: 1024 }) };
    case 'tiny':
      return { kind: 'gpt2', config: makeGPT2Config({ ...gpt2, nLayer: 2, nEmbd: 32, nHead: 2, nPositions: 256 }) };
    case 'smollm2-135m':
      return {
        kind: 'llama',
        config: makeLlamaConfig({
          family: 'llama', vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numHiddenLayers: 30, numAttentionHeads: 9, numKeyValueHeads: 3,
          maxPositionEmbeddings: 8192, rmsNormEps: 1e-5, ropeTheta: 100000, tieWordEmbeddings: true, bosTokenId: 0, eosTokenIds: [0],
        }),
      };
    case 'qwen2.5-0.5b':
      return {
        kind: 'llama',
        config: makeLlamaConfig({
          family: 'qwen2', vocabSize: 151936, hiddenSize: 896, intermediateSize: 4864, numHiddenLayers: 24, numAttentionHeads: 14, numKeyValueHeads: 2,
          maxPositionEmbeddings: 32768, rmsNormEps: 1e-6, ropeTheta: 1000000, tieWordEmbeddings: true, bosTokenId: 151643, eosTokenIds: [151645],
        }),
      };
  }
}

/** What the backend set-up reports: its name and whether matmuls run on the BLAS. */
export interface BackendInfo {
  backend: string;
  accel: boolean;
  /** Why accel is off although asked for (addon not built, …). */
  accelReason?: string;
  blas?: string;
  blasThreads?: number;
}

/**
 * The runtime options of a bench configuration: the GRPOJS_* switches of the environment (read here,
 * through the one function that interprets them), the wasm backend unless GRPOJS_BACKEND names
 * another, accel off when the configuration says so, then `overrides` (an A/B's decode path).
 */
export function benchRuntimeOptions(config: BenchConfig, overrides: RuntimeOptions = {}): RuntimeOptions {
  const env = runtimeOptionsFromEnv(process.env);
  return { ...env, backend: env.backend ?? 'wasm', ...(config.accel ? {} : { accel: false }), ...overrides };
}

/** Starts the runtime of `config` (benchRuntimeOptions) and says whether its matmuls run on the BLAS. */
export async function setupBackend(config: BenchConfig, overrides: RuntimeOptions = {}): Promise<BackendInfo> {
  const runtime = await initRuntime({ ...benchRuntimeOptions(config, overrides), log: () => {} });
  const backend = runtime.backend;
  if (!config.accel) return { backend, accel: blasMatMulBackends().includes(backend) };
  // Already registered by initRuntime (the same families): this sets the BLAS threads and reports the BLAS.
  const { matmul: _matmul, ...kernels } = runtime.options.accel;
  const status = enableBlasMatMul({ backends: [backend as 'wasm' | 'cpu'], kernels, ...(config.threads ? { threads: config.threads } : {}) });
  if (!status.enabled) console.error(`BLAS matmul not available: ${status.reason}; using plain ${backend}`);
  return {
    backend,
    accel: status.enabled,
    ...(status.reason ? { accelReason: status.reason } : {}),
    ...(status.blas ? { blas: status.blas } : {}),
    ...(status.threads !== undefined ? { blasThreads: status.threads } : {}),
  };
}

/** The loaded policy and what its weights hold. Call `dispose()` when done. */
export interface BenchModel {
  lm: CausalLM;
  /** Bytes of the weights as fp32, and as held by the backend after quantization. */
  fp32WeightBytes: number;
  loadedWeightBytes: number;
  /** tf.memory().numBytes right after loading (weights, LoRA, caches such as the transposed head). */
  tfBytesAfterLoad: number;
  dispose(): Promise<void>;
}

/** Writes a random checkpoint of `shape` to a temp dir and loads it with LoRA r16 on the architecture's default targets. */
export async function loadBenchModel(config: BenchConfig): Promise<BenchModel> {
  const dir = await mkdtemp(join(tmpdir(), `grpojs-bench-${config.model}-`));
  try {
    const shape = modelConfig(config.model);
    if (shape.kind === 'gpt2') await writeRandomGPT2Checkpoint(dir, shape.config, 1234);
    else await writeRandomLlamaCheckpoint(dir, shape.config, 1234);
    // The backend and accel are the runtime's (setupBackend): loadCausalLM keeps them.
    const lm = await loadCausalLM(dir, {
      quantization: config.quant,
      gradientCheckpointing: config.checkpointing,
      lora: { r: 16, alpha: 32, dropout: 0.05, seed: 42 },
    });
    // The table must show the state the steps ran with.
    if (config.accel !== blasMatMulBackends().includes(tf.getBackend())) {
      throw new Error(`@grpojs/bench: BLAS matmul is ${config.accel ? 'off' : 'on'} after loading, expected ${config.accel ? 'on' : 'off'}.`);
    }
    return {
      lm,
      fp32WeightBytes: lm.memory.fp32Bytes,
      loadedWeightBytes: lm.memory.loadedBytes,
      tfBytesAfterLoad: tf.memory().numBytes,
      dispose: async () => lm.dispose(),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
