import type * as tf from '@tensorflow/tfjs-core';

/**
 * A GPT-2 Conv1D projection: y = x·W + b with W stored [in, out] (the HF layout).
 * The transformer blocks only see this interface, so a dense fp32 weight, an NF4 or int8
 * quantized frozen weight, and a LoRA-wrapped weight are interchangeable.
 */
export interface Conv1DLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** x: [n, in] → [n, out]. Runs inside the caller's tidy; the result is the caller's. */
  apply(x: tf.Tensor2D, options: { training: boolean }): tf.Tensor2D;
  /** Bytes held on the backend by this layer's frozen and trainable weights. */
  weightBytes(): number;
  /** Frees every tensor and variable this layer owns. */
  dispose(): void;
}

/** Shared, mutable switch read by LoRA layers at apply time (adapters off = the reference model). */
export interface AdapterSwitch {
  enabled: boolean;
}
