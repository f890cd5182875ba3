/**
 * The GPT-2 transformer (nanoGPT's model.py, in tfjs): token + position embeddings, nLayer
 * pre-norm blocks (attention then MLP, each with a residual), a final LayerNorm and the LM head
 * tied to the token embedding (lm-head.ts). Every Conv1D is a {@link Conv1DLayer}, so dense,
 * quantized and LoRA-wrapped projections are interchangeable. Activations are kept 2-D [batch·T, C] between
 * blocks so the projections are single matmuls without reshapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { causalSelfAttention, type AttentionWeights } from '../../ops/attention.js';
import { checkpoint, layerTrainableVariables } from '../../ops/checkpointing.js';
import type { GPT2Config } from './config.js';
import { type Conv1DFactory, denseConv1DFactory } from '../../ops/dense.js';
import { KVCache } from '../../inference/kv-cache.js';
import { activation, layerNorm, type LayerNormWeights } from '../../ops/layers.js';
import { gatherRows, LMHead } from '../../ops/lm-head.js';
import type { Conv1DLayer } from '../../ops/linear.js';
import type { HostTensor } from '../../io/safetensors.js';
import { type CausalTransformer, type ForwardOptions, type ForwardOutput, type ForwardStep, type TransformerDims, hostCopy, positionsFromMask, runForward } from '../../transformer.js';

/** Thrown for inputs whose shape or values do not fit the model. */
export class GPT2InputError extends Error {
  override name = 'GPT2InputError';
}

/** One transformer block's weights. */
export interface BlockWeights {
  ln1: LayerNormWeights;
  attn: AttentionWeights;
  ln2: LayerNormWeights;
  mlp: { cFc: Conv1DLayer; cProj: Conv1DLayer };
}

/** Options of {@link GPT2Model.forward}. */
export type GPT2ForwardOptions = ForwardOptions;

/** Result of {@link GPT2Model.forward}; the caller disposes the tensors. */
export type GPT2ForwardOutput = ForwardOutput;

export { positionsFromMask };

export class GPT2Model implements CausalTransformer {
  readonly architecture = 'gpt2' as const;
  readonly config: GPT2Config;
  readonly dims: TransformerDims;
  readonly blocks: BlockWeights[];
  /** Recompute each block in the backward pass instead of storing its activations. */
  gradientCheckpointing: boolean;
  /** Output projection [vocab, C]; also the token embedding when tied (GPT-2). */
  readonly lmHead: LMHead;
  /** Token embedding [vocab, C] when not tied to the head, else null. */
  private readonly wte: tf.Tensor2D | null;
  /** Position embedding [nPositions, C]. */
  readonly wpe: tf.Tensor2D;
  /** Final LayerNorm. */
  readonly lnF: LayerNormWeights;

  /**
   * Builds the model from canonical tensors (as from canonicalGPT2Tensors / randomGPT2Tensors);
   * `makeConv1D` builds each projection (default frozen fp32).
   */
  constructor(
    config: GPT2Config,
    tensors: Map<string, HostTensor>,
    options: { makeConv1D?: Conv1DFactory; gradientCheckpointing?: boolean } = {},
  ) {
    this.config = config;
    this.dims = {
      vocabSize: config.vocabSize,
      maxPositions: config.nPositions,
      maxPositionsField: 'n_positions',
      hiddenSize: config.nEmbd,
      numLayers: config.nLayer,
      eosTokenIds: [config.eosTokenId],
      padTokenId: config.padTokenId ?? null,
    };
    this.gradientCheckpointing = options.gradientCheckpointing ?? false;
    const make = options.makeConv1D ?? denseConv1DFactory;
    const get = (name: string): HostTensor => {
      const t = tensors.get(name);
      if (t === undefined) throw new GPT2InputError(`GPT2Model: tensor "${name}" is missing from the weights.`);
      return t;
    };
    const dev = (name: string): tf.Tensor => tf.tensor(get(name).data, get(name).shape, 'float32');
    const ln = (p: string): LayerNormWeights => ({ gamma: dev(`${p}.weight`) as tf.Tensor1D, beta: dev(`${p}.bias`) as tf.Tensor1D });
    const conv = (p: string): Conv1DLayer => make(p, get(`${p}.weight`), get(`${p}.bias`));
    this.lmHead = new LMHead(get(config.tieWordEmbeddings ? 'wte.weight' : 'lm_head.weight'));
    this.wte = config.tieWordEmbeddings ? null : (dev('wte.weight') as tf.Tensor2D);
    this.wpe = dev('wpe.weight') as tf.Tensor2D;
    this.lnF = ln('ln_f');
    this.blocks = [];
    for (let i = 0; i < config.nLayer; i++) {
      const p = `h.${i}`;
      this.blocks.push({
        ln1: ln(`${p}.ln_1`),
        attn: { cAttn: conv(`${p}.attn.c_attn`), cProj: conv(`${p}.attn.c_proj`) },
        ln2: ln(`${p}.ln_2`),
        mlp: { cFc: conv(`${p}.mlp.c_fc`), cProj: conv(`${p}.mlp.c_proj`) },
      });
    }
  }

  /** An empty KV cache for `batch` rows and up to `maxLen` positions. The caller disposes it. */
  createCache(batch: number, maxLen: number): KVCache {
    const { nLayer, nHead, nEmbd, nPositions } = this.config;
    if (maxLen > nPositions) {
      throw new GPT2InputError(`createCache: maxLen ${maxLen} exceeds the model's n_positions ${nPositions}.`);
    }
    return new KVCache(nLayer, batch, nHead, nEmbd / nHead, maxLen);
  }

  /**
   * Runs the transformer on inputIds [batch, T]. With `pastKeyValues`, the ids continue the
   * cached sequence and `attentionMask` covers past + T positions. The caller disposes the outputs.
   */
  forward(inputIds: tf.Tensor2D | number[][], options: GPT2ForwardOptions = {}): GPT2ForwardOutput {
    const stack = ({ ids, positions, B, T, bias, cache, training }: ForwardStep): tf.Tensor2D => {
      const idT = tf.tensor1d(ids.flat(), 'int32');
      const posT = tf.tensor1d(positions.flat(), 'int32');
      const tokens = this.wte ? gatherRows(this.wte, idT) : this.lmHead.lookup(idT);
      let x = tf.add(tokens, gatherRows(this.wpe, posT)) as tf.Tensor2D; // [B·T, C]
      this.blocks.forEach((block, layer) => {
        const run = (h: tf.Tensor2D, [b]: tf.Tensor[]): tf.Tensor2D => this.block(h, block, layer, B, T, b as tf.Tensor4D, training, cache);
        x = this.gradientCheckpointing && !cache ? checkpoint(run, x, [bias], this.blockVariables(block)) : run(x, [bias]);
      });
      return x;
    };
    return runForward(this, inputIds, options, 'GPT2Model.forward', GPT2InputError, stack, (x) => layerNorm(x, this.lnF, this.config.layerNormEpsilon));
  }


  /** LM-head logits for final hidden states h [n, C] → [n, vocab]. Differentiable w.r.t. h. */
  logits(h: tf.Tensor2D): tf.Tensor2D {
    return this.lmHead.logits(h);
  }

  /** The trainable variables of one block's projections, in a stable order. */
  blockVariables(block: BlockWeights): tf.Variable[] {
    return [block.attn.cAttn, block.attn.cProj, block.mlp.cFc, block.mlp.cProj].flatMap(layerTrainableVariables);
  }

  /** The LoRA variables of every block, in model order. */
  trainableVariables(): tf.Variable[] {
    return this.blocks.flatMap((b) => this.blockVariables(b));
  }

  /** Every Conv1D of the model with its module path (`h.0.attn.c_attn`, …). */
  linearLayers(): Map<string, Conv1DLayer> {
    return this.conv1DLayers();
  }

  /** Every Conv1D of the model with its module path (`h.0.attn.c_attn`, …). */
  conv1DLayers(): Map<string, Conv1DLayer> {
    const out = new Map<string, Conv1DLayer>();
    this.blocks.forEach((b, i) => {
      out.set(`h.${i}.attn.c_attn`, b.attn.cAttn);
      out.set(`h.${i}.attn.c_proj`, b.attn.cProj);
      out.set(`h.${i}.mlp.c_fc`, b.mlp.cFc);
      out.set(`h.${i}.mlp.c_proj`, b.mlp.cProj);
    });
    return out;
  }

  /** Bytes held on the backend by all weights (embeddings, norms, projections, head copy). */
  weightBytes(): number {
    let bytes = this.lmHead.bytes() + 4 * ((this.wte?.size ?? 0) + this.wpe.size + 2 * this.lnF.gamma.size);
    for (const b of this.blocks) bytes += 4 * 2 * (b.ln1.gamma.size + b.ln2.gamma.size);
    for (const layer of this.conv1DLayers().values()) bytes += layer.weightBytes();
    return bytes;
  }

  /**
   * Host copies of the non-Conv1D tensors under canonical names (embeddings, norms, an untied head);
   * the Conv1D weights come from their layers (see causal-lm.ts).
   */
  hostTensors(): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    const put = (name: string, t: tf.Tensor): void => void out.set(name, hostCopy(t));
    const head = this.lmHead.hostWeight();
    out.set(this.wte ? 'lm_head.weight' : 'wte.weight', head);
    if (this.wte) put('wte.weight', this.wte);
    put('wpe.weight', this.wpe);
    this.blocks.forEach((b, i) => {
      put(`h.${i}.ln_1.weight`, b.ln1.gamma);
      put(`h.${i}.ln_1.bias`, b.ln1.beta);
      put(`h.${i}.ln_2.weight`, b.ln2.gamma);
      put(`h.${i}.ln_2.bias`, b.ln2.beta);
    });
    put('ln_f.weight', this.lnF.gamma);
    put('ln_f.bias', this.lnF.beta);
    return out;
  }

  /** Frees every tensor and layer. */
  dispose(): void {
    this.lmHead.dispose();
    this.wte?.dispose();
    for (const t of [this.wpe, this.lnF.gamma, this.lnF.beta]) t.dispose();
    for (const b of this.blocks) for (const t of [b.ln1.gamma, b.ln1.beta, b.ln2.gamma, b.ln2.beta]) t.dispose();
    for (const layer of this.conv1DLayers().values()) layer.dispose();
  }

  private block(
    x: tf.Tensor2D,
    w: BlockWeights,
    layer: number,
    B: number,
    T: number,
    bias: tf.Tensor4D,
    training: boolean,
    cache: KVCache | undefined,
  ): tf.Tensor2D {
    return tf.tidy(() => {
      const { nHead, nEmbd, layerNormEpsilon: eps } = this.config;
      let scale = this.config.scaleAttnWeights ? 1 / Math.sqrt(nEmbd / nHead) : 1;
      if (this.config.scaleAttnByInverseLayerIdx) scale /= layer + 1;
      const shape = { batch: B, T, heads: nHead, scale };
      const a = causalSelfAttention(layerNorm(x, w.ln1, eps), w.attn, shape, bias, { training, cache, layer });
      const h: tf.Tensor2D = tf.add(x, a);
      const m = w.mlp.cProj.apply(activation(w.mlp.cFc.apply(layerNorm(h, w.ln2, eps), { training }), this.config.activationFunction), {
        training,
      });
      return tf.add<tf.Tensor2D>(h, m);
    });
  }
}
