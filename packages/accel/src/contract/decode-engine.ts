// The GPT-2 decode engine's interface (native/napi/decode.cc behind accel's decode-engine.ts): what
// @grpojs/model's native-decode.ts drives, typed once here for both packages.

/** MLP activations the engine implements (gelu_new = GPT-2's tanh approximation). */
export const DECODE_ACTIVATIONS = { gelu_new: 0, relu: 1, gelu: 2 } as const;
export type DecodeActivation = keyof typeof DECODE_ACTIVATIONS;

/** The model shape and constants of a {@link DecodeEngine}. */
export interface DecodeEngineSpec {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** MLP hidden size (4 · nEmbd for GPT-2). */
  nInner: number;
  vocabSize: number;
  nPositions: number;
  /** LayerNorm epsilon. */
  eps: number;
  activation: DecodeActivation;
  /** Per layer: the factor on q·k (1/√headDim, ÷(layer+1) with scale_attn_by_inverse_layer_idx). */
  attnScales: ArrayLike<number>;
  /** true: logits = h · wteᵀ (GPT-2); false: a separate head set with {@link DecodeEngine.setHead}. */
  tiedHead: boolean;
  /** Worker threads, the caller's included. Default: the CPU count. */
  threads?: number;
  /** Use the portable loops even on an AVX2+FMA CPU (tests of the fallback). Default false. */
  portable?: boolean;
}

/** The four Conv1D projections of a block, in the order `setLinear` numbers them. */
export const DECODE_PROJECTIONS = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
export type DecodeProjection = (typeof DECODE_PROJECTIONS)[number];

/** What {@link DecodeEngine.info} reports. */
export interface DecodeEngineInfo {
  threads: number;
  /** 'avx2' when the CPU has AVX2+FMA, else the portable loops (also in a GRPOJS_ACCEL_PORTABLE=1 build). */
  simd: 'avx2' | 'portable';
  /** Positions in the KV cache, its capacity and batch (0 before reset). */
  length: number;
  capacity: number;
  batch: number;
  /** Native bytes held (packed weights, NF4 codes and scales, biases, decode scratch, KV cache). */
  bytes: number;
  /** Projections held as NF4 codes ({@link DecodeEngine.setLinearNf4}). */
  nf4Projections: number;
}

/**
 * A frozen NF4 projection as {@link DecodeEngine.setLinearNf4} takes it: the codes and block
 * scales of @grpojs/model's quantized Conv1D (its `readNf4State()`).
 */
export interface DecodeNf4Weight {
  /** 4-bit codes of the Conv1D weight [in, out] (code k·out + o) in @grpojs/model's packHalves words. */
  codeWords: Int32Array;
  /** fp32 scale per block of `blockSize` weights along `in` of each output column: [out, in / blockSize]. */
  absmax: Float32Array;
  /** Must divide `in`. */
  blockSize: number;
  /** The 16 code values (NF4_CODE). */
  table: Float32Array;
}

/**
 * A GPT-2 decode step in native memory. Every method takes one named options object, as the
 * Llama-family engine's do. Every weight is copied (and packed) by its setter; the Float32Arrays
 * may be reused afterwards. Errors (a wrong length, an unset weight) are thrown as RangeError
 * naming the method and the option.
 */
export interface DecodeEngine {
  /** index 2l: h.l.ln_1; 2l+1: h.l.ln_2; 2·nLayer: ln_f. gamma, beta [nEmbd]. */
  setLayerNorm(options: { index: number; gamma: Float32Array; beta: Float32Array }): void;
  /** One projection of block `layer`: HF Conv1D weight [in, out] row-major and bias [out]. */
  setLinear(options: { layer: number; projection: DecodeProjection; weight: Float32Array; bias: Float32Array }): void;
  /**
   * One frozen NF4 projection kept as codes (≈ 0.56 byte per weight instead of 4): each step decodes
   * w = table[code] · absmax (the dequantization's one float32 multiply) next to the product, so the
   * logits equal those of setLinear with the dequantized weight bit for bit. Throws when blockSize
   * does not divide `in` (use setLinear with the dequantized weight then).
   */
  setLinearNf4(options: DecodeNf4Weight & { layer: number; projection: DecodeProjection; bias: Float32Array }): void;
  /** wpe [nPositions, nEmbd]. */
  setPositionEmbedding(options: { weight: Float32Array }): void;
  /** wte [vocab, nEmbd] (also the head when tied). */
  setTokenEmbedding(options: { weight: Float32Array }): void;
  /** An untied head [vocab, nEmbd]: logits = h · weightᵀ. */
  setHead(options: { weight: Float32Array }): void;
  /**
   * An empty KV cache for `batch` rows and `capacity` positions (a large enough earlier allocation
   * is reused, not zeroed: every position is written before it is read); `{ batch: 0, capacity: 0 }` frees it.
   */
  reset(options: { batch: number; capacity: number }): void;
  /**
   * Copies the first `length` positions of layer `layer`'s prefill keys/values [batch, heads,
   * srcCapacity, headDim] (the layout of @grpojs/model's KVCache) and sets each row's first valid
   * position `starts[b]` (left padding) and the cache length.
   */
  loadCache(options: { layer: number; keys: Float32Array; values: Float32Array; srcCapacity: number; length: number; starts: Int32Array }): void;
  /**
   * One token per row at cache position `length` (then length + 1): `tokens`, `positions` [batch]
   * (positions index wpe), logits [batch · vocab] written into `logits`.
   */
  step(options: { tokens: Int32Array; positions: Int32Array; logits: Float32Array }): void;
  /**
   * Draws one token per row of logits [B · vocab], rows in parallel on the engine's threads, with
   * the arithmetic of @grpojs/model's sampleToken (and the addon's sampleRow): softmax(logits /
   * temperature) over the scaled logits ≥ thresholds[b] (−Infinity: all), with the uniform draw
   * us[b] ∈ [0, 1); a row with us[b] < 0 is skipped (tokens[b] = −1).
   */
  sampleRows(options: { logits: Float32Array; temperature: number; thresholds: Float32Array; us: Float64Array; tokens: Int32Array }): void;
  info(): DecodeEngineInfo;
  /** Frees the native memory and threads; the engine cannot step afterwards. */
  dispose(): void;
}

/** What createDecodeEngine returns: the engine, or null and why. */
export type DecodeEngineLoad = { engine: DecodeEngine; reason?: undefined } | { engine: null; reason: string };
