// The addon's native Llama-family decode engine (native/napi/llama-decode.cc: Llama, Qwen2, Qwen3),
// typed: weights copied once into native memory, a KV cache holding only the key/value heads, and
// one decode step for all rows per call. Every native method takes one named options object.
// @grpojs/model's generate uses it for every token after the prefill (model/src/inference/native-llama-decode.ts).
import { availableParallelism } from 'node:os';

import type { LlamaDecodeEngine, LlamaDecodeEngineLoad, LlamaDecodeEngineSpec, LlamaDecodeRopeScaling } from './contract/llama-decode-engine.js';
import { loadAddon, REBUILD_HINT } from './native.js';

/** A bad spec for {@link createLlamaDecodeEngine}. */
export class LlamaDecodeEngineError extends Error {
  override name = 'LlamaDecodeEngineError';
}

type NativeClass = new (spec: Record<string, unknown>) => LlamaDecodeEngine;

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

/** The engine's math kernels one at a time (native/napi/llama-kernels.cc), for tests against references; RMSNorm is
 * the training kernel's (llama-train-kernels.ts), which the engine's rows share (native/kernels/rms-norm.h). */
export interface LlamaKernels {
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
