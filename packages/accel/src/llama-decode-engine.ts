// The addon's native Llama-family decode engine (native/llama-decode.cc: Llama, Qwen2, Qwen3),
// typed: weights copied once into native memory, a KV cache holding only the key/value heads, and
// one decode step for all rows per call. Every native method takes one named options object.
// @grpojs/model's generate uses it for every token after the prefill (native-decode.ts).
import { availableParallelism } from 'node:os';

import { loadAddon, REBUILD_HINT } from './native.js';

/** A bad spec for {@link createLlamaDecodeEngine}. */
export class LlamaDecodeEngineError extends Error {
  override name = 'LlamaDecodeEngineError';
}

/** The linear modules of a decoder layer (transformers' names), as the engine's setters take them. */
export const LLAMA_DECODE_MODULES = [
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.o_proj',
  'mlp.gate_proj',
  'mlp.up_proj',
  'mlp.down_proj',
] as const;
export type LlamaDecodeModule = (typeof LLAMA_DECODE_MODULES)[number];

/** Llama 3's rope_scaling, in camelCase. */
export interface LlamaDecodeRopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/** The model shape and constants of a {@link LlamaDecodeEngine}. */
export interface LlamaDecodeEngineSpec {
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  /** Key/value heads (GQA: a divisor of numHeads; 1 = MQA). */
  numKvHeads: number;
  /** Width of one head (Qwen3 may set it ≠ hiddenSize / numHeads). */
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositions: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: LlamaDecodeRopeScaling | null;
  /** Qwen3's per-head RMSNorm of q and k (setNorm 'q' and 'k'). */
  qkNorm: boolean;
  /** true: logits = h · embeddingᵀ; false: a separate head ({@link LlamaDecodeEngine.setHead}). */
  tiedHead: boolean;
  /** Worker threads, the caller's included. Default: the CPU count. */
  threads?: number;
  /** Use the portable loops even on an AVX2 CPU (tests of the fallback). Default false. */
  portable?: boolean;
}

/** What {@link LlamaDecodeEngine.info} reports. */
export interface LlamaDecodeEngineInfo {
  threads: number;
  simd: 'avx2' | 'portable';
  length: number;
  capacity: number;
  batch: number;
  /** Native bytes held (weights, NF4 codes and scales, KV cache). */
  bytes: number;
  /** Projections held as NF4 codes. */
  nf4Projections: number;
}

/**
 * A Llama-family decode step in native memory. Setters copy their arrays (reusable afterwards);
 * a wrong length or type throws a TypeError/RangeError naming the method and the field.
 */
export interface LlamaDecodeEngine {
  /** RMSNorm weights: 'input' / 'post' [hiddenSize] of `layer`, 'q' / 'k' [headDim] (qkNorm), 'final' [hiddenSize]. */
  setNorm(options: { layer?: number; which: 'input' | 'post' | 'q' | 'k' | 'final'; weight: Float32Array }): void;
  /** A projection's weight in the Conv1D layout [in, out] (row-major) and optional bias [out]. */
  setLinear(options: { layer: number; module: LlamaDecodeModule; weight: Float32Array; bias?: Float32Array | null }): void;
  /**
   * A frozen NF4 projection kept as codes: @grpojs/model's packHalves words of the [in, out] codes,
   * absmax [out, in / blockSize] (blockSize must be even and divide `in`), the 16 code values.
   * Each step decodes table[code] · absmax (the dequantization's own multiply) next to the product.
   */
  setLinearNf4(options: {
    layer: number;
    module: LlamaDecodeModule;
    codeWords: Int32Array;
    absmax: Float32Array;
    blockSize: number;
    table: Float32Array;
    bias?: Float32Array | null;
  }): void;
  /** Token embedding [vocab, hidden] (the head too when tied). */
  setEmbedding(options: { weight: Float32Array }): void;
  /** An untied head [vocab, hidden]: logits = h · weightᵀ. */
  setHead(options: { weight: Float32Array }): void;
  /** An empty KV cache for `batch` rows and `capacity` positions ({0, 0} frees it). */
  reset(options: { batch: number; capacity: number }): void;
  /**
   * Copies the first `length` positions of layer `layer`'s prefill keys (rotated) and values
   * [batch, kvHeads, srcCapacity, headDim] and each row's first valid position `starts[b]`.
   */
  loadCache(options: { layer: number; keys: Float32Array; values: Float32Array; srcCapacity: number; length: number; starts: Int32Array }): void;
  /** One token per row at cache position `length` (then length + 1); rotary angles from `positions`; logits [batch · vocab]. */
  step(options: { tokens: Int32Array; positions: Int32Array; logits: Float32Array }): void;
  /** As DecodeEngine.sampleRows: tokens[b] drawn from row b with uniform us[b] (us[b] < 0: skipped, −1). */
  sampleRows(options: { logits: Float32Array; temperature: number; thresholds: Float32Array; us: Float64Array; tokens: Int32Array }): void;
  info(): LlamaDecodeEngineInfo;
  /** Frees the native memory and threads; the engine cannot step afterwards. */
  dispose(): void;
}

type NativeClass = new (spec: Record<string, unknown>) => LlamaDecodeEngine;

export type LlamaDecodeEngineLoad = { engine: LlamaDecodeEngine; reason?: undefined } | { engine: null; reason: string };

function check(spec: LlamaDecodeEngineSpec): void {
  const ints = ['numLayers', 'hiddenSize', 'numHeads', 'numKvHeads', 'headDim', 'intermediateSize', 'vocabSize', 'maxPositions'] as const;
  for (const key of ints) {
    if (!(Number.isInteger(spec[key]) && spec[key] > 0)) {
      throw new LlamaDecodeEngineError(`createLlamaDecodeEngine: spec.${key} is ${spec[key]}; use a positive integer`);
    }
  }
  if (spec.numHeads % spec.numKvHeads !== 0) {
    throw new LlamaDecodeEngineError(`createLlamaDecodeEngine: spec.numHeads ${spec.numHeads} is not a multiple of spec.numKvHeads ${spec.numKvHeads}`);
  }
  if (spec.headDim % 2 !== 0) throw new LlamaDecodeEngineError(`createLlamaDecodeEngine: spec.headDim ${spec.headDim} must be even (rotary pairs)`);
  if (spec.threads !== undefined && !(Number.isInteger(spec.threads) && spec.threads > 0)) {
    throw new LlamaDecodeEngineError(`createLlamaDecodeEngine: spec.threads is ${spec.threads}; use a positive integer`);
  }
}

/**
 * A native Llama-family decode engine for `spec`, or `engine: null` and the reason when the addon
 * is missing or predates it. Throws LlamaDecodeEngineError for an invalid spec.
 */
export function createLlamaDecodeEngine(spec: LlamaDecodeEngineSpec): LlamaDecodeEngineLoad {
  check(spec);
  const load = loadAddon();
  if (!load.ok) return { engine: null, reason: load.reason };
  const Engine = (load.addon as unknown as { LlamaDecodeEngine?: NativeClass }).LlamaDecodeEngine;
  if (typeof Engine !== 'function') return { engine: null, reason: `the built addon predates the Llama decode engine; rebuild it: ${REBUILD_HINT}` };
  return { engine: new Engine({ ...spec, threads: spec.threads ?? availableParallelism() }) };
}

/** The engine's math kernels one at a time (native/llama-kernels.cc), for tests against references. */
export interface LlamaKernels {
  rmsNorm(options: { x: Float32Array; weight: Float32Array; rows: number; eps: number; out: Float32Array }): void;
  ropeInverseFrequencies(options: { headDim: number; theta: number; ropeScaling: LlamaDecodeRopeScaling | null }): Float64Array;
  /** Rotates x [rows, heads, headDim] in place at each row's position. */
  rotary(options: { x: Float32Array; rows: number; heads: number; headDim: number; positions: Int32Array; theta: number; ropeScaling: LlamaDecodeRopeScaling | null }): void;
  swiglu(options: { gate: Float32Array; up: Float32Array; out: Float32Array }): void;
  /** q [batch, heads, headDim] over keys/values [batch, kvHeads, capacity, headDim] positions [starts[b], length). */
  gqaAttention(options: {
    q: Float32Array;
    keys: Float32Array;
    values: Float32Array;
    batch: number;
    heads: number;
    kvHeads: number;
    headDim: number;
    capacity: number;
    length: number;
    starts: Int32Array;
    scale: number;
    out: Float32Array;
  }): void;
}

/** The kernels, or null when the addon is not built (or predates them). */
export function llamaKernels(): LlamaKernels | null {
  const load = loadAddon();
  if (!load.ok) return null;
  return (load.addon as unknown as { llamaKernels?: LlamaKernels }).llamaKernels ?? null;
}
