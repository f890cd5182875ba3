/**
 * Dequantization of the quantized Conv1D weights through @grpojs/accel's native kernels
 * (`nf4Dequantize`, `int8Dequantize`: one pass over the packed codes) when they are registered on
 * the current backend; quant/quantized-conv1d.ts decodes with tfjs ops otherwise. Both give the
 * same float32 weight bit for bit (the kernels do the same multiplies and add in the same order).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { AccelKernelSignatures } from '@grpojs/accel/contract';
import { accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';

type Signatures = AccelKernelSignatures<tf.Tensor>;
/** The tensors of an NF4 weight as quantized-conv1d.ts keeps them: the contract's nf4Dequantize inputs. */
export type NativeNf4Inputs = Signatures['nf4Dequantize']['inputs'];
/** Shape and tables of an NF4 weight: the contract's nf4Dequantize attrs (documented there). */
export type NativeNf4Attrs = Signatures['nf4Dequantize']['attrs'];
/** The tensors of an int8 weight: codes in [in, out] order (packed words) and the row absmax [1, out]. */
export type NativeInt8Inputs = Signatures['int8Dequantize']['inputs'];
/** Shape, byte values and the final float32 scale of an int8 weight. */
export type NativeInt8Attrs = Signatures['int8Dequantize']['attrs'];

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
