/**
 * Native decoding of the Llama family (Llama, Qwen2, Qwen3) for `generate`, as native-decode.ts's
 * NativeDecoder does for GPT-2: the prompt runs through the tfjs forward, its KV cache (rotated
 * keys, KV heads only) is copied into @grpojs/accel's LlamaDecodeEngine and every later token runs
 * there (native/napi/llama-decode.cc). The weight hand-off, cache, step, sampler and lifetime are
 * native-decoder-base.ts's; this file holds what is the family's: the engine's spec, the embedding
 * and RMSNorms (q/k norms for Qwen3), and the seven linear modules of a layer.
 */
import type { LlamaDecodeEngine } from '@grpojs/accel/contract';
import type { LlamaModel } from '../architectures/llama/model.js';
import { LLAMA_LINEAR_MODULES, type LlamaLinearModule, llamaLayerPrefix } from '../architectures/llama/weights.js';
import type { Conv1DLayer } from '../ops/linear.js';
import type { NF4State } from '../quant/quantized-conv1d.js';
import { decoderAccel, type DecoderLoad, hostWeights, NativeDecoderBase } from './native-decoder-base.js';

interface LlamaProjection {
  layer: number;
  module: LlamaLinearModule;
  linear: Conv1DLayer;
}

/** A LlamaModel's weights in a native LlamaDecodeEngine. */
export class NativeLlamaDecoder extends NativeDecoderBase<LlamaDecodeEngine, LlamaProjection> {
  private readonly model: LlamaModel;

  private constructor(model: LlamaModel, engine: LlamaDecodeEngine) {
    super(engine, { numLayers: model.config.numHiddenLayers, vocabSize: model.config.vocabSize, label: 'Llama engine, ', who: 'NativeLlamaDecoder' });
    this.model = model;
  }

  /** An engine for `model`, or null and the reason (no @grpojs/accel, an addon without the engine, an unreadable layer). */
  static async create(model: LlamaModel, options: { threads?: number } = {}): Promise<DecoderLoad<NativeLlamaDecoder>> {
    const accel = await decoderAccel(model);
    if (accel.api === null) return { decoder: null, reason: accel.reason };
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
    if (load.engine === null) return { decoder: null, reason: load.reason };
    return { decoder: new NativeLlamaDecoder(model, load.engine), reason: '' };
  }

  protected setFixedWeights(): LlamaProjection[] {
    const c = this.model.config;
    const get = hostWeights(this.model, this.who); // embedding, norms, an untied head
    this.engine.setEmbedding({ weight: get('model.embed_tokens.weight') });
    if (!c.tieWordEmbeddings) this.engine.setHead({ weight: get('lm_head.weight') });
    this.engine.setNorm({ which: 'final', weight: get('model.norm.weight') });
    const linears = this.model.linearLayers();
    const projections: LlamaProjection[] = [];
    for (let layer = 0; layer < c.numHiddenLayers; layer++) {
      const p = llamaLayerPrefix(layer);
      this.engine.setNorm({ layer, which: 'input', weight: get(`${p}.input_layernorm.weight`) });
      this.engine.setNorm({ layer, which: 'post', weight: get(`${p}.post_attention_layernorm.weight`) });
      if (c.qkNorm) {
        this.engine.setNorm({ layer, which: 'q', weight: get(`${p}.self_attn.q_norm.weight`) });
        this.engine.setNorm({ layer, which: 'k', weight: get(`${p}.self_attn.k_norm.weight`) });
      }
      for (const module of LLAMA_LINEAR_MODULES) projections.push({ layer, module, linear: linears.get(`${p}.${module}`) as Conv1DLayer });
    }
    return projections;
  }

  protected setLinear({ layer, module }: LlamaProjection, weight: Float32Array, bias: Float32Array): void {
    this.engine.setLinear({ layer, module, weight, bias });
  }

  /** The Llama engine takes even block sizes only (its contract); an odd one goes in as fp32. */
  protected setLinearNf4({ layer, module }: LlamaProjection, nf4: NF4State, bias: Float32Array): boolean {
    if (nf4.blockSize % 2 !== 0) return false;
    this.engine.setLinearNf4({ layer, module, ...nf4, bias });
    return true;
  }

  protected pathOf({ layer, module }: LlamaProjection): string {
    return `${llamaLayerPrefix(layer)}.${module}`;
  }
}
