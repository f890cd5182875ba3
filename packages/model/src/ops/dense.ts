/**
 * The plain fp32 GPT-2 Conv1D (y = x·W + b, W [in, out]) and the matmul it is built on.
 *
 * Why a custom gradient: on the wasm backend XNNPACK caches the packed right-hand operand of a
 * matmul per tensor, so x·W with a long-lived W is fast, while dy·Wᵀ (`transposeB`, what
 * tfjs-core's autograd emits for the input gradient) re-packs W on every call and is ~10× slower.
 * For a frozen W the input gradient is therefore computed as (W·dyᵀ)ᵀ, which only packs the small
 * dyᵀ. Other backends, and wasm with BLAS matmuls (@grpojs/accel, where the two extra transposes
 * cost more than they save), keep tfjs-core's own gradient. With the BLAS the bias is added in the
 * matmul's epilogue ({@link frozenLinear}).
 */
import * as tf from '@tensorflow/tfjs-core';
import { blasMatMulActive } from '../runtime/accel.js';
import type { Conv1DLayer } from './linear.js';
import type { HostTensor } from '../io/safetensors.js';

/** Thrown for a weight/bias whose shape does not fit a Conv1D. */
export class DenseShapeError extends Error {
  override name = 'DenseShapeError';
}

/**
 * x [n, in] · w [in, out] → [n, out] for a frozen `w` (no gradient flows to `w`). The caller owns
 * the result. Differentiable w.r.t. `x`.
 */
export function frozenMatMul(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm' || blasMatMulActive('wasm')) return tf.matMul(x, w);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.matMul(args[0] as tf.Tensor2D, w),
    // dy [n, out] → dx [n, in] = (w · dyᵀ)ᵀ
    gradFunc: (dy: tf.Tensor) => tf.transpose(tf.matMul(w, tf.transpose(dy as tf.Tensor2D))),
  }));
  return op(x) as tf.Tensor2D;
}

/**
 * x [n, in] · w [in, out] + bias [out] → [n, out] for a frozen `w` and `bias`, differentiable
 * w.r.t. `x` only. With the BLAS matmul on the current backend the bias is added in the matmul's
 * epilogue (tfjs' fused matMul → @grpojs/accel's _FusedMatMul: one pass over the output fewer)
 * and the input gradient is one `transposeB` product (free on the BLAS); tfjs' own fused-matMul
 * gradient is not used since it would also compute the unused xᵀ·dy. Otherwise
 * {@link frozenMatMul} then an Add. The caller owns the result.
 */
export function frozenLinear(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (!blasMatMulActive(tf.getBackend())) return tf.tidy(() => tf.add(frozenMatMul(x, w), bias));
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.fused.matMul({ a: args[0] as tf.Tensor2D, b: w, bias }) as tf.Tensor2D,
    // dy [n, out] → dx [n, in] = dy · wᵀ
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.matMul(dy as tf.Tensor2D, w, false, true),
  }));
  return op(x) as tf.Tensor2D;
}

/** Options of {@link DenseConv1D}. */
export interface DenseConv1DOptions {
  /** Keep weight and bias as trainable tf.Variables (full fine-tuning). Default false (frozen). */
  trainable?: boolean;
  /**
   * With `trainable`: whether the bias is trained too. False for a projection the checkpoint has no
   * bias for (Llama's, Qwen2's o_proj): its zero bias stays a frozen constant, so training cannot
   * give it values that saving (which writes no bias there) would drop. Default true.
   */
  trainableBias?: boolean;
  /** Module path for error messages and variable names, e.g. `h.0.attn.c_attn`. */
  name?: string;
}

function toTensor(t: HostTensor | tf.Tensor, rank: number, what: string): tf.Tensor {
  const shape = t.shape;
  if (shape.length !== rank) {
    throw new DenseShapeError(`DenseConv1D: ${what} must have rank ${rank}, got shape [${shape.join(', ')}].`);
  }
  return t instanceof tf.Tensor ? t.clone() : tf.tensor(t.data, shape, 'float32');
}

/** A dense fp32 Conv1D. Owns its weight [in, out] and bias [out]. */
export class DenseConv1D implements Conv1DLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly name: string;
  /** [in, out]; a tf.Variable when trainable. */
  readonly weight: tf.Tensor2D;
  /** [out]; a tf.Variable when trainable. */
  readonly bias: tf.Tensor1D;
  readonly trainable: boolean;
  /** Whether the bias is a trainable variable (see {@link DenseConv1DOptions.trainableBias}). */
  readonly trainableBias: boolean;

  /** Copies `weight` [in, out] and `bias` [out] to the backend. */
  constructor(weight: HostTensor | tf.Tensor2D, bias: HostTensor | tf.Tensor1D, options: DenseConv1DOptions = {}) {
    this.name = options.name ?? 'Conv1D';
    this.trainable = options.trainable ?? false;
    this.trainableBias = this.trainable && (options.trainableBias ?? true);
    const w = toTensor(weight, 2, `${this.name}.weight`) as tf.Tensor2D;
    const b = toTensor(bias, 1, `${this.name}.bias`) as tf.Tensor1D;
    [this.inFeatures, this.outFeatures] = w.shape;
    if (b.shape[0] !== this.outFeatures) {
      w.dispose();
      b.dispose();
      throw new DenseShapeError(
        `DenseConv1D(${this.name}): bias shape [${b.shape.join(', ')}] must be [${this.outFeatures}] (the weight's out dimension).`,
      );
    }
    if (this.trainable) {
      this.weight = tf.variable(w, true, `${this.name}.weight#${w.id}`) as unknown as tf.Tensor2D;
      this.bias = this.trainableBias ? (tf.variable(b, true, `${this.name}.bias#${b.id}`) as unknown as tf.Tensor1D) : b;
      w.dispose();
      if (this.trainableBias) b.dispose();
    } else {
      this.weight = w;
      this.bias = b;
    }
  }

  /** x [n, in] → [n, out]. Runs in the caller's tidy. */
  apply(x: tf.Tensor2D, _options: { training: boolean }): tf.Tensor2D {
    if (!this.trainable) return frozenLinear(x, this.weight, this.bias);
    // Full fine-tuning: tfjs' fused matMul, whose gradient (linear activation) covers x, weight and
    // bias, puts the bias in the BLAS epilogue; without the BLAS it is the same matMul + Add.
    return tf.fused.matMul({ a: x, b: this.weight, bias: this.bias }) as tf.Tensor2D;
  }

  /** The trainable variables (empty when frozen). */
  variables(): tf.Variable[] {
    if (!this.trainable) return [];
    const weight = this.weight as unknown as tf.Variable;
    return this.trainableBias ? [weight, this.bias as unknown as tf.Variable] : [weight];
  }

  /** A copy of the weight [in, out]; the caller disposes. */
  readWeight(): tf.Tensor2D {
    return this.weight.clone();
  }

  /** A copy of the bias [out]; the caller disposes. */
  readBias(): tf.Tensor1D {
    return this.bias.clone();
  }

  weightBytes(): number {
    return 4 * (this.weight.size + this.bias.size);
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}

/** What an architecture tells a {@link Conv1DFactory} about a projection beyond its tensors. */
export interface Conv1DSpec {
  /** Whether the checkpoint holds a bias for it (false: `bias` is zeros standing in). */
  hasBias: boolean;
}

/**
 * Builds the projection at module path `name` (`h.0.attn.c_attn`, `model.layers.0.self_attn.q_proj`)
 * from its weight [in, out] and bias; architectures take one so dense, quantized and LoRA layers
 * are chosen by the loader. `spec` defaults to `{ hasBias: true }`.
 */
export type Conv1DFactory = (name: string, weight: HostTensor, bias: HostTensor, spec?: Conv1DSpec) => Conv1DLayer;

/** The default factory: frozen fp32 {@link DenseConv1D}. */
export const denseConv1DFactory: Conv1DFactory = (name, weight, bias) => new DenseConv1D(weight, bias, { name });
