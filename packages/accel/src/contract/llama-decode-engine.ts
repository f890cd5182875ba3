// The Llama-family decode engine's interface (native/napi/llama-decode.cc behind accel's
// llama-decode-engine.ts): what @grpojs/model's native-llama-decode.ts drives, typed once here.

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

/** What createLlamaDecodeEngine returns: the engine, or null and why. */
export type LlamaDecodeEngineLoad = { engine: LlamaDecodeEngine; reason?: undefined } | { engine: null; reason: string };
