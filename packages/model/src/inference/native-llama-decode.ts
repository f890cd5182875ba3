/**
 * Native decoding of the Llama family (Llama, Qwen2, Qwen3) for `generate`, as native-decode.ts's
 * NativeDecoder does for GPT-2: the prompt runs through the tfjs forward, its KV cache (rotated
 * keys, KV heads only) is copied into @grpojs/accel's LlamaDecodeEngine and every later token runs
 * there (native/llama-decode.cc). Weights are copied the same way: the frozen ones once per model
 * (frozen NF4 projections as their 4-bit codes, or dequantized fp32 with the runtime option
 * nativeDecodeNf4Codes: false), the
 * LoRA projections (merged: W + scale·A·B as currently switched) and those holding trainable
 * variables again at every generate call.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaDecodeEngine } from '@grpojs/accel/contract';
import { loadAccel } from '../runtime/load-accel.js';
import { layerTrainableVariables } from '../ops/checkpointing.js';
import type { LlamaModel } from '../architectures/llama/model.js';
import { LLAMA_LINEAR_MODULES, type LlamaLinearModule, llamaLayerPrefix } from '../architectures/llama/weights.js';
import type { Conv1DLayer } from '../ops/linear.js';
import { LoraConv1D, type ReadableConv1D } from '../adapters/lora.js';
import type { KVCache } from './kv-cache.js';
import { effectiveConv1D, hostValues, NativeDecodeError, nativeSampleRows, nf4CodesWanted, nf4StateOf } from './native-decode.js';
import type { Mulberry32, SamplingOptions } from './sampling.js';

interface Projection {
  layer: number;
  module: LlamaLinearModule;
  linear: Conv1DLayer;
}

/** A LlamaModel's weights in a native LlamaDecodeEngine, with the per-generate cache handling. */
export class NativeLlamaDecoder {
  /** e.g. "avx2, 2 threads". */
  readonly description: string;
  private readonly model: LlamaModel;
  private readonly engine: LlamaDecodeEngine;
  private readonly mutable: Projection[] = [];
  private readonly frozen: Projection[] = [];
  private frozenPacked = false;
  private nf4Codes: boolean | null = null;
  private logits = new Float32Array(0);
  private held = false;

  get busy(): boolean {
    return this.held;
  }

  private constructor(model: LlamaModel, engine: LlamaDecodeEngine) {
    this.model = model;
    this.engine = engine;
    const info = engine.info();
    this.description = `Llama engine, ${info.simd}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  }

  /** An engine for `model`, or null and the reason (no @grpojs/accel, an addon without the engine, an unreadable layer). */
  static async create(model: LlamaModel, options: { threads?: number } = {}): Promise<{ decoder: NativeLlamaDecoder | null; reason: string }> {
    const accel = await loadAccel();
    if (!accel.ok) return { decoder: null, reason: accel.reason };
    for (const [path, linear] of model.linearLayers()) {
      const base = linear instanceof LoraConv1D ? linear.base : linear;
      if (typeof (base as Partial<ReadableConv1D>).readWeight !== 'function') return { decoder: null, reason: `the linear layer at ${path} cannot expose its weight` };
    }
    const c = model.config;
    const load = accel.api.createLlamaDecodeEngine({
      numLayers: c.numHiddenLayers,
      hiddenSize: c.hiddenSize,
      numHeads: c.numAttentionHeads,
      numKvHeads: c.numKeyValueHeads,
      headDim: c.headDim,
      intermediateSize: c.intermediateSize,
      vocabSize: c.vocabSize,
      maxPositions: c.maxPositionEmbeddings,
      rmsNormEps: c.rmsNormEps,
      ropeTheta: c.ropeTheta,
      ropeScaling: c.ropeScaling,
      qkNorm: c.qkNorm,
      tiedHead: c.tieWordEmbeddings,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
    });
    if (load.engine === null) return { decoder: null, reason: load.reason ?? 'the Llama decode engine is unavailable' };
    return { decoder: new NativeLlamaDecoder(model, load.engine), reason: '' };
  }

  /** Copies the weights in: everything on the first call, afterwards only the LoRA / trainable projections. */
  prepare(): void {
    this.held = true;
    if (!this.frozenPacked) {
      this.packFrozen();
      this.frozenPacked = true;
    }
    const codes = nf4CodesWanted();
    if (codes !== this.nf4Codes) {
      for (const p of this.frozen) this.setProjection(p, codes);
      this.nf4Codes = codes;
    }
    for (const p of this.mutable) this.setProjection(p, false);
  }

  /** Native bytes the engine holds and how many projections it keeps as NF4 codes. */
  memory(): { bytes: number; nf4Projections: number } {
    const info = this.engine.info();
    return { bytes: info.bytes, nf4Projections: info.nf4Projections };
  }

  /** Loads the prefill in `cache` for rows whose first real token is at `starts[b]`, room for `capacity` positions. */
  begin(cache: KVCache, starts: number[], capacity: number): void {
    const B = starts.length;
    this.engine.reset({ batch: B, capacity });
    const rowStarts = Int32Array.from(starts);
    for (let layer = 0; layer < this.model.config.numHiddenLayers; layer++) {
      const { keys, values } = cache.buffers(layer); // [B, KV, cache.capacity, D]
      this.engine.loadCache({ layer, keys: hostValues(keys), values: hostValues(values), srcCapacity: cache.capacity, length: cache.length, starts: rowStarts });
    }
    if (this.logits.length !== B * this.model.config.vocabSize) this.logits = new Float32Array(B * this.model.config.vocabSize);
  }

  /** One token per row at the next cache position (rotary at `positions`). Returns logits [batch · vocab], overwritten by the next step. */
  step(tokens: number[], positions: number[]): Float32Array {
    this.engine.step({ tokens: Int32Array.from(tokens), positions: Int32Array.from(positions), logits: this.logits });
    return this.logits;
  }

  /** As NativeDecoder.sample: the batched native sampler, or null when the options need sampleToken itself. */
  sample(logits: Float32Array, sampling: SamplingOptions, done: boolean[], rng: Mulberry32): Int32Array | null {
    const rows = nativeSampleRows(sampling, this.model.config.vocabSize, done, rng);
    if (rows === null) return null;
    this.engine.sampleRows({ logits, temperature: sampling.temperature, ...rows });
    return rows.tokens;
  }

  end(): void {
    this.held = false;
  }

  dispose(): void {
    this.engine.dispose();
    this.logits = new Float32Array(0);
  }

  private packFrozen(): void {
    const c = this.model.config;
    const host = this.model.hostTensors(); // embedding, norms, an untied head
    const get = (name: string): Float32Array => {
      const t = host.get(name);
      if (t === undefined) throw new NativeDecodeError(`NativeLlamaDecoder: the model's host tensors lack ${name}.`);
      return t.data;
    };
    this.engine.setEmbedding({ weight: get('model.embed_tokens.weight') });
    if (!c.tieWordEmbeddings) this.engine.setHead({ weight: get('lm_head.weight') });
    this.engine.setNorm({ which: 'final', weight: get('model.norm.weight') });
    const linears = this.model.linearLayers();
    for (let layer = 0; layer < c.numHiddenLayers; layer++) {
      const p = llamaLayerPrefix(layer);
      this.engine.setNorm({ layer, which: 'input', weight: get(`${p}.input_layernorm.weight`) });
      this.engine.setNorm({ layer, which: 'post', weight: get(`${p}.post_attention_layernorm.weight`) });
      if (c.qkNorm) {
        this.engine.setNorm({ layer, which: 'q', weight: get(`${p}.self_attn.q_norm.weight`) });
        this.engine.setNorm({ layer, which: 'k', weight: get(`${p}.self_attn.k_norm.weight`) });
      }
      for (const module of LLAMA_LINEAR_MODULES) {
        const linear = linears.get(`${p}.${module}`) as Conv1DLayer;
        const list = linear instanceof LoraConv1D || layerTrainableVariables(linear).length > 0 ? this.mutable : this.frozen;
        list.push({ layer, module, linear });
      }
    }
  }

  /** One projection into the engine: NF4 codes when `codes` and the layer qualifies, else its effective fp32 weight [in, out]. */
  private setProjection({ layer, module, linear }: Projection, codes: boolean): void {
    const nf4 = codes ? nf4StateOf(linear) : null;
    if (nf4 !== null && nf4.blockSize % 2 === 0) {
      const bias = (linear as ReadableConv1D).readBias();
      try {
        this.engine.setLinearNf4({ layer, module, ...nf4, bias: bias.dataSync() as Float32Array });
      } finally {
        bias.dispose();
      }
      return;
    }
    const wb = effectiveConv1D(linear);
    if (wb === null) throw new NativeDecodeError(`NativeLlamaDecoder: the linear layer at ${llamaLayerPrefix(layer)}.${module} cannot expose its weight.`);
    try {
      this.engine.setLinear({ layer, module, weight: hostValues(wb[0]), bias: wb[1].dataSync() as Float32Array }); // copied before the dispose
    } finally {
      tf.dispose(wb);
    }
  }
}
