// The tfjs kernels @grpojs/accel registers on the wasm and cpu backends, by family: each kernel's
// registered name with the names and layouts of its inputs and its attrs. accel's *-kernels.ts
// register them under these names; @grpojs/model runs them with these inputs (typed through
// AccelKernelSignatures) and finds the names at run time through the loaded package's accelApi.

/** The registered name of every kernel, by the key both packages use for it. */
export const ACCEL_KERNELS = {
  logSoftmaxGather: 'GrpojsLogSoftmaxGather',
  geluNew: 'GrpojsGeluNew',
  geluNewGrad: 'GrpojsGeluNewGrad',
  layerNorm: 'GrpojsLayerNorm',
  layerNormGrad: 'GrpojsLayerNormGrad',
  gatherColumns: 'GrpojsGatherColumns',
  gatherRows: 'GrpojsGatherRows',
  maskedSoftmax: 'GrpojsMaskedSoftmax',
  maskedSoftmaxGrad: 'GrpojsMaskedSoftmaxGrad',
  splitHeads: 'GrpojsSplitHeads',
  splitHeadsGrad: 'GrpojsSplitHeadsGrad',
  nf4Dequantize: 'GrpojsNf4Dequantize',
  int8Dequantize: 'GrpojsInt8Dequantize',
  rmsNorm: 'GrpojsRmsNorm',
  rmsNormGrad: 'GrpojsRmsNormGrad',
  swiglu: 'GrpojsSwiGlu',
  swigluGrad: 'GrpojsSwiGluGrad',
  rotaryHeads: 'GrpojsRotaryHeads',
  rotaryHeadsGrad: 'GrpojsRotaryHeadsGrad',
} as const;
export type AccelKernel = keyof typeof ACCEL_KERNELS;

/**
 * The families a user switches on and off one by one (besides the BLAS matmul itself, which every
 * family needs): the kernels of each. `identity` registers no kernel of its own: it replaces the wasm
 * backend's Identity with a reference-counted share.
 */
export const ACCEL_KERNEL_FAMILIES = {
  vocab: ['logSoftmaxGather'],
  gelu: ['geluNew', 'geluNewGrad'],
  layernorm: ['layerNorm', 'layerNormGrad'],
  gather: ['gatherColumns', 'gatherRows'],
  identity: [],
  softmax: ['maskedSoftmax', 'maskedSoftmaxGrad'],
  heads: ['splitHeads', 'splitHeadsGrad'],
  nf4: ['nf4Dequantize', 'int8Dequantize'],
  llama: ['rmsNorm', 'rmsNormGrad', 'swiglu', 'swigluGrad', 'rotaryHeads', 'rotaryHeadsGrad'],
} as const satisfies Record<string, readonly AccelKernel[]>;
export type AccelKernelFamily = keyof typeof ACCEL_KERNEL_FAMILIES;

/** Which families to register (absent: on). */
export type AccelKernelSwitches = Partial<Record<AccelKernelFamily, boolean>>;

/** The attrs of `kernel` as the contract types them. */
export type AccelKernelAttrs<K extends AccelKernel> = AccelKernelSignatures<unknown>[K]['attrs'];

/** The double-quantized block scales of an NF4 weight (blockAbsmax = map[q] · absmax2 + offset). */
export interface Nf4DoubleQuantInputs<T> {
  codes: T;
  absmaxCodes: T;
  absmax2: T;
  offset: T;
}

/**
 * Inputs, attrs and outputs of every kernel, over the tensor type T of the side that uses them
 * (tfjs TensorInfo inside a kernel, Tensor in the model). float32 unless said; shapes as named.
 */
export interface AccelKernelSignatures<T> {
  /** z = logits / temperature: logp = z[target] − logsumexp(z), entropy = −Σ p log p, grad = (onehot(target) − p) / temperature. */
  logSoftmaxGather: {
    inputs: { logits: T /* [n, V] */; targets: T /* [n] int32 */ };
    attrs: { temperature: number; withEntropy: boolean; withGrad: boolean };
    /** [logp [n], entropy [n] (withEntropy), grad [n, V] (withGrad)]. */
    outputs: T[];
  };
  /** gelu_new(x), x [n, C]. */
  geluNew: { inputs: { x: T }; attrs: Record<string, never>; outputs: T };
  /** dy · gelu_new'(x), x and dy of one shape. */
  geluNewGrad: { inputs: { x: T; dy: T }; attrs: Record<string, never>; outputs: T };
  /** LayerNorm of x [n, C] with gamma, beta [C]. */
  layerNorm: { inputs: { x: T; gamma: T; beta: T }; attrs: { epsilon: number }; /** [y [n, C], mean [n], rstd [n]] */ outputs: T[] };
  /** The input gradients of layerNorm from its saved x, gamma, mean, rstd. */
  layerNormGrad: { inputs: { x: T; gamma: T; mean: T; rstd: T; dy: T }; attrs: Record<string, never>; /** [dx [n, C], dgamma [C], dbeta [C]] */ outputs: T[] };
  /** x [R, V], indices [n] int32 in [0, V) → [n, R]: row i = column indices[i] of x. */
  gatherColumns: { inputs: { x: T; indices: T }; attrs: Record<string, never>; outputs: T };
  /** x [R, C], indices [n] int32 in [0, R) → [n, C]: row i = row indices[i] of x. */
  gatherRows: { inputs: { x: T; indices: T }; attrs: Record<string, never>; outputs: T };
  /** softmax over the last axis of scores [B, H, T, S] · scale + bias [B, 1, T, S]. */
  maskedSoftmax: { inputs: { scores: T; bias: T }; attrs: { scale: number }; outputs: T };
  /** scale · p · (dp − Σ p·dp), p (from maskedSoftmax) and dp of one shape. */
  maskedSoftmaxGrad: { inputs: { p: T; dp: T }; attrs: { scale: number }; outputs: T };
  /** GPT-2's fused qkv [B·T, 3·H·D] → [q, k, v], each [B, H, T, D]. */
  splitHeads: { inputs: { qkv: T }; attrs: { batch: number; heads: number }; outputs: T[] };
  /** dq, dk, dv [B, H, T, D] → dqkv [B·T, 3·H·D] (the inverse of splitHeads). */
  splitHeadsGrad: { inputs: { dq: T; dk: T; dv: T }; attrs: Record<string, never>; outputs: T };
  /**
   * NF4 weight → W [inFeatures, outFeatures] = code[c] · blockAbsmax[block]. `codes` int32 words
   * (4-bit codes, PACKED_WORDS layout, 8·words ≥ in·out) and either `absmax` [nBlocks] or the
   * double-quant inputs (`absmaxCodes` 8-bit codes in PACKED_WORDS words, `absmax2`
   * [ceil(nBlocks / blockSize2)], `offset` scalar); nBlocks = ceil(in·out / blockSize) in
   * bitsandbytes' [out, in] block order.
   */
  nf4Dequantize: {
    inputs: { codes: T; absmax: T } | Nf4DoubleQuantInputs<T>;
    attrs: {
      inFeatures: number;
      outFeatures: number;
      blockSize: number;
      /** Codes in [in, out] order (needs in % blockSize = 0), else [out, in]. */
      inOutOrder: boolean;
      /** The 16 NF4 code values. */
      code: number[];
      /** With double quant: the 256-entry signed dynamic map and its block size. */
      map?: number[];
      blockSize2?: number;
    };
    outputs: T;
  };
  /** RMSNorm of x [n, C] with weight [C]: y = x · rstd · weight, rstd = 1/√(mean(x²) + epsilon) per row. */
  rmsNorm: { inputs: { x: T; weight: T }; attrs: { epsilon: number }; /** [y [n, C], rstd [n]] */ outputs: T[] };
  /** The input gradients of rmsNorm from its saved x, weight and rstd. */
  rmsNormGrad: { inputs: { x: T; weight: T; rstd: T; dy: T }; attrs: Record<string, never>; /** [dx [n, C], dweight [C]] */ outputs: T[] };
  /** silu(gate) · up, gate and up of one shape. */
  swiglu: { inputs: { gate: T; up: T }; attrs: Record<string, never>; outputs: T };
  /** The gradients of swiglu. */
  swigluGrad: { inputs: { gate: T; up: T; dy: T }; attrs: Record<string, never>; /** [dgate, dup] */ outputs: T[] };
  /**
   * x [B·T, H·D] split into heads and rotated rotate-half style by cos, sin [B, 1, T, D] (both
   * halves of a row equal) → [B, H, T, D].
   */
  rotaryHeads: { inputs: { x: T; cos: T; sin: T }; attrs: { batch: number; heads: number }; outputs: T };
  /** dy [B, H, T, D] rotated back by the negative angles → dx [B·T, H·D] (the gradient of rotaryHeads). */
  rotaryHeadsGrad: { inputs: { dy: T; cos: T; sin: T }; attrs: Record<string, never>; outputs: T };
  /** int8 weight → W [in, out] = (values[c] · rowAbsmax[o]) · scale; `codes` bytes in [in, out] order (PACKED_WORDS), `rowAbsmax` of out elements. */
  int8Dequantize: {
    inputs: { codes: T; rowAbsmax: T };
    attrs: { inFeatures: number; outFeatures: number; /** 256: the value of each byte. */ values: number[]; scale: number };
    outputs: T;
  };
}
