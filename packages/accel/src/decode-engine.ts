// The addon's native GPT-2 decode engine (native/napi/decode.cc), typed: weights packed once in native
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
 * The addon's class (native/napi/decode.cc): the contract's methods, except that projections go in as
 * their DECODE_PROJECTIONS index and the spec's activation as its DECODE_ACTIVATIONS number.
 */
type WithProjectionIndex<T> = Omit<T, 'projection'> & { projection: number };
interface NativeEngine extends Omit<DecodeEngine, 'setLinear' | 'setLinearNf4'> {
  setLinear(options: WithProjectionIndex<Parameters<DecodeEngine['setLinear']>[0]>): void;
  setLinearNf4(options: WithProjectionIndex<Parameters<DecodeEngine['setLinearNf4']>[0]>): void;
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
    if (index < 0) throw new DecodeEngineError(`DecodeEngine.${method}: options.projection '${projection}'; use one of ${DECODE_PROJECTIONS.join(', ')}`);
    return index;
  };
  const engine: DecodeEngine = {
    setLayerNorm: (options) => native.setLayerNorm(options),
    setLinear: ({ projection, ...rest }) => native.setLinear({ ...rest, projection: projectionIndex('setLinear', projection) }),
    setLinearNf4: ({ projection, ...rest }) => {
      if (!Number.isInteger(rest.blockSize) || rest.blockSize <= 0) {
        throw new DecodeEngineError(`DecodeEngine.setLinearNf4: options.blockSize is ${rest.blockSize}; use a positive integer that divides the projection's input size`);
      }
      native.setLinearNf4({ ...rest, projection: projectionIndex('setLinearNf4', projection) });
    },
    setPositionEmbedding: (options) => native.setPositionEmbedding(options),
    setTokenEmbedding: (options) => native.setTokenEmbedding(options),
    setHead: (options) => native.setHead(options),
    reset: (options) => native.reset(options),
    loadCache: (options) => native.loadCache(options),
    step: (options) => native.step(options),
    sampleRows: (options) => native.sampleRows(options),
    info: () => native.info(),
    dispose: () => native.dispose(),
  };
  return { engine };
}
