// The addon's native GPT-2 decode engine (native/decode.cc), typed: weights packed once in native
// memory, a KV cache, and one decode step for all rows (embedding → blocks → ln_f → LM head) per
// call. @grpojs/model's generate uses it for every token after the prefill (docs/accel.md).
import { availableParallelism } from 'node:os';

import { loadAddon, REBUILD_HINT } from './native.js';

/** A bad argument to {@link createDecodeEngine} or {@link DecodeEngine.setLinear}. */
export class DecodeEngineError extends Error {
  override name = 'DecodeEngineError';
}

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
 * A GPT-2 decode step in native memory. Every weight is copied (and packed) by its setter; the
 * Float32Arrays may be reused afterwards. Errors (a wrong length, an unset weight) are thrown as
 * RangeError naming the method and argument.
 */
export interface DecodeEngine {
  /** index 2l: h.l.ln_1; 2l+1: h.l.ln_2; 2·nLayer: ln_f. gamma, beta [nEmbd]. */
  setLayerNorm(index: number, gamma: Float32Array, beta: Float32Array): void;
  /** One projection of block `layer`: HF Conv1D weight [in, out] row-major and bias [out]. */
  setLinear(layer: number, projection: DecodeProjection, weight: Float32Array, bias: Float32Array): void;
  /**
   * One frozen NF4 projection kept as codes (≈ 0.56 byte per weight instead of 4): each step decodes
   * w = table[code] · absmax (the dequantization's one float32 multiply) next to the product, so the
   * logits equal those of setLinear with the dequantized weight bit for bit. Throws when blockSize
   * does not divide `in` (use setLinear with the dequantized weight then).
   */
  setLinearNf4(layer: number, projection: DecodeProjection, weight: DecodeNf4Weight, bias: Float32Array): void;
  /** wpe [nPositions, nEmbd]. */
  setPositionEmbedding(wpe: Float32Array): void;
  /** wte [vocab, nEmbd] (also the head when tied). */
  setTokenEmbedding(wte: Float32Array): void;
  /** An untied head [vocab, nEmbd]: logits = h · weightᵀ. */
  setHead(weight: Float32Array): void;
  /**
   * An empty KV cache for `batch` rows and `capacity` positions (a large enough earlier allocation
   * is reused, not zeroed: every position is written before it is read); (0, 0) frees it.
   */
  reset(batch: number, capacity: number): void;
  /**
   * Copies the first `length` positions of layer `layer`'s prefill keys/values [batch, heads,
   * srcCapacity, headDim] (the layout of @grpojs/model's KVCache) and sets each row's first valid
   * position `starts[b]` (left padding) and the cache length.
   */
  loadCache(layer: number, keys: Float32Array, values: Float32Array, srcCapacity: number, length: number, starts: Int32Array): void;
  /**
   * One token per row at cache position `length` (then length + 1): `tokens`, `positions` [batch]
   * (positions index wpe), logits [batch · vocab] written into `logits`.
   */
  step(tokens: Int32Array, positions: Int32Array, logits: Float32Array): void;
  /**
   * Draws one token per row of logits [B · vocab], rows in parallel on the engine's threads, with
   * the arithmetic of @grpojs/model's sampleToken (and the addon's sampleRow): softmax(logits /
   * temperature) over the scaled logits ≥ thresholds[b] (−Infinity: all), with the uniform draw
   * us[b] ∈ [0, 1); a row with us[b] < 0 is skipped (tokens[b] = −1).
   */
  sampleRows(logits: Float32Array, temperature: number, thresholds: Float32Array, us: Float64Array, tokens: Int32Array): void;
  info(): DecodeEngineInfo;
  /** Frees the native memory and threads; the engine cannot step afterwards. */
  dispose(): void;
}

/** The addon's class (native/decode.cc): projections and activation as numbers. */
interface NativeEngine extends Omit<DecodeEngine, 'setLinear' | 'setLinearNf4'> {
  setLinear(layer: number, projection: number, weight: Float32Array, bias: Float32Array): void;
  setLinearNf4(layer: number, projection: number, codeWords: Int32Array, absmax: Float32Array, blockSize: number, table: Float32Array, bias: Float32Array): void;
}
type NativeEngineClass = new (spec: Record<string, unknown>) => NativeEngine;

export type DecodeEngineLoad = { engine: DecodeEngine; reason?: undefined } | { engine: null; reason: string };

function check(spec: DecodeEngineSpec): void {
  const ints = ['nLayer', 'nHead', 'nEmbd', 'nInner', 'vocabSize', 'nPositions'] as const;
  for (const key of ints) {
    if (!(Number.isInteger(spec[key]) && spec[key] > 0)) {
      throw new DecodeEngineError(`createDecodeEngine: spec.${key} is ${spec[key]}; use a positive integer`);
    }
  }
  if (spec.nEmbd % spec.nHead !== 0) throw new DecodeEngineError(`createDecodeEngine: spec.nEmbd ${spec.nEmbd} is not divisible by spec.nHead ${spec.nHead}`);
  if (spec.attnScales.length !== spec.nLayer) {
    throw new DecodeEngineError(`createDecodeEngine: spec.attnScales has ${spec.attnScales.length} values; expected nLayer = ${spec.nLayer}`);
  }
  if (spec.threads !== undefined && !(Number.isInteger(spec.threads) && spec.threads > 0)) {
    throw new DecodeEngineError(`createDecodeEngine: spec.threads is ${spec.threads}; use a positive integer`);
  }
}

/**
 * A native decode engine for `spec`, or `engine: null` and the reason when the addon is missing,
 * older than this package (no DecodeEngine), or the activation is not one the engine implements.
 * Throws DecodeEngineError for an invalid spec.
 */
export function createDecodeEngine(spec: DecodeEngineSpec): DecodeEngineLoad {
  check(spec);
  if (!(spec.activation in DECODE_ACTIVATIONS)) {
    return { engine: null, reason: `activation '${spec.activation}' is not implemented by the decode engine (${Object.keys(DECODE_ACTIVATIONS).join(', ')})` };
  }
  const load = loadAddon();
  if (!load.ok) return { engine: null, reason: load.reason };
  const Engine = (load.addon as unknown as { DecodeEngine?: NativeEngineClass }).DecodeEngine;
  if (typeof Engine !== 'function') {
    return { engine: null, reason: `the built addon predates the decode engine; rebuild it: ${REBUILD_HINT}` };
  }
  const native = new Engine({
    ...spec,
    activation: DECODE_ACTIVATIONS[spec.activation],
    attnScales: Float32Array.from(spec.attnScales),
    threads: spec.threads ?? availableParallelism(),
  });
  const projectionIndex = (method: string, projection: DecodeProjection): number => {
    const index = DECODE_PROJECTIONS.indexOf(projection);
    if (index < 0) throw new DecodeEngineError(`DecodeEngine.${method}: projection '${projection}'; use one of ${DECODE_PROJECTIONS.join(', ')}`);
    return index;
  };
  const engine: DecodeEngine = {
    setLayerNorm: (i, g, b) => native.setLayerNorm(i, g, b),
    setLinear: (layer, projection, w, b) => native.setLinear(layer, projectionIndex('setLinear', projection), w, b),
    setLinearNf4: (layer, projection, q, b) => {
      if (!Number.isInteger(q.blockSize) || q.blockSize <= 0) {
        throw new DecodeEngineError(`DecodeEngine.setLinearNf4: weight.blockSize is ${q.blockSize}; use a positive integer that divides the projection's input size`);
      }
      native.setLinearNf4(layer, projectionIndex('setLinearNf4', projection), q.codeWords, q.absmax, q.blockSize, q.table, b);
    },
    setPositionEmbedding: (w) => native.setPositionEmbedding(w),
    setTokenEmbedding: (w) => native.setTokenEmbedding(w),
    setHead: (w) => native.setHead(w),
    reset: (batch, capacity) => native.reset(batch, capacity),
    loadCache: (layer, k, v, srcCapacity, length, starts) => native.loadCache(layer, k, v, srcCapacity, length, starts),
    step: (tokens, positions, logits) => native.step(tokens, positions, logits),
    sampleRows: (logits, temperature, thresholds, us, tokens) => native.sampleRows(logits, temperature, thresholds, us, tokens),
    info: () => native.info(),
    dispose: () => native.dispose(),
  };
  return { engine };
}
