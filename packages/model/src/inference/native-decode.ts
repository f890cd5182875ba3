/**
 * Native decoding of GPT-2 for `generate`: the prompt still runs through the tfjs forward (the
 * prefill is a compute-bound matmul the BLAS does well), then its KV cache is copied into
 * @grpojs/accel's DecodeEngine and every later token runs there (native/napi/decode.cc). A decode step is
 * bound by streaming the weights (distilgpt2: 324 MB per token), which the engine does near the
 * memory bandwidth while the tfjs step spent most of its time in ~315 kernel dispatches and M = 8
 * sgemms (docs/accel.md, "Native decode engine").
 *
 * The weight hand-off, cache, step, sampler and lifetime are native-decoder-base.ts's, shared with
 * the Llama family; this file holds what is GPT-2's: the engine's spec, the embeddings and
 * LayerNorms, and the four Conv1D projections of a block. Frozen NF4 projections go in as their
 * 4-bit codes and block scales (the engine decodes them inside the product, to the same weight bit
 * for bit, streaming ~0.56 byte per weight instead of 4).
 */
import type { DecodeActivation, DecodeEngine, DecodeProjection } from '@grpojs/accel/contract';
import { gpt2InnerSize, type GPT2Activation } from '../architectures/gpt2/config.js';
import type { GPT2Model } from '../architectures/gpt2/model.js';
import type { Conv1DLayer } from '../ops/linear.js';
import type { NF4State } from '../quant/quantized-conv1d.js';
import { decoderAccel, type DecoderLoad, hostWeights, NativeDecoderBase } from './native-decoder-base.js';

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

/** Whether the GPT-2 engine implements the config activation `act`. */
export function gpt2EngineHasActivation(act: GPT2Activation): boolean {
  return ENGINE_ACTIVATIONS[act] !== undefined;
}

interface Gpt2Projection {
  layer: number;
  projection: DecodeProjection;
  linear: Conv1DLayer;
}

/** A GPT2Model's weights in a native DecodeEngine. */
export class NativeDecoder extends NativeDecoderBase<DecodeEngine, Gpt2Projection> {
  private readonly model: GPT2Model;

  private constructor(model: GPT2Model, engine: DecodeEngine) {
    super(engine, { numLayers: model.config.nLayer, vocabSize: model.config.vocabSize, who: 'NativeDecoder' });
    this.model = model;
  }

  /**
   * An engine for `model`, or null and the reason (no @grpojs/accel, an addon without the
   * engine, a layer that cannot expose its weight). Check nativeDecodeBlocked (native-decode-slot.ts) first.
   */
  static async create(model: GPT2Model, options: { threads?: number } = {}): Promise<DecoderLoad<NativeDecoder>> {
    const accel = await decoderAccel(model);
    if (accel.api === null) return { decoder: null, reason: accel.reason };
    const c = model.config;
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
    if (load.engine === null) return { decoder: null, reason: load.reason };
    return { decoder: new NativeDecoder(model, load.engine), reason: '' };
  }

  protected setFixedWeights(): Gpt2Projection[] {
    const c = this.model.config;
    const get = hostWeights(this.model, this.who); // embeddings, LayerNorms, an untied head
    this.engine.setTokenEmbedding({ weight: get('wte.weight') });
    if (!c.tieWordEmbeddings) this.engine.setHead({ weight: get('lm_head.weight') });
    this.engine.setPositionEmbedding({ weight: get('wpe.weight') });
    for (let l = 0; l < c.nLayer; l++) {
      this.engine.setLayerNorm({ index: 2 * l, gamma: get(`h.${l}.ln_1.weight`), beta: get(`h.${l}.ln_1.bias`) });
      this.engine.setLayerNorm({ index: 2 * l + 1, gamma: get(`h.${l}.ln_2.weight`), beta: get(`h.${l}.ln_2.bias`) });
    }
    this.engine.setLayerNorm({ index: 2 * c.nLayer, gamma: get('ln_f.weight'), beta: get('ln_f.bias') });
    const convs = this.model.conv1DLayers();
    return Array.from({ length: c.nLayer }, (_, layer) =>
      PROJECTIONS.map((projection) => ({ layer, projection, linear: convs.get(`h.${layer}.${projection}`) as Conv1DLayer })),
    ).flat();
  }

  protected setLinear({ layer, projection }: Gpt2Projection, weight: Float32Array, bias: Float32Array): void {
    this.engine.setLinear({ layer, projection, weight, bias });
  }

  protected setLinearNf4({ layer, projection }: Gpt2Projection, nf4: NF4State, bias: Float32Array): boolean {
    this.engine.setLinearNf4({ layer, projection, ...nf4, bias });
    return true;
  }

  protected pathOf({ layer, projection }: Gpt2Projection): string {
    return `h.${layer}.${projection}`;
  }
}
