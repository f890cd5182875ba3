// The addon's native GPT-2 decode engine (native/decode.cc), typed: weights packed once in native
// memory, a KV cache, and one decode step for all rows (embedding → blocks → ln_f → LM head) per
// call. @grpojs/model's generate uses it for every token after the prefill (docs/accel.md).
import { availableParallelism } from 'node:os';

import {
  DECODE_ACTIVATIONS,
  DECODE_PROJECTIONS,
  type DecodeEngine,
  type DecodeEngineLoad,
  type DecodeEngineSpec,
  type DecodeProjection,
} from './contract/decode-engine.js';
import { loadAddon, REBUILD_HINT } from './native.js';

/** A bad argument to {@link createDecodeEngine} or {@link DecodeEngine.setLinear}. */
export class DecodeEngineError extends Error {
  override name = 'DecodeEngineError';
}

/**
 * The addon's class (native/decode.cc): every method takes one named options object; projections
 * (DECODE_PROJECTIONS index) and the activation as numbers.
 */
interface NativeEngine extends Pick<DecodeEngine, 'info' | 'dispose'> {
  setLayerNorm(options: { index: number; gamma: Float32Array; beta: Float32Array }): void;
  setLinear(options: { layer: number; projection: number; weight: Float32Array; bias: Float32Array }): void;
  setLinearNf4(options: { layer: number; projection: number; codeWords: Int32Array; absmax: Float32Array; blockSize: number; table: Float32Array; bias: Float32Array }): void;
  setPositionEmbedding(options: { weight: Float32Array }): void;
  setTokenEmbedding(options: { weight: Float32Array }): void;
  setHead(options: { weight: Float32Array }): void;
  reset(options: { batch: number; capacity: number }): void;
  loadCache(options: { layer: number; keys: Float32Array; values: Float32Array; srcCapacity: number; length: number; starts: Int32Array }): void;
  step(options: { tokens: Int32Array; positions: Int32Array; logits: Float32Array }): void;
  sampleRows(options: { logits: Float32Array; temperature: number; thresholds: Float32Array; us: Float64Array; tokens: Int32Array }): void;
}
type NativeEngineClass = new (spec: Record<string, unknown>) => NativeEngine;

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
    setLayerNorm: (index, gamma, beta) => native.setLayerNorm({ index, gamma, beta }),
    setLinear: (layer, projection, weight, bias) => native.setLinear({ layer, projection: projectionIndex('setLinear', projection), weight, bias }),
    setLinearNf4: (layer, projection, q, b) => {
      if (!Number.isInteger(q.blockSize) || q.blockSize <= 0) {
        throw new DecodeEngineError(`DecodeEngine.setLinearNf4: weight.blockSize is ${q.blockSize}; use a positive integer that divides the projection's input size`);
      }
      const { codeWords, absmax, blockSize, table } = q;
      native.setLinearNf4({ layer, projection: projectionIndex('setLinearNf4', projection), codeWords, absmax, blockSize, table, bias: b });
    },
    setPositionEmbedding: (weight) => native.setPositionEmbedding({ weight }),
    setTokenEmbedding: (weight) => native.setTokenEmbedding({ weight }),
    setHead: (weight) => native.setHead({ weight }),
    reset: (batch, capacity) => native.reset({ batch, capacity }),
    loadCache: (layer, keys, values, srcCapacity, length, starts) => native.loadCache({ layer, keys, values, srcCapacity, length, starts }),
    step: (tokens, positions, logits) => native.step({ tokens, positions, logits }),
    sampleRows: (logits, temperature, thresholds, us, tokens) => native.sampleRows({ logits, temperature, thresholds, us, tokens }),
    info: () => native.info(),
    dispose: () => native.dispose(),
  };
  return { engine };
}
