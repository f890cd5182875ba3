/**
 * The Llama-family decoder (transformers' LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM),
 * in tfjs. Each layer: x + o_proj(attention(RMSNorm(x))), then x + down_proj(silu(gate_proj(h)) ·
 * up_proj(h)) with h = RMSNorm(x); a final RMSNorm and the LM head (tied to the embedding or
 * not). Attention: q/k/v projections (Qwen3: each head RMS-normed), rotary positions, grouped
 * key/value heads, causal + padding bias. Every nn.Linear is held as a {@link Conv1DLayer} with its
 * weight transposed to [in, out] at load, so the dense, NF4/int8 and LoRA layers GPT-2 uses serve
 * here unchanged; a projection without a bias gets a zero one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkpoint, layerTrainableVariables } from '../../ops/checkpointing.js';
import { type Conv1DFactory, denseConv1DFactory } from '../../ops/dense.js';
import { transposeHost } from '../../io/host-transpose.js';
import { KVCache } from '../../inference/kv-cache.js';
import { gatherRows, LMHead } from '../../ops/lm-head.js';
import type { Conv1DLayer } from '../../ops/linear.js';
import { groupedAttention } from '../../ops/grouped-attention.js';
import { rmsNorm } from '../../ops/rms-norm.js';
import { ropeInverseFrequencies, rotaryHeads, rotaryTables } from '../../ops/rotary.js';
import { swiGlu } from '../../ops/swiglu.js';
import type { HostTensor } from '../../io/safetensors.js';
import { type CausalTransformer, type ForwardOptions, type ForwardOutput, type ForwardStep, type TransformerDims, hostCopy, runForward } from '../../transformer.js';
import type { LlamaConfig } from './config.js';
import { LLAMA_LINEAR_MODULES, type LlamaLinearModule, llamaLayerPrefix, llamaLinearShape } from './weights.js';

/** Thrown for inputs whose shape or values do not fit the model. */
export class LlamaInputError extends Error {
  override name = 'LlamaInputError';
}

/** One decoder layer's weights; projections by module name (`self_attn.q_proj`, …). */
interface LlamaLayer {
  inputNorm: tf.Tensor1D;
  postNorm: tf.Tensor1D;
  qNorm: tf.Tensor1D | null;
  kNorm: tf.Tensor1D | null;
  linear: Record<LlamaLinearModule, Conv1DLayer>;
}

export class LlamaModel implements CausalTransformer {
  readonly architecture: LlamaConfig['family'];
  readonly config: LlamaConfig;
  readonly dims: TransformerDims;
  gradientCheckpointing: boolean;
  readonly lmHead: LMHead;
  /** Token embedding [vocab, C] when not tied to the head, else null (the head looks rows up). */
  private readonly embed: tf.Tensor2D | null;
  private readonly norm: tf.Tensor1D;
  private readonly layers: LlamaLayer[] = [];
  private readonly invFreq: Float64Array;

  /**
   * Builds the model from checked checkpoint tensors (weights.ts checkLlamaTensors); `makeConv1D`
   * builds each projection from its [in, out] weight and bias (default frozen fp32).
   * @param eosTokenIds generation's stop ids (generation_config.json's, else config.json's).
   */
  constructor(
    config: LlamaConfig,
    tensors: Map<string, HostTensor>,
    options: { makeConv1D?: Conv1DFactory; gradientCheckpointing?: boolean; eosTokenIds?: number[] } = {},
  ) {
    this.config = config;
    this.architecture = config.family;
    this.dims = {
      vocabSize: config.vocabSize,
      maxPositions: config.maxPositionEmbeddings,
      maxPositionsField: 'max_position_embeddings',
      hiddenSize: config.hiddenSize,
      numLayers: config.numHiddenLayers,
      eosTokenIds: options.eosTokenIds ?? config.eosTokenIds,
      padTokenId: config.padTokenId,
    };
    this.gradientCheckpointing = options.gradientCheckpointing ?? false;
    this.invFreq = ropeInverseFrequencies(config.headDim, config.ropeTheta, config.ropeScaling);
    const make = options.makeConv1D ?? denseConv1DFactory;
    const get = (name: string): HostTensor => {
      const t = tensors.get(name);
      if (t === undefined) throw new LlamaInputError(`LlamaModel: tensor "${name}" is missing from the weights.`);
      return t;
    };
    const vector = (name: string): tf.Tensor1D => tf.tensor1d(get(name).data, 'float32');
    const embed = get('model.embed_tokens.weight');
    this.lmHead = new LMHead(config.tieWordEmbeddings ? embed : get('lm_head.weight'));
    this.embed = config.tieWordEmbeddings ? null : tf.tensor2d(embed.data, embed.shape as [number, number]);
    this.norm = vector('model.norm.weight');
    for (let i = 0; i < config.numHiddenLayers; i++) {
      const p = llamaLayerPrefix(i);
      const linear = {} as Record<LlamaLinearModule, Conv1DLayer>;
      for (const m of LLAMA_LINEAR_MODULES) {
        const s = llamaLinearShape(config, m);
        const w = get(`${p}.${m}.weight`); // [out, in]
        const weight: HostTensor = { shape: [s.in, s.out], data: transposeHost(w.data, s.out, s.in) };
        const bias: HostTensor = s.bias ? get(`${p}.${m}.bias`) : { shape: [s.out], data: new Float32Array(s.out) };
        linear[m] = make(`${p}.${m}`, weight, bias, { hasBias: s.bias });
      }
      this.layers.push({
        inputNorm: vector(`${p}.input_layernorm.weight`),
        postNorm: vector(`${p}.post_attention_layernorm.weight`),
        qNorm: config.qkNorm ? vector(`${p}.self_attn.q_norm.weight`) : null,
        kNorm: config.qkNorm ? vector(`${p}.self_attn.k_norm.weight`) : null,
        linear,
      });
    }
  }

  createCache(batch: number, maxLen: number): KVCache {
    const { numHiddenLayers, numKeyValueHeads, headDim, maxPositionEmbeddings } = this.config;
    if (maxLen > maxPositionEmbeddings) {
      throw new LlamaInputError(`createCache: maxLen ${maxLen} exceeds the model's max_position_embeddings ${maxPositionEmbeddings}.`);
    }
    return new KVCache(numHiddenLayers, batch, numKeyValueHeads, headDim, maxLen);
  }

  forward(inputIds: tf.Tensor2D | number[][], options: ForwardOptions = {}): ForwardOutput {
    const stack = ({ ids, positions, B, T, bias, cache, training }: ForwardStep): tf.Tensor2D => {
      const { cos, sin } = rotaryTables(positions, this.invFreq);
      const idT = tf.tensor1d(ids.flat(), 'int32');
      let x = this.embed ? gatherRows(this.embed, idT) : this.lmHead.lookup(idT); // [B·T, C]
      this.layers.forEach((layer, l) => {
        const run = (h: tf.Tensor2D, [b, c, s]: tf.Tensor[]): tf.Tensor2D =>
          this.layer(h, layer, l, B, T, b as tf.Tensor4D, c as tf.Tensor4D, s as tf.Tensor4D, training, cache);
        x = this.gradientCheckpointing && !cache ? checkpoint(run, x, [bias, cos, sin], this.layerVariables(layer)) : run(x, [bias, cos, sin]);
      });
      return x;
    };
    return runForward(this, inputIds, options, 'LlamaModel.forward', LlamaInputError, stack, (x) => rmsNorm(x, this.norm, this.config.rmsNormEps));
  }


  linearLayers(): Map<string, Conv1DLayer> {
    const out = new Map<string, Conv1DLayer>();
    this.layers.forEach((layer, i) => {
      for (const m of LLAMA_LINEAR_MODULES) out.set(`${llamaLayerPrefix(i)}.${m}`, layer.linear[m]);
    });
    return out;
  }

  trainableVariables(): tf.Variable[] {
    return this.layers.flatMap((l) => this.layerVariables(l));
  }

  weightBytes(): number {
    let floats = (this.embed?.size ?? 0) + this.norm.size;
    for (const l of this.layers) floats += l.inputNorm.size + l.postNorm.size + (l.qNorm?.size ?? 0) + (l.kNorm?.size ?? 0);
    let bytes = this.lmHead.bytes() + 4 * floats;
    for (const layer of this.linearLayers().values()) bytes += layer.weightBytes();
    return bytes;
  }

  hostTensors(): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    const put = (name: string, t: tf.Tensor): void => void out.set(name, hostCopy(t));
    const head = this.lmHead.hostWeight();
    if (this.embed) put('model.embed_tokens.weight', this.embed);
    else out.set('model.embed_tokens.weight', head);
    this.layers.forEach((l, i) => {
      const p = llamaLayerPrefix(i);
      put(`${p}.input_layernorm.weight`, l.inputNorm);
      if (l.qNorm && l.kNorm) {
        put(`${p}.self_attn.q_norm.weight`, l.qNorm);
        put(`${p}.self_attn.k_norm.weight`, l.kNorm);
      }
      put(`${p}.post_attention_layernorm.weight`, l.postNorm);
    });
    put('model.norm.weight', this.norm);
    if (this.embed) out.set('lm_head.weight', head);
    return out;
  }

  dispose(): void {
    this.lmHead.dispose();
    this.embed?.dispose();
    this.norm.dispose();
    for (const l of this.layers) for (const t of [l.inputNorm, l.postNorm, l.qNorm, l.kNorm]) t?.dispose();
    for (const layer of this.linearLayers().values()) layer.dispose();
  }

  private layerVariables(layer: LlamaLayer): tf.Variable[] {
    return LLAMA_LINEAR_MODULES.flatMap((m) => layerTrainableVariables(layer.linear[m]));
  }

  /** Per-head RMSNorm (Qwen3's q_norm/k_norm): t [B·T, heads·D] normed over each D. */
  private headNorm(t: tf.Tensor2D, weight: tf.Tensor1D): tf.Tensor2D {
    const D = this.config.headDim;
    const rows = t.shape[0];
    return tf.reshape(rmsNorm(tf.reshape(t, [-1, D]), weight, this.config.rmsNormEps), [rows, t.shape[1]]);
  }

  private layer(
    x: tf.Tensor2D,
    w: LlamaLayer,
    index: number,
    B: number,
    T: number,
    bias: tf.Tensor4D,
    cos: tf.Tensor4D,
    sin: tf.Tensor4D,
    training: boolean,
    cache: KVCache | undefined,
  ): tf.Tensor2D {
    return tf.tidy(() => {
      const { numAttentionHeads: H, numKeyValueHeads: KV, headDim: D, rmsNormEps: eps } = this.config;
      const opts = { training };
      const h = rmsNorm(x, w.inputNorm, eps);
      let q = w.linear['self_attn.q_proj'].apply(h, opts); // [B·T, H·D]
      let k = w.linear['self_attn.k_proj'].apply(h, opts); // [B·T, KV·D]
      const v = w.linear['self_attn.v_proj'].apply(h, opts);
      if (w.qNorm && w.kNorm) {
        q = this.headNorm(q, w.qNorm);
        k = this.headNorm(k, w.kNorm);
      }
      const qh = rotaryHeads(q, B, H, cos, sin); // [B, H, T, D]
      let kh = rotaryHeads(k, B, KV, cos, sin); // [B, KV, T, D]
      let vh = tf.transpose(tf.reshape(v, [B, T, KV, D]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, KV, T, D]
      if (cache) ({ keys: kh, values: vh } = cache.update(index, kh, vh)); // [B, KV, S, D]
      const y = groupedAttention(qh, kh, vh, bias, 1 / Math.sqrt(D)); // [B, H, T, D]
      const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, H * D]) as tf.Tensor2D;
      const r = tf.add(x, w.linear['self_attn.o_proj'].apply(merged, opts)) as tf.Tensor2D;
      const m = rmsNorm(r, w.postNorm, eps);
      const gate = w.linear['mlp.gate_proj'].apply(m, opts);
      const up = w.linear['mlp.up_proj'].apply(m, opts);
      const act = swiGlu(gate, up); // silu(gate) · up
      return tf.add<tf.Tensor2D>(r, w.linear['mlp.down_proj'].apply(act, opts));
    });
  }
}
