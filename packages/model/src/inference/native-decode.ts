/**
 * Native decoding for `generate`: the prompt still runs through the tfjs forward (the prefill is a
 * compute-bound matmul the BLAS does well), then its KV cache is copied into @grpojs/accel's
 * DecodeEngine and every later token runs there (native/decode.cc). A decode step is bound by
 * streaming the weights (distilgpt2: 324 MB per token), which the engine does near the memory
 * bandwidth while the tfjs step spent most of its time in ~315 kernel dispatches and M = 8 sgemms
 * (docs/accel.md, "Native decode engine").
 *
 * Weights are copied into native memory: the frozen ones once per model, the layers with trainable
 * variables (LoRA, full fine-tuning) again at every generate call, since the optimizer changes them
 * between rollouts. Frozen NF4 projections go in as their 4-bit codes and block scales (the engine
 * decodes them inside the product, to the same weight bit for bit, streaming ~0.56 byte per weight
 * instead of 4); the runtime option nativeDecodeNf4Codes: false packs their dequantized fp32 weight
 * instead. @grpojs/accel is optional and comes through the runtime's one loader; without it (or
 * when the engine declines) generate keeps the tfjs path.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DecodeActivation, DecodeEngine, DecodeProjection } from '@grpojs/accel/contract';
import { loadAccel } from '../runtime/load-accel.js';
import { runtimeOptions } from '../runtime/runtime.js';
import { layerTrainableVariables } from '../ops/checkpointing.js';
import { gpt2InnerSize, type GPT2Activation } from '../architectures/gpt2/config.js';
import { GPT2Model } from '../architectures/gpt2/model.js';
import { LlamaModel } from '../architectures/llama/model.js';
import type { CausalTransformer } from '../transformer.js';
import { hostMemory, type KVCache } from './kv-cache.js';
import type { Conv1DLayer } from '../ops/linear.js';
import { LoraConv1D, type ReadableConv1D } from '../adapters/lora.js';
import type { NF4State } from '../quant/quantized-conv1d.js';
import type { Mulberry32, SamplingOptions } from './sampling.js';
import { NativeLlamaDecoder } from './native-llama-decode.js';

/** The block projections, by module-path suffix (each one of the contract's DecodeProjection). */
const PROJECTIONS = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const satisfies readonly DecodeProjection[];

/** The config activations the engine implements, by the engine's name. */
const ENGINE_ACTIVATIONS: Partial<Record<GPT2Activation, DecodeActivation>> = {
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu_fast: 'gelu_new',
  gelu: 'gelu',
  relu: 'relu',
};

/**
 * Why generate cannot use the native engine for `model` now (a phrase for the log line), or null:
 * the runtime option nativeDecode off, a model family without an engine, a backend other than
 * wasm/cpu, or an activation the GPT-2 engine lacks.
 */
export function nativeDecodeBlocked(model: CausalTransformer): string | null {
  if (!runtimeOptions().nativeDecode) return 'runtime option nativeDecode: false';
  if (!(model instanceof GPT2Model) && !(model instanceof LlamaModel)) return `the native engines implement GPT-2 and the Llama family, not ${model.architecture}`;
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return `backend '${backend}' keeps its own kernels`;
  if (model instanceof LlamaModel) return null;
  const act = model.config.activationFunction;
  if (ENGINE_ACTIVATIONS[act] === undefined) return `activation '${act}' is not implemented by the engine`;
  return null;
}

/**
 * The inputs of an engine's batched sampler (sampleRows) for the rows not `done`: one `rng` draw per
 * live row in row order (−1 for done rows), no top-k/top-p threshold, and the output array; null,
 * with nothing drawn, when the options need sampleToken itself (greedy, top-k, top-p).
 */
export function nativeSampleRows(
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
export function hostValues(t: tf.Tensor): Float32Array {
  return hostMemory(t) ?? (t.dataSync() as Float32Array);
}

/** The tensors of the weight [in, out] and bias a Conv1D applies now (caller disposes); null when it cannot say. */
export function effectiveConv1D(layer: Conv1DLayer): [tf.Tensor, tf.Tensor] | null {
  const readable = layer as Partial<ReadableConv1D>;
  if (layer instanceof LoraConv1D) return [layer.effectiveWeight(), layer.effectiveBias()];
  if (typeof readable.readWeight === 'function' && typeof readable.readBias === 'function') return [readable.readWeight(), readable.readBias()];
  return null;
}

/** Whether frozen NF4 projections go to the engine as codes (the runtime option nativeDecodeNf4Codes). */
export function nf4CodesWanted(): boolean {
  return runtimeOptions().nativeDecodeNf4Codes;
}

/**
 * The NF4 codes and scales of a frozen quantized Conv1D when the engine can keep them as codes
 * (blocks along `in`, i.e. codes in [in, out] order), else null.
 */
export function nf4StateOf(conv: Conv1DLayer): NF4State | null {
  const read = (conv as { readNf4State?: () => NF4State | null }).readNf4State;
  if (typeof read !== 'function') return null;
  const state = read.call(conv);
  return state !== null && state.inOutOrder && conv.inFeatures % state.blockSize === 0 ? state : null;
}

/** Thrown when a model's weights cannot be copied into the engine. */
export class NativeDecodeError extends Error {
  override name = 'NativeDecodeError';
}

/** A GPT2Model's weights in a native DecodeEngine, with the per-generate cache handling. */
export class NativeDecoder {
  /** e.g. "avx2, 2 threads". */
  readonly description: string;
  private readonly model: GPT2Model;
  private readonly engine: DecodeEngine;
  /** Projections whose weights may change between calls (LoRA, or holding trainable variables). */
  private readonly mutable: { layer: number; projection: (typeof PROJECTIONS)[number]; conv: Conv1DLayer }[] = [];
  /** The other projections, packed once (again when the runtime option nativeDecodeNf4Codes changes). */
  private readonly frozen: { layer: number; projection: (typeof PROJECTIONS)[number]; conv: Conv1DLayer }[] = [];
  private frozenPacked = false;
  /** Whether the frozen NF4 projections were given as codes (null: not packed yet). */
  private nf4Codes: boolean | null = null;
  private logits = new Float32Array(0);
  private held = false;

  /** True from {@link prepare} to {@link end}: one generate call at a time owns the engine. */
  get busy(): boolean {
    return this.held;
  }

  private constructor(model: GPT2Model, engine: DecodeEngine) {
    this.model = model;
    this.engine = engine;
    const info = engine.info();
    this.description = `${info.simd}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  }

  /**
   * An engine for `model`, or null and the reason (no @grpojs/accel, an addon without the
   * engine, a layer that cannot expose its weight). Check {@link nativeDecodeBlocked} first.
   */
  static async create(model: GPT2Model, options: { threads?: number } = {}): Promise<{ decoder: NativeDecoder | null; reason: string }> {
    const accel = await loadAccel();
    if (!accel.ok) return { decoder: null, reason: accel.reason };
    const c = model.config;
    for (const [path, conv] of model.conv1DLayers()) {
      const base = conv instanceof LoraConv1D ? conv.base : conv;
      if (typeof (base as Partial<ReadableConv1D>).readWeight !== 'function') return { decoder: null, reason: `the Conv1D at ${path} cannot expose its weight` };
    }
    const D = c.nEmbd / c.nHead;
    const attnScales = model.blocks.map((_, l) => (c.scaleAttnWeights ? 1 / Math.sqrt(D) : 1) / (c.scaleAttnByInverseLayerIdx ? l + 1 : 1));
    const load = accel.api.createDecodeEngine({
      nLayer: c.nLayer,
      nHead: c.nHead,
      nEmbd: c.nEmbd,
      nInner: gpt2InnerSize(c),
      vocabSize: c.vocabSize,
      nPositions: c.nPositions,
      eps: c.layerNormEpsilon,
      activation: ENGINE_ACTIVATIONS[c.activationFunction] ?? (c.activationFunction as DecodeActivation),
      attnScales,
      tiedHead: c.tieWordEmbeddings,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
    });
    if (load.engine === null) return { decoder: null, reason: load.reason ?? 'the decode engine is unavailable' };
    return { decoder: new NativeDecoder(model, load.engine), reason: '' };
  }

  /**
   * Copies the weights into the engine: everything on the first call, afterwards only the LoRA
   * projections (as currently switched) and those holding trainable variables.
   */
  prepare(): void {
    this.held = true;
    if (!this.frozenPacked) {
      this.packFrozen();
      this.frozenPacked = true;
    }
    const codes = nf4CodesWanted();
    if (codes !== this.nf4Codes) {
      for (const { layer, projection, conv } of this.frozen) this.setProjection(layer, projection, conv, codes);
      this.nf4Codes = codes;
    }
    for (const { layer, projection, conv } of this.mutable) this.setProjection(layer, projection, conv, false);
  }

  /** Native bytes the engine holds and how many projections it keeps as NF4 codes. */
  memory(): { bytes: number; nf4Projections: number } {
    const info = this.engine.info();
    return { bytes: info.bytes, nf4Projections: info.nf4Projections ?? 0 };
  }

  /**
   * Loads the prefill in `cache` (written length = the padded prompt length) for rows whose first
   * real token is at `starts[b]`, with room for `capacity` positions in all.
   */
  begin(cache: KVCache, starts: number[], capacity: number): void {
    const B = starts.length;
    this.engine.reset({ batch: B, capacity });
    const rowStarts = Int32Array.from(starts);
    for (let l = 0; l < this.model.config.nLayer; l++) {
      const { keys, values } = cache.buffers(l); // [B, H, cache.capacity, D]
      this.engine.loadCache({ layer: l, keys: hostValues(keys), values: hostValues(values), srcCapacity: cache.capacity, length: cache.length, starts: rowStarts });
    }
    if (this.logits.length !== B * this.model.config.vocabSize) this.logits = new Float32Array(B * this.model.config.vocabSize);
  }

  /**
   * One token per row at the next cache position; `positions` index wpe. Returns logits
   * [batch · vocab], a buffer the next step overwrites.
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
    const rows = nativeSampleRows(sampling, this.model.config.vocabSize, done, rng);
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

  private packFrozen(): void {
    const c = this.model.config;
    const host = this.model.hostTensors(); // embeddings, LayerNorms, an untied head
    const get = (name: string): Float32Array => {
      const t = host.get(name);
      if (t === undefined) throw new NativeDecodeError(`NativeDecoder: the model's host tensors lack ${name}.`);
      return t.data;
    };
    this.engine.setTokenEmbedding({ weight: get('wte.weight') });
    if (!c.tieWordEmbeddings) this.engine.setHead({ weight: get('lm_head.weight') });
    this.engine.setPositionEmbedding({ weight: get('wpe.weight') });
    for (let l = 0; l < c.nLayer; l++) {
      this.engine.setLayerNorm({ index: 2 * l, gamma: get(`h.${l}.ln_1.weight`), beta: get(`h.${l}.ln_1.bias`) });
      this.engine.setLayerNorm({ index: 2 * l + 1, gamma: get(`h.${l}.ln_2.weight`), beta: get(`h.${l}.ln_2.bias`) });
    }
    this.engine.setLayerNorm({ index: 2 * c.nLayer, gamma: get('ln_f.weight'), beta: get('ln_f.bias') });
    const convs = this.model.conv1DLayers();
    for (let l = 0; l < c.nLayer; l++) {
      for (const projection of PROJECTIONS) {
        const conv = convs.get(`h.${l}.${projection}`) as Conv1DLayer;
        const list = conv instanceof LoraConv1D || layerTrainableVariables(conv).length > 0 ? this.mutable : this.frozen;
        list.push({ layer: l, projection, conv });
      }
    }
  }

  /** Copies one projection into the engine: as NF4 codes when `codes` and the layer qualifies, else its fp32 weight. */
  private setProjection(layer: number, projection: (typeof PROJECTIONS)[number], conv: Conv1DLayer, codes: boolean): void {
    const nf4 = codes ? nf4StateOf(conv) : null;
    if (nf4 !== null) {
      const bias = (conv as ReadableConv1D).readBias();
      try {
        this.engine.setLinearNf4({ layer, projection, ...nf4, bias: bias.dataSync() as Float32Array });
      } finally {
        bias.dispose();
      }
      return;
    }
    const wb = effectiveConv1D(conv);
    if (wb === null) throw new NativeDecodeError(`NativeDecoder: the Conv1D at h.${layer}.${projection} cannot expose its weight.`);
    try {
      this.engine.setLinear({ layer, projection, weight: hostValues(wb[0]), bias: wb[1].dataSync() as Float32Array }); // copied before the dispose
    } finally {
      tf.dispose(wb);
    }
  }
}

/** What generate drives: the GPT-2 engine or the Llama-family one (native-llama-decode.ts). */
export type NativeDecodeSession = NativeDecoder | NativeLlamaDecoder;

/** The last decode-path line reported (one line per process and change, as the matmul line). */
let lastDecodeLine: string | null = null;

/**
 * A model's native decoder, created on first use, and the choice between it and the tfjs path
 * (CausalLM holds one; its `dispose` frees the engine).
 */
export class NativeDecodeSlot {
  private readonly model: CausalTransformer;
  private readonly options: { enabled: boolean; threads?: number; log?: (line: string) => void };
  /** undefined: not created yet; null: unavailable (the reason is in `reason`). */
  private decoder: NativeDecodeSession | null | undefined;
  private reason = '';

  constructor(model: CausalTransformer, options: { enabled: boolean; threads?: number; log?: (line: string) => void }) {
    this.model = model;
    this.options = options;
  }

  /** The decoder to use now (null: tfjs) and the line describing the path, logged once per change. */
  async choose(): Promise<{ decoder: NativeDecodeSession | null; line: string }> {
    const blocked = this.options.enabled ? nativeDecodeBlocked(this.model) : 'nativeDecode: false';
    if (blocked === null && this.decoder === undefined) {
      const options = { threads: this.options.threads };
      const made = this.model instanceof LlamaModel ? await NativeLlamaDecoder.create(this.model, options) : await NativeDecoder.create(this.model as GPT2Model, options);
      this.decoder = made.decoder;
      this.reason = made.reason;
    }
    const decoder = blocked === null ? (this.decoder ?? null) : null;
    const line = decoder
      ? `generate: native decode engine (@grpojs/accel, ${decoder.description}; the runtime option nativeDecode: false turns it off)`
      : `generate: tfjs decode steps (${blocked ?? this.reason})`;
    if (line !== lastDecodeLine) this.options.log?.(line);
    lastDecodeLine = line;
    return { decoder, line };
  }

  /**
   * {@link choose}'s decoder with this call's weights copied in ({@link NativeDecoder.prepare});
   * null (tfjs) while another generate call holds it. The caller must call `end()` when done.
   */
  async prepared(): Promise<NativeDecodeSession | null> {
    const { decoder } = await this.choose();
    if (decoder === null || decoder.busy) return null;
    decoder.prepare();
    return decoder;
  }

  /** Frees the engine; later calls take the tfjs path. */
  dispose(): void {
    this.decoder?.dispose();
    this.decoder = null;
    this.reason = 'the model was disposed';
  }
}
