/**
 * What the GPT-2 and Llama-family native decoders (native-decode.ts, native-llama-decode.ts) share:
 * the weight hand-off (frozen projections once per model, as NF4 codes while the runtime option
 * nativeDecodeNf4Codes asks for them; LoRA projections, merged as currently switched, and those
 * holding trainable variables again at every generate call, since the optimizer changes them
 * between rollouts), the prefill's KV cache copied into the engine, the decode step, the batched
 * sampler and the engine's lifetime. An architecture supplies only its engine, its embeddings and
 * norms, and how one projection goes in.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AccelApi, DecodeEngine } from '@grpojs/accel/contract';
import { loadAccel } from '../runtime/load-accel.js';
import { runtimeOptions } from '../runtime/runtime.js';
import { layerTrainableVariables } from '../ops/checkpointing.js';
import type { CausalTransformer } from '../transformer.js';
import { hostMemory, type KVCache } from './kv-cache.js';
import type { NativeDecodeSession } from './native-decode-session.js';
import type { Conv1DLayer } from '../ops/linear.js';
import { LoraConv1D, type ReadableConv1D } from '../adapters/lora.js';
import type { NF4State } from '../quant/quantized-conv1d.js';
import type { Mulberry32, SamplingOptions } from './sampling.js';

/** Thrown when a model's weights cannot be copied into the engine. */
export class NativeDecodeError extends Error {
  override name = 'NativeDecodeError';
}

/** The engine methods every architecture's decoder drives the same way (both engine contracts have them). */
export type DecodeSessionEngine = Pick<DecodeEngine, 'reset' | 'loadCache' | 'step' | 'sampleRows' | 'info' | 'dispose'>;

/** One block projection in the engine: its layer and the model's linear layer. */
export interface EngineProjection {
  layer: number;
  linear: Conv1DLayer;
}

/** What a decoder's `create` returns: the decoder, or null and why. */
export type DecoderLoad<D> = { decoder: D; reason: '' } | { decoder: null; reason: string };

/**
 * @grpojs/accel's handle when a native decoder can be built for `model`, else the reason: the
 * addon is not installed, or a linear layer cannot expose its weight.
 */
export async function decoderAccel(model: CausalTransformer): Promise<{ api: AccelApi; reason: '' } | { api: null; reason: string }> {
  const accel = await loadAccel();
  if (!accel.ok) return { api: null, reason: accel.reason };
  for (const [path, linear] of model.linearLayers()) {
    const base = linear instanceof LoraConv1D ? linear.base : linear;
    if (typeof (base as Partial<ReadableConv1D>).readWeight !== 'function') return { api: null, reason: `the linear layer at ${path} cannot expose its weight` };
  }
  return { api: accel.api, reason: '' };
}

/** A reader of `model`'s host tensors by name that throws NativeDecodeError, naming `who`, for a missing one. */
export function hostWeights(model: CausalTransformer, who: string): (name: string) => Float32Array {
  const host = model.hostTensors();
  return (name) => {
    const t = host.get(name);
    if (t === undefined) throw new NativeDecodeError(`${who}: the model's host tensors lack ${name}.`);
    return t.data;
  };
}

/**
 * The inputs of an engine's batched sampler (sampleRows) for the rows not `done`: one `rng` draw per
 * live row in row order (−1 for done rows), no top-k/top-p threshold, and the output array; null,
 * with nothing drawn, when the options need sampleToken itself (greedy, top-k, top-p).
 */
function nativeSampleRows(
  sampling: SamplingOptions,
  vocabSize: number,
  done: boolean[],
  rng: Mulberry32,
): { us: Float64Array; thresholds: Float32Array; tokens: Int32Array } | null {
  if (!sampling.doSample || (sampling.topK > 0 && sampling.topK < vocabSize) || sampling.topP < 1) return null;
  return {
    us: Float64Array.from(done, (d) => (d ? -1 : rng.next())),
    thresholds: new Float32Array(done.length).fill(-Infinity),
    tokens: new Int32Array(done.length),
  };
}

/** The values of `t` for the engine to copy right away: a view of its memory when possible, else a copy. */
function hostValues(t: tf.Tensor): Float32Array {
  return hostMemory(t) ?? (t.dataSync() as Float32Array);
}

/** The tensors of the weight [in, out] and bias a Conv1D applies now (caller disposes); null when it cannot say. */
function effectiveConv1D(layer: Conv1DLayer): [tf.Tensor, tf.Tensor] | null {
  const readable = layer as Partial<ReadableConv1D>;
  if (layer instanceof LoraConv1D) return [layer.effectiveWeight(), layer.effectiveBias()];
  if (typeof readable.readWeight === 'function' && typeof readable.readBias === 'function') return [readable.readWeight(), readable.readBias()];
  return null;
}

/**
 * The NF4 codes and scales of a frozen quantized Conv1D when the engine can keep them as codes
 * (blocks along `in`, i.e. codes in [in, out] order), else null.
 */
function nf4StateOf(conv: Conv1DLayer): NF4State | null {
  const read = (conv as { readNf4State?: () => NF4State | null }).readNf4State;
  if (typeof read !== 'function') return null;
  const state = read.call(conv);
  return state !== null && state.inOutOrder && conv.inFeatures % state.blockSize === 0 ? state : null;
}

/**
 * A model's weights in a native decode engine, with the per-generate cache handling. One generate
 * call at a time owns it, from {@link prepare} to {@link end}.
 */
export abstract class NativeDecoderBase<E extends DecodeSessionEngine, P extends EngineProjection> implements NativeDecodeSession {
  /** e.g. "avx2, 2 threads". */
  readonly description: string;
  protected readonly engine: E;
  private readonly shape: { numLayers: number; vocabSize: number };
  /** Projections whose weights may change between calls (LoRA, or holding trainable variables). */
  private readonly mutable: P[] = [];
  /** The other projections, set once (again when the runtime option nativeDecodeNf4Codes changes). */
  private readonly frozen: P[] = [];
  private frozenPacked = false;
  /** Whether the frozen NF4 projections were given as codes (null: not set yet). */
  private nf4Codes: boolean | null = null;
  private logits = new Float32Array(0);
  private held = false;

  /** Names this decoder in errors (a class name would not survive minification). */
  protected readonly who: string;

  /** `label` prefixes the description (e.g. "Llama engine, "); `who` names the decoder in errors. */
  protected constructor(engine: E, shape: { numLayers: number; vocabSize: number; label?: string; who: string }) {
    this.engine = engine;
    this.shape = { numLayers: shape.numLayers, vocabSize: shape.vocabSize };
    const info = engine.info();
    this.who = shape.who;
    this.description = `${shape.label ?? ''}${info.simd}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  }

  /** True from {@link prepare} to {@link end}. */
  get busy(): boolean {
    return this.held;
  }

  /**
   * Copies the weights into the engine: everything on the first call, afterwards only the LoRA
   * projections (as currently switched) and those holding trainable variables.
   */
  prepare(): void {
    this.held = true;
    try {
      if (!this.frozenPacked) {
        for (const p of this.setFixedWeights()) {
          const list = p.linear instanceof LoraConv1D || layerTrainableVariables(p.linear).length > 0 ? this.mutable : this.frozen;
          list.push(p);
        }
        this.frozenPacked = true;
      }
      const codes = runtimeOptions().nativeDecodeNf4Codes;
      if (codes !== this.nf4Codes) {
        for (const p of this.frozen) this.setProjection(p, codes);
        this.nf4Codes = codes;
      }
      for (const p of this.mutable) this.setProjection(p, false);
    } catch (error) {
      // The caller never reaches end() after a throw here: a decoder left held would send every
      // later generate to tfjs while decodePath() still named this engine.
      this.held = false;
      throw error;
    }
  }

  /** Native bytes the engine holds and how many projections it keeps as NF4 codes. */
  memory(): { bytes: number; nf4Projections: number } {
    const info = this.engine.info();
    return { bytes: info.bytes, nf4Projections: info.nf4Projections };
  }

  /**
   * Loads the prefill in `cache` (written length = the padded prompt length) for rows whose first
   * real token is at `starts[b]`, with room for `capacity` positions in all.
   */
  begin(cache: KVCache, starts: number[], capacity: number): void {
    const B = starts.length;
    this.engine.reset({ batch: B, capacity });
    const rowStarts = Int32Array.from(starts);
    for (let layer = 0; layer < this.shape.numLayers; layer++) {
      const { keys, values } = cache.buffers(layer); // [B, heads in the cache, cache.capacity, D]
      this.engine.loadCache({ layer, keys: hostValues(keys), values: hostValues(values), srcCapacity: cache.capacity, length: cache.length, starts: rowStarts });
    }
    if (this.logits.length !== B * this.shape.vocabSize) this.logits = new Float32Array(B * this.shape.vocabSize);
  }

  /**
   * One token per row at the next cache position; `positions` are the rows' own positions (wpe or
   * rotary). Returns logits [batch · vocab], a buffer the next step overwrites.
   */
  step(tokens: number[], positions: number[]): Float32Array {
    this.engine.step({ tokens: Int32Array.from(tokens), positions: Int32Array.from(positions), logits: this.logits });
    return this.logits;
  }

  /**
   * The next token of every row not `done` (done rows: −1), drawn on the engine's threads with
   * sampleToken's arithmetic and one `rng` draw per live row in row order, as sampleToken would
   * draw them; null, with nothing drawn, when the options need sampleToken itself (greedy, top-k,
   * top-p). logits [rows · vocab].
   */
  sample(logits: Float32Array, sampling: SamplingOptions, done: boolean[], rng: Mulberry32): Int32Array | null {
    const rows = nativeSampleRows(sampling, this.shape.vocabSize, done, rng);
    if (rows === null) return null;
    this.engine.sampleRows({ logits, temperature: sampling.temperature, ...rows });
    return rows.tokens;
  }

  /** Releases the engine for the next call (weights and the cache's memory stay; dispose frees them). */
  end(): void {
    this.held = false;
  }

  /** Frees the engine's native memory and threads. */
  dispose(): void {
    this.engine.dispose();
    this.logits = new Float32Array(0);
  }

  /** Copies the embeddings, norms and an untied head into the engine; returns every block projection. */
  protected abstract setFixedWeights(): P[];
  /** The projection's weight [in, out] and bias [out] into the engine (copied there). */
  protected abstract setLinear(p: P, weight: Float32Array, bias: Float32Array): void;
  /** The projection as NF4 codes, or false when the engine does not take these codes (the fp32 weight goes in then). */
  protected abstract setLinearNf4(p: P, nf4: NF4State, bias: Float32Array): boolean;
  /** The projection's module path, for errors. */
  protected abstract pathOf(p: P): string;

  /** One projection into the engine: as NF4 codes when `codes` and the layer qualifies, else its effective fp32 weight. */
  private setProjection(p: P, codes: boolean): void {
    const nf4 = codes ? nf4StateOf(p.linear) : null;
    if (nf4 !== null) {
      const bias = (p.linear as ReadableConv1D).readBias();
      try {
        if (this.setLinearNf4(p, nf4, bias.dataSync() as Float32Array)) return;
      } finally {
        bias.dispose();
      }
    }
    const wb = effectiveConv1D(p.linear);
    if (wb === null) throw new NativeDecodeError(`${this.who}: the linear layer at ${this.pathOf(p)} cannot expose its weight.`);
    try {
      this.setLinear(p, hostValues(wb[0]), wb[1].dataSync() as Float32Array); // copied before the dispose
    } finally {
      tf.dispose(wb);
    }
  }
}
