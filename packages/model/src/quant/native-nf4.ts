/**
 * Dequantization of the quantized Conv1D weights through @grpojs/accel's native kernels
 * (`nf4Dequantize`, `int8Dequantize`: one pass over the packed codes) when they are registered on
 * the current backend; quant/quantized-conv1d.ts decodes with tfjs ops otherwise. Both give the
 * same float32 weight bit for bit (the kernels do the same multiplies and add in the same order).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';

/** The tensors of an NF4 weight as quantized-conv1d.ts keeps them (see packing.ts for the words). */
export type NativeNf4Inputs =
  | { codes: tf.Tensor1D; absmax: tf.Tensor1D }
  | { codes: tf.Tensor1D; absmaxCodes: tf.Tensor1D; absmax2: tf.Tensor; offset: tf.Scalar };

/** Shape and tables of an NF4 weight (the kernel's attrs; @grpojs/accel's NF4_DEQUANTIZE documents each). */
export interface NativeNf4Attrs {
  inFeatures: number;
  outFeatures: number;
  blockSize: number;
  /** Codes stored in [in, out] order (needs in % blockSize = 0), else [out, in]. */
  inOutOrder: boolean;
  /** The 16 NF4 code values. */
  code: number[];
  /** With double quant: the 256-entry signed dynamic map and its block size. */
  map?: number[];
  blockSize2?: number;
}

/** The tensors of an int8 weight: codes in [in, out] order (packHalves bytes) and the row absmax [1, out]. */
export interface NativeInt8Inputs {
  codes: tf.Tensor1D;
  rowAbsmax: tf.Tensor;
}

/** Shape, byte values and the final float32 scale of an int8 weight. */
export interface NativeInt8Attrs {
  inFeatures: number;
  outFeatures: number;
  /** The value of each byte (two's complement). */
  values: number[];
  scale: number;
}

/**
 * The dequantized NF4 weight [in, out], or null when the native kernel is not registered on the
 * current backend (no @grpojs/accel, or the runtime's accel or its nf4 family off). The caller owns the result.
 */
export function nativeNf4Dequantize(inputs: NativeNf4Inputs, attrs: NativeNf4Attrs): tf.Tensor2D | null {
  if (!accelKernelsReady('nf4Dequantize')) return null;
  return runAccelKernel('nf4Dequantize', inputs, attrs) as tf.Tensor2D; // [in, out]
}

/** The dequantized int8 weight [in, out], or null as for {@link nativeNf4Dequantize}. The caller owns the result. */
export function nativeInt8Dequantize(inputs: NativeInt8Inputs, attrs: NativeInt8Attrs): tf.Tensor2D | null {
  if (!accelKernelsReady('int8Dequantize')) return null;
  return runAccelKernel('int8Dequantize', inputs, attrs) as tf.Tensor2D; // [in, out]
}
