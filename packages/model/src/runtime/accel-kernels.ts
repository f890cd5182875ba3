/**
 * @grpojs/accel's tfjs kernels as the ops in ops/ and quant/ run them: by the contract's key (the
 * registered name comes from the loaded package, never a copied string) with the contract's typed
 * inputs and attrs. A kernel counts as available when registered on the current backend, which
 * the runtime options decide (runtime.ts); tests unregister kernels to reach the tfjs formulas.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AccelKernel, AccelKernelSignatures } from '@grpojs/accel/contract';
import { loadedAccel } from './load-accel.js';

type Signatures = AccelKernelSignatures<tf.Tensor>;

/** True when every one of `kernels` is registered on the current backend. */
export function accelKernelsReady(...kernels: AccelKernel[]): boolean {
  const api = loadedAccel();
  if (api === null) return false;
  const backend = tf.getBackend();
  return kernels.every((k) => tf.getKernel(api.kernels[k], backend) !== undefined);
}

/** The registered name of `kernel` (for tf.registerGradient); null without @grpojs/accel. */
export function accelKernelName(kernel: AccelKernel): string | null {
  return loadedAccel()?.kernels[kernel] ?? null;
}

/** Runs `kernel` (check {@link accelKernelsReady} first). The caller owns the outputs. */
export function runAccelKernel<K extends AccelKernel>(kernel: K, inputs: Signatures[K]['inputs'], attrs?: Signatures[K]['attrs']): Signatures[K]['outputs'] {
  const name = accelKernelName(kernel);
  if (name === null) throw new Error(`runAccelKernel: ${kernel} needs @grpojs/accel, which is not loaded (check accelKernelsReady first)`);
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as unknown as Signatures[K]['outputs'];
}
